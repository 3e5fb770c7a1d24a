//! Practice placements and supervision: logged by the learner or the supervisor, verified or
//! declined by the supervisor. Only verified supervision counts towards a certificate.
//!
//! Deciding again: a pending session may be verified or declined. A declined one may still be
//! verified by the supervisor (they changed their mind; the decline stays in the audit trail),
//! and declining it again changes nothing. A verified one is final: it may already stand
//! behind a certificate, so declining it is a conflict.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::access::{self, Caller, PlacementRole};
use crate::domain::input::Checks;
use crate::domain::{SupervisionFormat, SupervisionStatus};
use crate::notify;
use crate::store::audit;
use crate::store::people::{self, Person};
use crate::store::placements;
pub use crate::store::placements::{Placement, Side, SupervisionFilter, SupervisionSession};
use crate::store::{cohorts, new_id, organisations, stored, DbConnection};
use crate::{Error, Result};

/// The longest a supervision session may be logged as, in minutes.
pub const LONGEST_SUPERVISION_MINUTES: i32 = 480;
/// The longest supervision notes may be.
pub const SUPERVISION_NOTES_MAX: usize = 4000;
/// The longest a reason for declining supervision may be.
pub const DECLINE_REASON_MAX: usize = 1000;

/// What is needed to add a placement.
#[derive(Debug, Clone)]
pub struct NewPlacement {
    /// The learner.
    pub person_id: String,
    /// The host organisation.
    pub organisation_id: String,
    /// The supervisor's email; new addresses get accounts.
    pub supervisor_email: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if known.
    pub ends_on: Option<NaiveDate>,
    /// The cohort it is made within (default: the learner's latest one the caller may use).
    pub cohort_id: Option<String>,
    /// An administrator lets a tutor of the learner be the supervisor.
    pub tutor_may_supervise: bool,
}

impl NewPlacement {
    /// Every rule the input itself must meet.
    pub fn check(&self) -> Result<()> {
        let mut checks = Checks::new();
        checks
            .email("supervisor_email", &self.supervisor_email)
            .date("starts_on", self.starts_on);
        if let Some(end) = self.ends_on {
            checks.date("ends_on", end);
            if checks.passed() && end < self.starts_on {
                checks.fail("ends_on", "must be on or after starts_on");
            }
        }
        checks.finish()
    }
}

/// Adds a placement with its supervisor, within a cohort; an administrator, or a tutor of a
/// cohort the learner is in, may. Separation of duties: the supervisor verifies the supervision
/// that certification needs, so it is neither the learner nor anyone who tutors them, unless
/// an administrator allows a tutor explicitly, and the placement records who did.
pub fn add(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewPlacement,
    now: DateTime<Utc>,
) -> Result<(Placement, Person)> {
    new.check()?;
    let cohort_id = access::placement_cohort(conn, caller, &new.person_id, new.cohort_id.as_deref())?;
    if new.tutor_may_supervise && !caller.is_admin() {
        return Err(Error::NotAllowed(
            "Only an administrator can let a tutor of the learner supervise their placement.",
        ));
    }
    let now = stored(now);
    if let Err(Error::NotFound(_)) = organisations::get(conn, &new.organisation_id) {
        return Err(Error::invalid(
            "organisation_id",
            "there is no organisation with this id",
        ));
    }
    let email = new.supervisor_email.trim();
    let placeholder = email.split('@').next().unwrap_or_default().to_string();
    let (supervisor, _) = people::find_or_create(conn, email, &placeholder, now)?;
    if supervisor.id == new.person_id {
        return Err(Error::invalid(
            "supervisor_email",
            "a learner cannot supervise their own placement",
        ));
    }
    let tutors_the_learner = cohorts::shared_by_tutor_and_learner(conn, &supervisor.id, &new.person_id)?;
    let allowed_by = match (tutors_the_learner.is_empty(), new.tutor_may_supervise) {
        (true, _) => None,
        (false, true) => caller.person_id().map(str::to_string),
        (false, false) => {
            return Err(Error::invalid(
                "supervisor_email",
                "this person tutors the learner; the supervisor who verifies their supervision must be someone else (an administrator can allow it)",
            ))
        }
    };
    let placement = Placement {
        id: new_id(),
        person_id: new.person_id.clone(),
        organisation_id: new.organisation_id.clone(),
        supervisor_id: supervisor.id.clone(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
        cohort_id,
        tutor_supervision_allowed_by: allowed_by,
    };
    placements::create(conn, &placement)?;
    audit::record(
        conn,
        &caller.actor(),
        "placement.created",
        ("placement", &placement.id),
        json!({
            "person_id": placement.person_id,
            "organisation_id": placement.organisation_id,
            "supervisor_id": supervisor.id,
            "cohort_id": placement.cohort_id,
            "tutor_supervision_allowed_by": placement.tutor_supervision_allowed_by,
        }),
        now,
    )?;
    Ok((placement, supervisor))
}

/// A placement, for the learner, the supervisor, the learner's tutors and administrators.
pub fn get(conn: &mut DbConnection, caller: &Caller, placement_id: &str) -> Result<Placement> {
    let placement = placements::get(conn, placement_id)?;
    access::placement_role(conn, caller, &placement)?;
    Ok(placement)
}

/// Supervision as the learner or the supervisor logs it.
#[derive(Debug, Clone)]
pub struct NewSupervision {
    /// The day it took place, within the placement and not in the future.
    pub occurred_on: NaiveDate,
    /// How long, in minutes (1 to [`LONGEST_SUPERVISION_MINUTES`]).
    pub duration_minutes: i32,
    /// How it was held.
    pub format: SupervisionFormat,
    /// Reflections, readable only by the learner and the supervisor.
    pub notes: Option<String>,
}

/// Logs supervision; the learner or the supervisor may. Logged by the supervisor it counts as
/// verified at once; logged by the learner it waits for the supervisor.
pub fn log(
    conn: &mut DbConnection,
    caller: &Caller,
    placement_id: &str,
    new: &NewSupervision,
    now: DateTime<Utc>,
) -> Result<SupervisionSession> {
    let placement = placements::get(conn, placement_id)?;
    match access::placement_role(conn, caller, &placement)? {
        PlacementRole::Learner | PlacementRole::Supervisor => {}
        PlacementRole::Staff => {
            return Err(Error::NotAllowed(
                "Only the learner or their supervisor can log supervision.",
            ))
        }
    }
    let notes = new.notes.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let mut checks = Checks::new();
    checks
        .require(
            (1..=LONGEST_SUPERVISION_MINUTES).contains(&new.duration_minutes),
            "duration_minutes",
            "must be between 1 and 480 minutes",
        )
        .require(
            notes.is_none_or(|n| n.chars().count() <= SUPERVISION_NOTES_MAX),
            "notes",
            "must be at most 4000 characters long",
        )
        .date("occurred_on", new.occurred_on);
    checks.finish()?;
    if new.occurred_on < placement.starts_on {
        return Err(Error::invalid(
            "occurred_on",
            format!(
                "must be on or after the placement's first day, {}",
                placement.starts_on
            ),
        ));
    }
    if let Some(end) = placement.ends_on.filter(|end| new.occurred_on > *end) {
        return Err(Error::invalid(
            "occurred_on",
            format!("the placement's last day is {end}; supervision after it cannot be logged"),
        ));
    }
    if new.occurred_on > now.date_naive() {
        return Err(Error::invalid("occurred_on", "cannot be in the future"));
    }
    let now = stored(now);
    let logged_by = caller.require_person()?;
    let by_supervisor = logged_by == placement.supervisor_id;
    let session = SupervisionSession {
        id: new_id(),
        placement_id: placement.id.clone(),
        occurred_on: new.occurred_on,
        duration_minutes: new.duration_minutes,
        format: new.format.as_str().into(),
        notes: notes.map(str::to_string),
        logged_by: logged_by.into(),
        verified_by: by_supervisor.then(|| placement.supervisor_id.clone()),
        verified_at: by_supervisor.then_some(now),
        created_at: now,
        declined_by: None,
        declined_at: None,
        decline_reason: None,
    };
    placements::log_supervision(conn, &session)?;
    audit::record(
        conn,
        &caller.actor(),
        "supervision.logged",
        ("supervision", &session.id),
        json!({ "placement_id": placement.id, "occurred_on": new.occurred_on, "duration_minutes": new.duration_minutes, "format": new.format.as_str(), "verified": by_supervisor }),
        now,
    )?;
    Ok(session)
}

/// A placement's supervision by date, and whether the caller may read the notes (only the
/// learner and the supervisor may).
pub fn supervision_of(
    conn: &mut DbConnection,
    caller: &Caller,
    placement_id: &str,
) -> Result<(Vec<SupervisionSession>, bool)> {
    let placement = placements::get(conn, placement_id)?;
    let role = access::placement_role(conn, caller, &placement)?;
    let sessions = placements::supervision_of_placement(conn, &placement.id)?;
    Ok((sessions, role != PlacementRole::Staff))
}

/// Who is refused a supervision session's decline page and its Decline.
const DECLINE_REFUSAL: &str = "Only the placement's supervisor can decline supervision.";

/// A supervision session with its placement, for its supervisor to decide on; anyone else is
/// refused with `refusal` (or, if they may not know of it, as if it were not there).
fn as_supervisor(
    conn: &mut DbConnection,
    caller: &Caller,
    supervision_id: &str,
    refusal: &'static str,
) -> Result<(SupervisionSession, Placement)> {
    let session = placements::supervision(conn, supervision_id)?;
    let placement = placements::get(conn, &session.placement_id)?;
    access::require_supervisor(conn, caller, &placement, refusal)?;
    Ok((session, placement))
}

/// The supervisor verifies a logged supervision session; verifying twice changes nothing.
pub fn verify(
    conn: &mut DbConnection,
    caller: &Caller,
    supervision_id: &str,
    now: DateTime<Utc>,
) -> Result<SupervisionSession> {
    let (session, _) = as_supervisor(
        conn,
        caller,
        supervision_id,
        "Only the placement's supervisor can verify supervision.",
    )?;
    if session.status() == SupervisionStatus::Verified {
        return Ok(session);
    }
    let now = stored(now);
    let supervisor = caller.require_person()?;
    let was_declined = session.status() == SupervisionStatus::Declined;
    let session = placements::verify_supervision(conn, &session.id, supervisor, now)?;
    audit::record(
        conn,
        &caller.actor(),
        "supervision.verified",
        ("supervision", supervision_id),
        json!({ "was_declined": was_declined }),
        now,
    )?;
    Ok(session)
}

/// The supervisor declines a logged supervision session, with a reason the learner reads (and
/// is emailed); it never counts. A verified session cannot be declined ([`Error::Conflict`]);
/// declining a declined one again changes nothing.
pub fn decline(
    conn: &mut DbConnection,
    caller: &Caller,
    supervision_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<SupervisionSession> {
    let (session, placement) = as_supervisor(conn, caller, supervision_id, DECLINE_REFUSAL)?;
    Checks::new()
        .reason("reason", reason, DECLINE_REASON_MAX)
        .finish()?;
    match session.status() {
        SupervisionStatus::Verified => {
            return Err(Error::Conflict(
                "This supervision session is already verified, so it can no longer be declined.".into(),
            ))
        }
        SupervisionStatus::Declined => return Ok(session),
        SupervisionStatus::Pending => {}
    }
    let reason = reason.trim();
    let now = stored(now);
    let supervisor_id = caller.require_person()?;
    if !placements::decline_supervision(conn, &session.id, supervisor_id, reason, now)? {
        // Verified by a request that wrote between this one's read and its write.
        return Err(Error::Conflict(
            "This supervision session is already verified, so it can no longer be declined.".into(),
        ));
    }
    audit::record(
        conn,
        &caller.actor(),
        "supervision.declined",
        ("supervision", supervision_id),
        json!({ "placement_id": placement.id, "reason": reason }),
        now,
    )?;
    let learner = people::get(conn, &placement.person_id)?;
    let supervisor = people::get(conn, supervisor_id)?;
    let host = organisations::get(conn, &placement.organisation_id)?.name;
    notify::queue_email(
        conn,
        format!("supervision_declined:{}", session.id),
        notify::Email::SupervisionDeclined,
        &learner,
        json!({
            "name": learner.display_name(),
            "supervisor_name": supervisor.display_name(),
            "organisation_name": host,
            "occurred_on": session.occurred_on,
            "duration_minutes": session.duration_minutes,
            "reason": reason,
        }),
        now,
    )?;
    placements::supervision(conn, &session.id)
}

/// Ends a placement on `ended_on` (its last day; it may be in the future, and it may be
/// corrected later). The supervisor, an administrator or a tutor of the cohort it was made
/// within may. Supervision after that day cannot be logged, so the day cannot fall before
/// supervision already logged (unless that session was declined).
pub fn end(
    conn: &mut DbConnection,
    caller: &Caller,
    placement_id: &str,
    ended_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Placement> {
    let placement = placements::get(conn, placement_id)?;
    access::require_placement_ender(conn, caller, &placement)?;
    Checks::new().date("ended_on", ended_on).finish()?;
    if ended_on < placement.starts_on {
        return Err(Error::invalid(
            "ended_on",
            format!(
                "must be on or after the placement's first day, {}",
                placement.starts_on
            ),
        ));
    }
    if let Some(logged_on) = placements::supervision_logged_after(conn, &placement.id, ended_on)? {
        return Err(Error::invalid(
            "ended_on",
            format!(
                "cannot be before {logged_on}: supervision was logged for that day (choose it or a later day, or the supervisor can decline that session first)"
            ),
        ));
    }
    let previous = placement.ends_on;
    let placement = placements::end_placement(conn, &placement.id, ended_on)?;
    audit::record(
        conn,
        &caller.actor(),
        "placement.ended",
        ("placement", &placement.id),
        json!({ "ended_on": ended_on, "previous_ends_on": previous }),
        stored(now),
    )?;
    Ok(placement)
}

/// A supervision session in a list, with the names a person needs to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSupervision {
    /// The session.
    pub session: SupervisionSession,
    /// Its placement.
    pub placement: Placement,
    /// The learner's name.
    pub learner_name: String,
    /// The supervisor's name.
    pub supervisor_name: String,
    /// The host organisation's name.
    pub host: String,
}

/// The caller's supervision, oldest first: as supervisor (what waits for them, with
/// `status: pending`), as learner (their own), or both. Only the learner and the supervisor
/// of each session see it here, so notes are theirs to read.
pub fn list_for_caller(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &SupervisionFilter,
) -> Result<Vec<ListedSupervision>> {
    let me = caller.require_person()?;
    let rows = placements::supervision_of_person(conn, me, filter)?;
    listed(conn, rows)
}

/// The names a list of placements shows: its people's and its hosts', each kind read in one
/// query.
struct Names {
    people: HashMap<String, String>,
    hosts: HashMap<String, String>,
}

impl Names {
    /// The learners', supervisors' and hosts' names of these placements.
    fn of<'a>(
        conn: &mut DbConnection,
        placements: impl Iterator<Item = &'a Placement> + Clone,
    ) -> Result<Names> {
        let mut person_ids: Vec<String> = placements
            .clone()
            .flat_map(|p| [p.person_id.clone(), p.supervisor_id.clone()])
            .collect();
        person_ids.sort_unstable();
        person_ids.dedup();
        let mut host_ids: Vec<String> = placements.map(|p| p.organisation_id.clone()).collect();
        host_ids.sort_unstable();
        host_ids.dedup();
        Ok(Names {
            people: people::by_ids(conn, &person_ids)?
                .into_iter()
                .map(|person| (person.id.clone(), person.display_name().to_string()))
                .collect(),
            hosts: organisations::names(conn, &host_ids)?,
        })
    }

    fn person(&self, id: &str) -> Result<String> {
        self.people
            .get(id)
            .cloned()
            .ok_or_else(|| Error::Corrupt(format!("placement names person {id}, who is not there")))
    }

    fn host(&self, id: &str) -> Result<String> {
        self.hosts
            .get(id)
            .cloned()
            .ok_or_else(|| Error::Corrupt(format!("placement names organisation {id}, which is not there")))
    }

    /// Supervision sessions with their names.
    fn listed(&self, rows: Vec<(SupervisionSession, Placement)>) -> Result<Vec<ListedSupervision>> {
        rows.into_iter()
            .map(|(session, placement)| {
                Ok(ListedSupervision {
                    learner_name: self.person(&placement.person_id)?,
                    supervisor_name: self.person(&placement.supervisor_id)?,
                    host: self.host(&placement.organisation_id)?,
                    session,
                    placement,
                })
            })
            .collect()
    }

    /// Placements with their learners' and hosts' names.
    fn placements(&self, placements: Vec<Placement>) -> Result<Vec<NamedPlacement>> {
        placements
            .into_iter()
            .map(|placement| {
                let learner = self.person(&placement.person_id)?;
                let host = self.host(&placement.organisation_id)?;
                Ok((placement, learner, host))
            })
            .collect()
    }
}

/// Supervision sessions with the names of their learners, supervisors and hosts.
fn listed(
    conn: &mut DbConnection,
    rows: Vec<(SupervisionSession, Placement)>,
) -> Result<Vec<ListedSupervision>> {
    Names::of(conn, rows.iter().map(|(_, p)| p))?.listed(rows)
}

/// One supervision session as its supervisor decides on it (the page that asks why they
/// decline), with the names around it. Anyone but its supervisor is refused as
/// [`decline`] refuses them.
pub fn to_decide(
    conn: &mut DbConnection,
    caller: &Caller,
    supervision_id: &str,
) -> Result<ListedSupervision> {
    let (session, placement) = as_supervisor(conn, caller, supervision_id, DECLINE_REFUSAL)?;
    let mut found = listed(conn, vec![(session, placement)])?;
    found.pop().ok_or(Error::NotFound("supervision session"))
}

/// How many supervision sessions wait for the caller to verify or decline them.
pub fn waiting_for_caller(conn: &mut DbConnection, caller: &Caller) -> Result<i64> {
    placements::waiting_for_supervisor(conn, caller.require_person()?)
}

/// The placements the caller supervises, newest first, each with its learner's and host's
/// names.
pub fn supervised_by_caller(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<NamedPlacement>> {
    let supervised = placements::supervised_by(conn, caller.require_person()?)?;
    Names::of(conn, supervised.iter())?.placements(supervised)
}

/// A placement with its learner's and its host's names.
pub type NamedPlacement = (Placement, String, String);

/// What a supervisor's page shows: the first `limit` sessions waiting for the caller, oldest
/// first, and the placements they supervise (as [`supervised_by_caller`]), with the names of
/// both read once.
pub fn queue_of_caller(
    conn: &mut DbConnection,
    caller: &Caller,
    limit: i64,
) -> Result<(Vec<ListedSupervision>, Vec<NamedPlacement>)> {
    let me = caller.require_person()?;
    let filter = placements::SupervisionFilter {
        side: Some(placements::Side::Supervisor),
        status: Some(SupervisionStatus::Pending),
        after: None,
        limit,
    };
    let waiting = placements::supervision_of_person(conn, me, &filter)?;
    let supervised = placements::supervised_by(conn, me)?;
    // Every waiting session is in one of the supervised placements, so their names are these.
    let names = Names::of(conn, supervised.iter())?;
    Ok((names.listed(waiting)?, names.placements(supervised)?))
}

//! Who is calling, and what they may do: every access decision, once.
//!
//! Services take a [`Caller`] and ask here before they read or change anything. An answer is
//! either a role (what the caller is to the thing), [`Error::NotFound`] when the caller may not
//! know the thing exists, or [`Error::NotAllowed`] when they may know it but not do this.
//! Every front end (the API, the pages, the command line) gets the same answers.

use crate::store::audit::Actor;
use crate::store::{cohorts, people, placements, DbConnection};
use crate::{Error, Result};

/// Who asks core to do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in person.
    Person {
        /// Their id.
        person_id: String,
        /// Whether they administer this Peertrack.
        is_admin: bool,
        /// The id of the session or token they called with, so that signing out ends only it.
        session_id: String,
    },
    /// Someone at the server's command line (`peertrack admin ...`): an administrator's
    /// powers, recorded in the audit trail as `cli`.
    Operator,
}

impl Caller {
    /// A signed-in person.
    pub fn person(person_id: impl Into<String>, is_admin: bool, session_id: impl Into<String>) -> Self {
        Caller::Person {
            person_id: person_id.into(),
            is_admin,
            session_id: session_id.into(),
        }
    }

    /// The person's id; `None` for the operator.
    pub fn person_id(&self) -> Option<&str> {
        match self {
            Caller::Person { person_id, .. } => Some(person_id),
            Caller::Operator => None,
        }
    }

    /// Whether the caller may do what an administrator may.
    pub fn is_admin(&self) -> bool {
        match self {
            Caller::Person { is_admin, .. } => *is_admin,
            Caller::Operator => true,
        }
    }

    /// Whether the caller is this person.
    pub fn is(&self, person_id: &str) -> bool {
        self.person_id() == Some(person_id)
    }

    /// Who the audit trail names for what the caller does.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Person { person_id, .. } => Actor::Person(person_id.clone()),
            Caller::Operator => Actor::System("cli"),
        }
    }

    /// Only administrators may go on.
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::NotAllowed("Only an administrator can do this."))
        }
    }

    /// Only a signed-in person may go on (for what is about one's own records); their id.
    pub fn require_person(&self) -> Result<&str> {
        self.person_id()
            .ok_or(Error::NotAllowed("Only a signed-in person can do this."))
    }
}

/// A partner organisation's system, by its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// The organisation.
    pub organisation_id: String,
    /// The key used.
    pub api_key_id: String,
}

/// What a caller is to a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortRole {
    /// An administrator.
    Admin,
    /// One of its tutors.
    Tutor,
    /// One of its learners.
    Learner,
}

impl CohortRole {
    /// Whether this role runs the cohort (an administrator or a tutor).
    pub fn is_staff(self) -> bool {
        matches!(self, CohortRole::Admin | CohortRole::Tutor)
    }
}

/// The caller's role in a cohort; [`Error::NotFound`] when they have none (they may not know
/// it exists) or it does not exist.
pub fn cohort_role(conn: &mut DbConnection, caller: &Caller, cohort_id: &str) -> Result<CohortRole> {
    cohorts::get(conn, cohort_id)?;
    role_in_existing_cohort(conn, caller, cohort_id)
}

/// [`cohort_role`] in a cohort known to exist: one read from a row that points at it (a
/// session, an enrolment), so it is not read again.
fn role_in_existing_cohort(conn: &mut DbConnection, caller: &Caller, cohort_id: &str) -> Result<CohortRole> {
    if caller.is_admin() {
        return Ok(CohortRole::Admin);
    }
    let Some(person_id) = caller.person_id() else {
        return Err(Error::NotFound("cohort"));
    };
    if cohorts::is_tutor(conn, cohort_id, person_id)? {
        return Ok(CohortRole::Tutor);
    }
    if cohorts::enrolment_of(conn, cohort_id, person_id)?.is_some() {
        return Ok(CohortRole::Learner);
    }
    Err(Error::NotFound("cohort"))
}

/// An administrator or a tutor of the cohort may go on; a learner of it may not
/// ([`Error::NotAllowed`]); anyone else may not know it exists ([`Error::NotFound`]).
pub fn require_cohort_staff(conn: &mut DbConnection, caller: &Caller, cohort_id: &str) -> Result<CohortRole> {
    cohorts::get(conn, cohort_id)?;
    require_staff_of_existing_cohort(conn, caller, cohort_id)
}

/// [`require_cohort_staff`] in a cohort known to exist: read from a row that points at it (a
/// session), so it is not read again.
pub fn require_staff_of_existing_cohort(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
) -> Result<CohortRole> {
    match role_in_existing_cohort(conn, caller, cohort_id)? {
        CohortRole::Learner => Err(Error::NotAllowed(
            "Only the cohort's tutors or an administrator can do this.",
        )),
        role => Ok(role),
    }
}

/// Who the caller is to a placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementRole {
    /// The learner on placement.
    Learner,
    /// The placement's supervisor.
    Supervisor,
    /// An administrator or a tutor of the learner: may read, may not log or verify.
    Staff,
}

/// The caller's role in a placement; [`Error::NotFound`] when they have none. Access follows
/// the relationship: the learner, the supervisor, administrators, and the tutors of the cohort
/// the placement was made within (not a tutor who merely teaches the learner elsewhere).
pub fn placement_role(
    conn: &mut DbConnection,
    caller: &Caller,
    placement: &placements::Placement,
) -> Result<PlacementRole> {
    if caller.is(&placement.person_id) {
        return Ok(PlacementRole::Learner);
    }
    if caller.is(&placement.supervisor_id) {
        return Ok(PlacementRole::Supervisor);
    }
    if caller.is_admin() {
        return Ok(PlacementRole::Staff);
    }
    match (caller.person_id(), &placement.cohort_id) {
        (Some(viewer), Some(cohort_id)) if cohorts::is_tutor(conn, cohort_id, viewer)? => {
            Ok(PlacementRole::Staff)
        }
        _ => Err(Error::NotFound("placement")),
    }
}

/// Only the placement's supervisor may decide on its supervision (verify or decline it). The
/// learner and the staff who may see the placement know the session exists and are refused
/// with `refusal` ([`Error::NotAllowed`]); anyone else hears that there is no such session.
pub fn require_supervisor(
    conn: &mut DbConnection,
    caller: &Caller,
    placement: &placements::Placement,
    refusal: &'static str,
) -> Result<()> {
    match placement_role(conn, caller, placement) {
        Ok(PlacementRole::Supervisor) => Ok(()),
        Ok(_) => Err(Error::NotAllowed(refusal)),
        Err(Error::NotFound(_)) => Err(Error::NotFound("supervision session")),
        Err(other) => Err(other),
    }
}

/// May the caller end a placement? Its supervisor, an administrator, or a tutor of the cohort
/// it was made within may; the learner may not ([`Error::NotAllowed`]); anyone else may not
/// know it exists ([`Error::NotFound`]).
pub fn require_placement_ender(
    conn: &mut DbConnection,
    caller: &Caller,
    placement: &placements::Placement,
) -> Result<PlacementRole> {
    match placement_role(conn, caller, placement)? {
        PlacementRole::Learner => Err(Error::NotAllowed(
            "Only the placement's supervisor, the learner's tutors or an administrator can end a placement.",
        )),
        role => Ok(role),
    }
}

/// May the caller add a placement for this learner, and within which cohort? Administrators
/// may (the learner must exist; the cohort is the one named, or the learner's latest); a tutor
/// may within a cohort they teach and the learner is in (the one named, or the latest such).
/// Anyone else gets one answer whether or not the person exists, so that it tells nobody who
/// is a learner.
pub fn placement_cohort(
    conn: &mut DbConnection,
    caller: &Caller,
    learner_id: &str,
    cohort_id: Option<&str>,
) -> Result<Option<String>> {
    if caller.is_admin() {
        match people::get(conn, learner_id) {
            Ok(_) => {}
            Err(Error::NotFound(_)) => {
                return Err(Error::invalid("person_id", "there is no person with this id"))
            }
            Err(other) => return Err(other),
        }
        return match cohort_id {
            Some(cohort_id) if cohorts::enrolment_of(conn, cohort_id, learner_id)?.is_some() => {
                Ok(Some(cohort_id.into()))
            }
            Some(_) => Err(Error::invalid(
                "cohort_id",
                "the learner is not enrolled in this cohort",
            )),
            None => cohorts::latest_cohort_of(conn, learner_id),
        };
    }
    const ONLY_STAFF: &str = "Only an administrator or the learner's tutor can add a placement.";
    let Some(tutor) = caller.person_id() else {
        return Err(Error::NotAllowed(ONLY_STAFF));
    };
    let shared = cohorts::shared_by_tutor_and_learner(conn, tutor, learner_id)?;
    match cohort_id {
        Some(wanted) if shared.iter().any(|c| c == wanted) => Ok(Some(wanted.into())),
        Some(_) => Err(Error::NotAllowed(ONLY_STAFF)),
        None => shared
            .into_iter()
            .next()
            .map(Some)
            .ok_or(Error::NotAllowed(ONLY_STAFF)),
    }
}

/// The cohorts whose records of this learner the caller may see: `None` for every cohort
/// (administrators and the learner themselves), otherwise the ones the caller teaches and the
/// learner is in; [`Error::NotFound`] when there are none (anyone else may not know the
/// learner exists).
pub fn cohorts_in_sight(
    conn: &mut DbConnection,
    caller: &Caller,
    learner_id: &str,
) -> Result<Option<Vec<String>>> {
    people::get(conn, learner_id).map_err(|_| Error::NotFound("person"))?;
    if caller.is_admin() || caller.is(learner_id) {
        return Ok(None);
    }
    let shared = match caller.person_id() {
        Some(viewer) => cohorts::shared_by_tutor_and_learner(conn, viewer, learner_id)?,
        None => Vec::new(),
    };
    if shared.is_empty() {
        Err(Error::NotFound("person"))
    } else {
        Ok(Some(shared))
    }
}

/// Who the caller is to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateRole {
    /// An administrator.
    Admin,
    /// The person it was issued to.
    Holder,
    /// A tutor of the cohort it was issued for.
    Tutor,
}

/// The caller's role to a certificate; [`Error::NotFound`] when they have none.
pub fn certificate_role(
    conn: &mut DbConnection,
    caller: &Caller,
    certificate: &crate::store::certificates::Certificate,
) -> Result<CertificateRole> {
    if caller.is_admin() {
        return Ok(CertificateRole::Admin);
    }
    if caller.is(&certificate.person_id) {
        return Ok(CertificateRole::Holder);
    }
    if let (Some(viewer), Some(cohort_id)) = (caller.person_id(), &certificate.cohort_id) {
        if cohorts::is_tutor(conn, cohort_id, viewer)? {
            return Ok(CertificateRole::Tutor);
        }
    }
    Err(Error::NotFound("certificate"))
}

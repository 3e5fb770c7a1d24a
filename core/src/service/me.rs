//! A person's own records: their progress in each cohort, their continuing development, and
//! their email preferences.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::Caller;
use crate::domain::input::{Checks, NAME_MAX};
use crate::service::progress::{self, LearnerProgress};
use crate::store::cohorts::{self, Cohort};
use crate::store::cpd;
pub use crate::store::cpd::CpdRecord;
use crate::store::people::{self, Person};
use crate::store::placements::{self, Placement, SupervisionSession};
use crate::store::programmes::{self, ProgrammeVersion};
use crate::store::{audit, new_id, stored, DbConnection};
use crate::Result;

/// The caller's own record.
pub fn profile(conn: &mut DbConnection, caller: &Caller) -> Result<Person> {
    let me = caller.require_person()?;
    people::get(conn, me)
}

/// Corrects the caller's own name, as they write it in any script; partners they share with
/// hear of it (see [`crate::service::people`]). Returns their record.
pub fn rename(conn: &mut DbConnection, caller: &Caller, name: &str, now: DateTime<Utc>) -> Result<Person> {
    let me = caller.require_person()?;
    Checks::new().name("name", name, NAME_MAX).finish()?;
    let person = people::get(conn, me)?;
    crate::service::people::rename(conn, caller, &person, name, now)?;
    people::get(conn, me)
}

/// Where the caller stands in each cohort they are in, most recent enrolment first.
pub fn progress(
    conn: &mut DbConnection,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<(Cohort, ProgrammeVersion, LearnerProgress)>> {
    let me = caller.require_person()?;
    let mut enrolments = cohorts::enrolments_of_person(conn, me)?;
    enrolments.reverse();
    let mut cohorts_and_versions = Vec::with_capacity(enrolments.len());
    for enrolment in &enrolments {
        let cohort = cohorts::get(conn, &enrolment.cohort_id)?;
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        cohorts_and_versions.push((cohort, version));
    }
    // Every cohort's progress in one round of queries, not one round per cohort.
    let pairs: Vec<_> = enrolments
        .iter()
        .zip(&cohorts_and_versions)
        .map(|(enrolment, (_, version))| (enrolment, version))
        .collect();
    let progress = progress::learners_progress(conn, &pairs, now)?;
    Ok(cohorts_and_versions
        .into_iter()
        .zip(progress)
        .map(|((cohort, version), learner)| (cohort, version, learner))
        .collect())
}

/// What the caller is in Peertrack (a person can be several at once): what their home page offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// Enrolled in a cohort: a learner (peer worker in training).
    pub learner: bool,
    /// Tutors a cohort.
    pub tutor: bool,
    /// Supervises a placement.
    pub supervisor: bool,
    /// Administers Peertrack.
    pub admin: bool,
    /// Holds a certificate.
    pub certified: bool,
}

/// What the caller is, with their own record.
pub fn roles(conn: &mut DbConnection, caller: &Caller) -> Result<(Person, Roles)> {
    let me = caller.require_person()?;
    let person = people::get(conn, me)?;
    let roles = Roles {
        learner: !cohorts::enrolments_of_person(conn, me)?.is_empty(),
        tutor: cohorts::tutored_by(conn, me)?,
        supervisor: !placements::supervised_by(conn, me)?.is_empty(),
        admin: person.is_admin,
        certified: !crate::store::certificates::of_person(conn, me)?.is_empty(),
    };
    Ok((person, roles))
}

/// One of the caller's placements as they see it: where, who supervises, and every
/// supervision session logged in it (with the notes, which are theirs to read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyPlacement {
    /// The placement.
    pub placement: Placement,
    /// The host organisation's name.
    pub host: String,
    /// The supervisor's name.
    pub supervisor: String,
    /// Supervision logged in it, by date.
    pub supervision: Vec<SupervisionSession>,
}

/// The caller's placements, newest first, with their supervision.
pub fn placements(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<MyPlacement>> {
    let me = caller.require_person()?;
    let mut found = Vec::new();
    for placement in placements::placements_of(conn, me)?.into_iter().rev() {
        let host = crate::store::organisations::get(conn, &placement.organisation_id)?.name;
        let supervisor = people::get(conn, &placement.supervisor_id)?
            .display_name()
            .to_string();
        let supervision = placements::supervision_of_placement(conn, &placement.id)?;
        found.push(MyPlacement {
            placement,
            host,
            supervisor,
            supervision,
        });
    }
    Ok(found)
}

/// A piece of continuing development as a peer worker logs it.
#[derive(Debug, Clone)]
pub struct NewCpd {
    /// When completed; not in the future.
    pub completed_on: chrono::NaiveDate,
    /// How long, in hours.
    pub hours: f64,
    /// Category, e.g. `ethics`.
    pub category: String,
    /// What it was.
    pub title: String,
}

/// Logs the caller's continuing development.
pub fn log_cpd(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewCpd,
    now: DateTime<Utc>,
) -> Result<CpdRecord> {
    let me = caller.require_person()?;
    let category = new.category.trim().to_lowercase().replace(' ', "_");
    let mut checks = Checks::new();
    checks
        .date("completed_on", new.completed_on)
        .name("category", &category, 50)
        .name("title", &new.title, NAME_MAX);
    if checks.passed() && new.completed_on > now.date_naive() {
        checks.fail("completed_on", "cannot be in the future");
    }
    checks.require(
        (0.25..=100.0).contains(&new.hours),
        "hours",
        "must be between 0.25 and 100 hours",
    );
    checks.finish()?;
    let now = stored(now);
    let record = CpdRecord {
        id: new_id(),
        person_id: me.to_string(),
        completed_on: new.completed_on,
        minutes: (new.hours * 60.0).round() as i32,
        category,
        title: new.title.trim().to_string(),
        created_at: now,
    };
    cpd::log(conn, &record)?;
    audit::record(
        conn,
        &caller.actor(),
        "cpd.logged",
        ("cpd", &record.id),
        json!({ "minutes": record.minutes, "category": record.category }),
        now,
    )?;
    Ok(record)
}

/// The caller's continuing development, by date.
pub fn cpd(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<CpdRecord>> {
    let me = caller.require_person()?;
    cpd::of_person(conn, me)
}

/// Turns the caller's reminders and other optional emails on or off.
pub fn set_reminders(conn: &mut DbConnection, caller: &Caller, on: bool, now: DateTime<Utc>) -> Result<()> {
    let me = caller.require_person()?;
    people::set_reminders(conn, me, on)?;
    audit::record(
        conn,
        &caller.actor(),
        "preferences.changed",
        ("person", me),
        json!({ "reminders": on }),
        stored(now),
    )
}

//! Cohorts: creating them, their sessions, enrolling learners, and how each learner stands.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;

use crate::access::{self, Caller};
use crate::domain::input::{Checks, EMAIL_MAX, NAME_MAX};
use crate::notify;
use crate::service::progress::{self, LearnerProgress};
use crate::store::audit;
use crate::store::cohorts;
pub use crate::store::cohorts::{Cohort, Enrolment, Session};
use crate::store::people;
pub use crate::store::people::Person;
use crate::store::{new_id, organisations, programmes, stored, DbConnection};
use crate::{Error, Result};

mod changes;
pub use changes::*;
mod tutors;
pub use tutors::*;
mod enrol_many;
pub use enrol_many::*;
mod overview;
pub use overview::*;

/// The longest a session may last.
pub const LONGEST_SESSION: Duration = Duration::hours(24);

/// What an administrator asks for when creating a cohort.
#[derive(Debug, Clone)]
pub struct NewCohort {
    /// The programme's code; the cohort follows its current version.
    pub programme_code: String,
    /// The delivering organisation.
    pub organisation_id: String,
    /// The cohort's name.
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, on or after the first.
    pub ends_on: NaiveDate,
    /// Tutors by email; new addresses get accounts.
    pub tutor_emails: Vec<String>,
}

impl NewCohort {
    /// Every rule the input itself must meet.
    pub fn check(&self) -> Result<()> {
        let mut checks = Checks::new();
        checks
            .name("name", &self.name, NAME_MAX)
            .date("starts_on", self.starts_on)
            .date("ends_on", self.ends_on);
        if checks.passed() && self.ends_on < self.starts_on {
            checks.fail("ends_on", "must be on or after starts_on");
        }
        if self
            .tutor_emails
            .iter()
            .any(|e| !crate::domain::input::is_email_address(e.trim()) || e.len() > EMAIL_MAX)
        {
            checks.fail("tutor_emails", "every entry must be an email address");
        }
        checks.finish()
    }
}

/// A cohort with what people read about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortDetails {
    /// The cohort.
    pub cohort: Cohort,
    /// Its programme's code.
    pub programme_code: String,
    /// Its programme's title.
    pub programme_title: String,
    /// The programme version it follows.
    pub programme_version: u32,
    /// Its tutors, by name.
    pub tutors: Vec<Person>,
}

fn details(conn: &mut DbConnection, cohort: Cohort) -> Result<CohortDetails> {
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let tutors = cohorts::tutors(conn, &cohort.id)?;
    Ok(CohortDetails {
        programme_code: version.definition.code,
        programme_title: version.definition.title,
        programme_version: version.definition.version,
        tutors,
        cohort,
    })
}

/// Creates a cohort on the programme's current version, with its tutors. Administrators only.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: &NewCohort,
    now: DateTime<Utc>,
) -> Result<CohortDetails> {
    caller.require_admin()?;
    new.check()?;
    let now = stored(now);
    let version = match programmes::current(conn, &new.programme_code) {
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid(
                "programme_code",
                "there is no programme with this code",
            ))
        }
        other => other?,
    };
    if let Err(Error::NotFound(_)) = organisations::get(conn, &new.organisation_id) {
        return Err(Error::invalid(
            "organisation_id",
            "there is no organisation with this id",
        ));
    }
    let mut tutor_ids = Vec::new();
    for email in &new.tutor_emails {
        let email = email.trim();
        let placeholder = email.split('@').next().unwrap_or(email);
        let (tutor, _) = people::find_or_create(conn, email, placeholder, now)?;
        tutor_ids.push(tutor.id);
    }
    let cohort = Cohort {
        id: new_id(),
        programme_version_id: version.version_id,
        organisation_id: new.organisation_id.clone(),
        name: new.name.trim().to_string(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
    };
    cohorts::create(conn, &cohort, &tutor_ids)?;
    audit::record(
        conn,
        &caller.actor(),
        "cohort.created",
        ("cohort", &cohort.id),
        json!({ "name": cohort.name, "programme_code": new.programme_code, "tutors": tutor_ids }),
        now,
    )?;
    details(conn, cohort)
}

/// The cohorts the caller may see, in id order after `after`: every one for administrators,
/// those they tutor or learn in for others. At most `limit`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CohortDetails>> {
    let visible_to = (!caller.is_admin()).then(|| caller.person_id().unwrap_or_default());
    cohorts::list(conn, visible_to, after, limit)?
        .into_iter()
        .map(|cohort| details(conn, cohort))
        .collect()
}

/// One cohort, for its administrators, tutors and learners.
pub fn get(conn: &mut DbConnection, caller: &Caller, cohort_id: &str) -> Result<CohortDetails> {
    access::cohort_role(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    details(conn, cohort)
}

/// What a tutor sends to add a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its title.
    pub title: String,
    /// The module it teaches, if one; must be a module of the cohort's programme.
    pub module_code: Option<String>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, after the start and at most [`LONGEST_SESSION`] later.
    pub ends_at: DateTime<Utc>,
}

impl NewSession {
    /// Every rule the input itself must meet.
    pub fn check(&self) -> Result<()> {
        let mut checks = Checks::new();
        checks
            .name("title", &self.title, NAME_MAX)
            .date("starts_at", self.starts_at.date_naive())
            .date("ends_at", self.ends_at.date_naive());
        if checks.passed() {
            if self.ends_at <= self.starts_at {
                checks.fail("ends_at", "must be after starts_at");
            } else if self.ends_at - self.starts_at > LONGEST_SESSION {
                checks.fail("ends_at", "a session lasts at most 24 hours");
            }
        }
        checks.finish()
    }
}

/// Adds a session to a cohort; its tutors and administrators may.
pub fn add_session(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    new: &NewSession,
    now: DateTime<Utc>,
) -> Result<Session> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    new.check()?;
    let now = stored(now);
    let cohort = cohorts::get(conn, cohort_id)?;
    if let Some(code) = &new.module_code {
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        if !version.definition.modules.iter().any(|m| &m.code == code) {
            return Err(Error::invalid(
                "module_code",
                "is not a module of this cohort's programme",
            ));
        }
    }
    let session = Session {
        id: new_id(),
        cohort_id: cohort.id.clone(),
        module_code: new.module_code.clone(),
        title: new.title.trim().to_string(),
        starts_at: stored(new.starts_at),
        ends_at: stored(new.ends_at),
        register_version: 0,
        created_at: now,
        cancelled_at: None,
        cancel_reason: None,
    };
    cohorts::add_session(conn, &session)?;
    audit::record(
        conn,
        &caller.actor(),
        "session.created",
        ("session", &session.id),
        json!({ "cohort_id": cohort.id, "title": session.title }),
        now,
    )?;
    Ok(session)
}

/// A cohort's sessions in time order after the (start, id) position `after`, for its
/// administrators, tutors and learners. At most `limit`.
pub fn sessions(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Session>> {
    access::cohort_role(conn, caller, cohort_id)?;
    cohorts::sessions(conn, cohort_id, after, limit)
}

/// A learner as a tutor enrols them.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    /// Their email address; a new address gets an account.
    pub email: String,
    /// Their name as they would like it on their certificate.
    pub name: String,
    /// From when sessions count for them (default today).
    pub enrolled_on: Option<NaiveDate>,
}

impl NewEnrolment {
    /// Every rule the input itself must meet.
    pub fn check(&self) -> Result<()> {
        let mut checks = Checks::new();
        checks
            .email("email", &self.email)
            .name("name", &self.name, NAME_MAX);
        if let Some(on) = self.enrolled_on {
            checks.date("enrolled_on", on);
        }
        checks.finish()
    }
}

/// Enrols a learner by email (adding them if new) and queues their welcome email; the
/// cohort's tutors and administrators may, tutors only until the cohort ends. Sessions count
/// for them from `enrolled_on` (default today), which may be neither after the cohort ends
/// nor, when given, before it starts. The answer tells the caller nothing they did not
/// type: an existing person's stored name stays theirs to see.
pub fn enrol(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    new: &NewEnrolment,
    now: DateTime<Utc>,
) -> Result<(Enrolment, Person)> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    new.check()?;
    let cohort = cohorts::get(conn, cohort_id)?;
    let today = now.date_naive();
    may_enrol(caller, &cohort, today)?;
    let enrolled_on = new.enrolled_on.unwrap_or(today);
    if enrolled_on > cohort.ends_on {
        return Err(Error::invalid("enrolled_on", "must not be after the cohort ends"));
    }
    if new.enrolled_on.is_some_and(|on| on < cohort.starts_on) {
        return Err(Error::invalid(
            "enrolled_on",
            "must not be before the cohort starts",
        ));
    }
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let (email, name) = (new.email.trim(), new.name.trim());
    enrol_checked(
        conn,
        caller,
        &cohort,
        &version.definition.title,
        email,
        name,
        enrolled_on,
        stored(now),
    )
}

/// Enrols one learner whose input and cohort were checked, in the caller's transaction: finds
/// or adds the person, enrols them, and records and emails it.
#[allow(clippy::too_many_arguments)]
fn enrol_checked(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort: &Cohort,
    programme_title: &str,
    email: &str,
    name: &str,
    enrolled_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<(Enrolment, Person)> {
    let (person, _) = people::find_or_create(conn, email, name, now)?;
    let enrolment = cohorts::enrol(conn, &cohort.id, &person.id, enrolled_on, now)?;
    audit::record(
        conn,
        &caller.actor(),
        "enrolment.created",
        ("cohort", &cohort.id),
        json!({ "person_id": person.id, "enrolled_on": enrolled_on }),
        now,
    )?;
    notify::queue_email(
        conn,
        format!("enrolment:{}", enrolment.id),
        notify::Email::Enrolment,
        &person,
        json!({
            "name": person.display_name(),
            "cohort_name": cohort.name,
            "programme_title": programme_title,
            "starts_on": cohort.starts_on,
            "ends_on": cohort.ends_on,
            "enrolled_on": enrolled_on,
        }),
        now,
    )?;
    Ok((enrolment, person))
}

/// One learner of a cohort with their enrolment (withdrawn or not), and the cohort; for its
/// tutors and administrators.
pub fn learner(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    person_id: &str,
) -> Result<(Cohort, Enrolment, Person)> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let enrolment = cohorts::enrolment_of(conn, cohort_id, person_id)?.ok_or(Error::NotFound("enrolment"))?;
    Ok((
        cohorts::get(conn, cohort_id)?,
        enrolment,
        people::get(conn, person_id)?,
    ))
}

/// Tutors may enrol learners until the cohort ends; administrators at any time.
fn may_enrol(caller: &Caller, cohort: &Cohort, today: NaiveDate) -> Result<()> {
    if !caller.is_admin() && today > cohort.ends_on {
        return Err(Error::NotAllowed(
            "This cohort has ended, so its tutors can no longer enrol learners; an administrator can.",
        ));
    }
    Ok(())
}

/// A cohort's learners with their enrolments, by name; for its tutors and administrators.
pub fn learners(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
) -> Result<Vec<(Enrolment, Person)>> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    cohorts::learners(conn, cohort_id)
}

/// Every learner of a cohort with their progress, by name; for its tutors and administrators.
pub fn progress(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(Person, LearnerProgress)>> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    progress::cohort_progress(conn, &cohort, now)
}

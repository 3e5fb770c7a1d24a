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
    if !caller.is_admin() && today > cohort.ends_on {
        return Err(Error::NotAllowed(
            "This cohort has ended, so its tutors can no longer enrol learners; an administrator can.",
        ));
    }
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
    let now = stored(now);
    let (person, _) = people::find_or_create(conn, new.email.trim(), new.name.trim(), now)?;
    let enrolment = cohorts::enrol(conn, &cohort.id, &person.id, enrolled_on, now)?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
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
            "programme_title": version.definition.title,
            "starts_on": cohort.starts_on,
            "ends_on": cohort.ends_on,
            "enrolled_on": enrolled_on,
        }),
        now,
    )?;
    Ok((enrolment, person))
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

/// What may change about a cohort; what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct CohortChange {
    /// A new name (its tutors may change this).
    pub name: Option<String>,
    /// A new first day (administrators only).
    pub starts_on: Option<NaiveDate>,
    /// A new last day (administrators only).
    pub ends_on: Option<NaiveDate>,
    /// Its tutors, all of them, by email (administrators only): new addresses get accounts,
    /// tutors left out stop being its tutors.
    pub tutor_emails: Option<Vec<String>>,
}

/// Changes a cohort. Administrators may change everything; its tutors may rename it, and get
/// [`Error::NotAllowed`] for any other change (sending a field unchanged is no change). The
/// dates stay in order, and keep every session held (not cancelled) that was within them and
/// every learner's enrolment date. A tutor taken off loses access from their next request.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    change: &CohortChange,
    now: DateTime<Utc>,
) -> Result<CohortDetails> {
    let role = access::require_cohort_staff(conn, caller, cohort_id)?;
    let mut asked = Checks::new();
    asked.require(
        change.name.is_some()
            || change.starts_on.is_some()
            || change.ends_on.is_some()
            || change.tutor_emails.is_some(),
        "name",
        "give the name, starts_on, ends_on or tutor_emails to change",
    );
    asked.finish()?;
    let before = cohorts::get(conn, cohort_id)?;
    let tutors_before = cohorts::tutors(conn, cohort_id)?;
    let emails_before: std::collections::BTreeSet<String> =
        tutors_before.iter().filter_map(|t| t.email.clone()).collect();
    let emails_after: Option<std::collections::BTreeSet<String>> = change
        .tutor_emails
        .as_ref()
        .map(|emails| emails.iter().map(|e| people::normalise_email(e)).collect());
    let tutors_change = emails_after.as_ref().is_some_and(|after| *after != emails_before);
    let dates_change = change.starts_on.is_some_and(|d| d != before.starts_on)
        || change.ends_on.is_some_and(|d| d != before.ends_on);
    if role != access::CohortRole::Admin && (tutors_change || dates_change) {
        return Err(Error::NotAllowed(
            "A cohort's tutors can rename it; its dates and tutors are changed by an administrator.",
        ));
    }
    let after = Cohort {
        name: change
            .name
            .as_deref()
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| before.name.clone()),
        starts_on: change.starts_on.unwrap_or(before.starts_on),
        ends_on: change.ends_on.unwrap_or(before.ends_on),
        ..before.clone()
    };
    let mut checks = Checks::new();
    checks
        .name("name", &after.name, NAME_MAX)
        .date("starts_on", after.starts_on)
        .date("ends_on", after.ends_on);
    if checks.passed() && after.ends_on < after.starts_on {
        checks.fail("ends_on", "must be on or after starts_on");
    }
    if change
        .tutor_emails
        .iter()
        .flatten()
        .any(|e| !crate::domain::input::is_email_address(e.trim()) || e.len() > EMAIL_MAX)
    {
        checks.fail("tutor_emails", "every entry must be an email address");
    }
    checks.finish()?;
    if dates_change {
        check_dates_keep_records(conn, &before, &after)?;
    }
    let now = stored(now);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    if let (Some(after_emails), true) = (&emails_after, tutors_change) {
        for email in after_emails.difference(&emails_before) {
            let placeholder = email.split('@').next().unwrap_or(email);
            let (tutor, _) = people::find_or_create(conn, email, placeholder, now)?;
            cohorts::add_tutor(conn, cohort_id, &tutor.id)?;
            added.push(tutor.id);
        }
        for tutor in &tutors_before {
            if tutor.email.as_ref().is_none_or(|e| !after_emails.contains(e)) {
                cohorts::remove_tutor(conn, cohort_id, &tutor.id)?;
                removed.push(tutor.id.clone());
            }
        }
    }
    if after != before {
        cohorts::update(conn, &after)?;
    }
    if after != before || !added.is_empty() || !removed.is_empty() {
        audit::record(
            conn,
            &caller.actor(),
            "cohort.changed",
            ("cohort", cohort_id),
            json!({
                "from": {"name": before.name, "starts_on": before.starts_on, "ends_on": before.ends_on},
                "to": {"name": after.name, "starts_on": after.starts_on, "ends_on": after.ends_on},
                "tutors_added": added,
                "tutors_removed": removed,
            }),
            now,
        )?;
    }
    details(conn, after)
}

/// New dates must keep what the old ones held: every session held (not cancelled) within the
/// old dates, and every learner's enrolment date (which is never after the cohort ends).
fn check_dates_keep_records(conn: &mut DbConnection, before: &Cohort, after: &Cohort) -> Result<()> {
    let held = cohorts::held_sessions_between(conn, &before.id, before.starts_on, before.ends_on)?;
    let mut checks = Checks::new();
    if let Some(first_start) = held.first() {
        if after.starts_on > first_start.date() {
            checks.fail(
                "starts_on",
                format!(
                    "must be on or before {}, the day of the first session; move or cancel that session first",
                    first_start.date()
                ),
            );
        }
    }
    if let Some(last_day) = held.last().map(|start| start.date()) {
        if after.ends_on < last_day {
            checks.fail(
                "ends_on",
                format!(
                    "must be on or after {last_day}, the day of the last session; move or cancel that session first"
                ),
            );
        }
    }
    if checks.passed() {
        if let Some(latest) = cohorts::latest_enrolled_on(conn, &before.id)? {
            if after.ends_on < latest {
                checks.fail(
                    "ends_on",
                    format!("must be on or after {latest}, the day a learner's place counts from"),
                );
            }
        }
    }
    checks.finish()
}

/// Records that a learner left a cohort, with the reason (its tutors and administrators). Their
/// history stays: marks on registers before they left, modules achieved (which count in a
/// later cohort of the same programme). They are on no later register, no certificate is
/// issued from this cohort, and they get no more reminders for it. A learner who already left
/// stays as they were ([`Error::Conflict`]).
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    person_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(Enrolment, Person)> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let Some(enrolment) = cohorts::enrolment_of(conn, cohort_id, person_id)? else {
        return Err(Error::NotFound("enrolment"));
    };
    Checks::new()
        .reason("reason", reason, crate::service::sessions::REASON_MAX)
        .finish()?;
    let reason = reason.trim();
    let now = stored(now);
    if !cohorts::withdraw(conn, &enrolment.id, reason, now)? {
        return Err(Error::Conflict(
            "This learner has already left the cohort.".into(),
        ));
    }
    audit::record(
        conn,
        &caller.actor(),
        "enrolment.withdrawn",
        ("cohort", cohort_id),
        json!({ "person_id": person_id, "reason": reason }),
        now,
    )?;
    let enrolment = cohorts::enrolment_of(conn, cohort_id, person_id)?.ok_or(Error::NotFound("enrolment"))?;
    let person = people::get(conn, person_id)?;
    Ok((enrolment, person))
}

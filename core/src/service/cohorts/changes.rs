//! Correcting a cohort (its name, dates and tutors) and a learner leaving it.

use super::*;

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

//! Adding one tutor to a cohort, or taking one off, by email: the administration pages' way of
//! changing a cohort's tutors, through [`update`] (the API sends the whole list instead).

use super::*;

/// Adds the person with this email as a tutor of the cohort (a new address gets an account, as
/// over the API); adding a tutor twice changes nothing. Administrators only.
pub fn add_tutor(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<CohortDetails> {
    caller.require_admin()?;
    Checks::new().email("email", email).finish()?;
    let mut emails = tutor_emails(conn, cohort_id)?;
    emails.push(email.trim().to_string());
    set_tutors(conn, caller, cohort_id, emails, now)
}

/// Takes the tutor with this email off the cohort; they lose access from their next request.
/// Administrators only.
pub fn remove_tutor(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<CohortDetails> {
    caller.require_admin()?;
    let wanted = people::normalise_email(email);
    let emails = tutor_emails(conn, cohort_id)?
        .into_iter()
        .filter(|e| *e != wanted)
        .collect();
    set_tutors(conn, caller, cohort_id, emails, now)
}

fn tutor_emails(conn: &mut DbConnection, cohort_id: &str) -> Result<Vec<String>> {
    cohorts::get(conn, cohort_id)?;
    Ok(cohorts::tutors(conn, cohort_id)?
        .into_iter()
        .filter_map(|t| t.email)
        .collect())
}

fn set_tutors(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    emails: Vec<String>,
    now: DateTime<Utc>,
) -> Result<CohortDetails> {
    let change = CohortChange {
        tutor_emails: Some(emails),
        ..CohortChange::default()
    };
    update(conn, caller, cohort_id, &change, now)
}

//! People: their eligibility for a programme's certificate, as the people who may read it see it.

use chrono::{DateTime, Utc};

use crate::access::{self, Caller};
use crate::service::progress::{self, ProgrammeEligibility};
use crate::store::{people, DbConnection};
use crate::{Error, Result};

/// A person's eligibility for a programme's certificate: every requirement, met or not. For
/// the person themselves and administrators; for their tutors, judged within the cohorts they
/// teach; anyone else (a supervisor too) may not know the person exists.
pub fn eligibility(
    conn: &mut DbConnection,
    caller: &Caller,
    person_id: &str,
    programme_code: &str,
    now: DateTime<Utc>,
) -> Result<ProgrammeEligibility> {
    // A tutor sees the learner's record in the cohorts they teach, and nothing from others.
    let within = access::cohorts_in_sight(conn, caller, person_id)?;
    match progress::eligibility_for(conn, person_id, programme_code.trim(), within.as_deref(), now) {
        Err(Error::NotFound(_)) => Err(Error::invalid(
            "programme",
            "there is no programme with this code",
        )),
        other => other,
    }
}

/// Makes the person with this email an administrator, adding them if new; the operator at the
/// command line, or another administrator, may. Returns their id.
pub fn make_admin(
    conn: &mut DbConnection,
    caller: &Caller,
    email: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    caller.require_admin()?;
    crate::domain::input::Checks::new()
        .email("email", email)
        .name("name", name, crate::domain::input::NAME_MAX)
        .finish()?;
    let now = crate::store::stored(now);
    let (person, _) = people::find_or_create(conn, email.trim(), name.trim(), now)?;
    people::set_admin(conn, &person.id, true)?;
    crate::store::audit::record(
        conn,
        &caller.actor(),
        "person.made_admin",
        ("person", &person.id),
        serde_json::json!({}),
        now,
    )?;
    Ok(person.id)
}

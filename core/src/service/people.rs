//! People: their eligibility for a programme's certificate, as the people who may read it see
//! it; correcting their name and email address; finding them.

use chrono::{DateTime, Utc};

use crate::access::{self, Caller};
use crate::domain::input::{Checks, NAME_MAX};
use crate::service::progress::{self, ProgrammeEligibility};
use crate::service::webhooks;
use crate::store::people::Person;
use crate::store::{changes, people, DbConnection};
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

/// Corrects a person's name (as typed, in any script; surrounding spaces aside), in the
/// caller's transaction: the audit record says what changed, not the names (the trail outlives
/// erasure), and partners who may see the person hear of it in the change feed
/// (`person_renamed`) and by webhook. Returns whether the name changed.
pub(crate) fn rename(
    conn: &mut DbConnection,
    caller: &Caller,
    person: &Person,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let name = name.trim();
    if person.name.as_deref() == Some(name) {
        return Ok(false);
    }
    let now = crate::store::stored(now);
    people::rename(conn, &person.id, name)?;
    crate::store::audit::record(
        conn,
        &caller.actor(),
        "person.renamed",
        ("person", &person.id),
        serde_json::json!({ "fields": ["name"] }),
        now,
    )?;
    let event = changes::person_changed(conn, changes::kind::PERSON_RENAMED, &person.id, now)?;
    webhooks::announce(conn, &event, now)?;
    Ok(true)
}

/// A correction to a person's details; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    /// Their name, as they write it.
    pub name: Option<String>,
    /// Their email address.
    pub email: Option<String>,
}

/// Corrects a person's name or email address; administrators only. An address another person
/// uses is refused naming `email`; the details of an erased person cannot be corrected.
pub fn correct(
    conn: &mut DbConnection,
    caller: &Caller,
    person_id: &str,
    correction: &Correction,
    now: DateTime<Utc>,
) -> Result<Person> {
    caller.require_admin()?;
    let mut checks = Checks::new();
    checks.require(
        correction.name.is_some() || correction.email.is_some(),
        "name",
        "give the name or the email address to correct",
    );
    if let Some(name) = &correction.name {
        checks.name("name", name, NAME_MAX);
    }
    if let Some(email) = &correction.email {
        checks.email("email", email);
    }
    checks.finish()?;
    let person = people::get(conn, person_id)?;
    if person.erased_at.is_some() {
        return Err(Error::Conflict(
            "this person's details were erased at their request, so there is nothing to correct".into(),
        ));
    }
    if let Some(name) = &correction.name {
        rename(conn, caller, &person, name, now)?;
    }
    if let Some(email) = &correction.email {
        if person.email.as_deref() != Some(people::normalise_email(email).as_str()) {
            people::set_email(conn, &person.id, email)?;
            crate::store::audit::record(
                conn,
                &caller.actor(),
                "person.email_corrected",
                ("person", &person.id),
                serde_json::json!({ "fields": ["email"] }),
                crate::store::stored(now),
            )?;
        }
    }
    people::get(conn, person_id)
}

/// How many people a search reads at a time.
const SEARCH_BATCH: i64 = 500;

/// The form of a text that a search compares: lower case in every script (Unicode's rules, not
/// the database's, which on SQLite only know A to Z), with the Greek final sigma read as sigma.
pub fn search_form(text: &str) -> String {
    text.to_lowercase().replace('ς', "σ")
}

/// People (not erased) whose name or email address contains `q`, ignoring case in any script,
/// in id order after person `after`; administrators only. The comparison is made here rather
/// than in SQL so that it is the same on SQLite and PostgreSQL for every script; it reads the
/// people table in batches, which suits the thousands of people a Peertrack holds.
pub fn search(
    conn: &mut DbConnection,
    caller: &Caller,
    q: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Person>> {
    caller.require_admin()?;
    Checks::new().name("q", q, NAME_MAX).finish()?;
    let wanted = search_form(q.trim());
    let limit = usize::try_from(limit).unwrap_or(0);
    let mut found = Vec::new();
    let mut cursor = after.map(str::to_string);
    loop {
        let batch = people::batch_after(conn, cursor.as_deref(), SEARCH_BATCH)?;
        let Some(last) = batch.last() else { break };
        cursor = Some(last.id.clone());
        let full = batch.len() as i64 == SEARCH_BATCH;
        for person in batch {
            let matches = [&person.name, &person.email]
                .into_iter()
                .flatten()
                .any(|text| search_form(text).contains(&wanted));
            if matches {
                found.push(person);
                if found.len() >= limit {
                    return Ok(found);
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(found)
}

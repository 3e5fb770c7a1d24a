//! What the administration pages read: organisations with their partner keys, every cohort,
//! every programme with its versions, the emails that failed, and one person's record. Each
//! read is for administrators only, so that a page under `/admin/` refuses everyone else here,
//! in core, even where the same facts are readable elsewhere (programmes, organisations).

use chrono::NaiveDate;

use crate::access::Caller;
use crate::service::cohorts::{self, CohortDetails};
use crate::store::certificates::{self, Certificate};
use crate::store::organisations::{self, Organisation};
use crate::store::outbox::OutboxMessage;
use crate::store::people::{self, Person};
use crate::store::programmes::{self, ProgrammeVersion};
use crate::store::tokens::{self, ApiKey};
use crate::store::{cohorts as cohort_rows, delivery, placements, DbConnection};
use crate::Result;

/// The most organisations the administration page lists (a Peertrack works with dozens).
pub const ORGANISATIONS_SHOWN: i64 = 500;

/// What the front page of the administration says needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overview {
    /// Emails that failed for good and wait for a retry.
    pub failed_emails: i64,
}

/// The front page's figures; administrators only.
pub fn overview(conn: &mut DbConnection, caller: &Caller) -> Result<Overview> {
    caller.require_admin()?;
    let failed_emails = delivery::failed_email_count(conn)?;
    Ok(Overview { failed_emails })
}

/// An organisation with every API key its systems have had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationKeys {
    /// The organisation.
    pub organisation: Organisation,
    /// Its keys, revoked ones included, oldest first.
    pub keys: Vec<ApiKey>,
}

/// Every organisation by name (at most [`ORGANISATIONS_SHOWN`]) with its API keys;
/// administrators only.
pub fn organisations(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<OrganisationKeys>> {
    caller.require_admin()?;
    organisations::list(conn, None, ORGANISATIONS_SHOWN)?
        .into_iter()
        .map(|organisation| {
            let keys = tokens::api_keys_of(conn, &organisation.id)?;
            Ok(OrganisationKeys { organisation, keys })
        })
        .collect()
}

/// Every cohort in id order after `after`, at most `limit`, with the organisations to choose
/// from for a new one; administrators only.
pub fn cohorts(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<CohortDetails>, Vec<Organisation>)> {
    caller.require_admin()?;
    let cohorts = cohorts::list(conn, caller, after, limit)?;
    let organisations = organisations::list(conn, None, ORGANISATIONS_SHOWN)?;
    Ok((cohorts, organisations))
}

/// Every programme with each of its published versions, newest first; administrators only.
pub fn programmes(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<Vec<ProgrammeVersion>>> {
    caller.require_admin()?;
    programmes::list_current(conn)?
        .into_iter()
        .map(|current| programmes::versions_of(conn, &current.definition.code))
        .collect()
}

/// Emails (not webhooks) that failed for good, in queue order after `after`; administrators.
pub fn failed_emails(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxMessage>> {
    caller.require_admin()?;
    delivery::failed_emails(conn, after, limit)
}

/// A cohort a person is in, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCohort {
    /// The cohort's id.
    pub cohort_id: String,
    /// Its name.
    pub name: String,
    /// Its first day.
    pub starts_on: NaiveDate,
    /// Its last day.
    pub ends_on: NaiveDate,
    /// For a learner, their enrolment's status (active, completed, withdrawn); `None` for a
    /// tutor.
    pub enrolment_status: Option<String>,
}

/// What an administrator sees of a person: their details and what they are in Peertrack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The person.
    pub person: Person,
    /// The cohorts they learn in.
    pub learning: Vec<PersonCohort>,
    /// The cohorts they tutor.
    pub tutoring: Vec<PersonCohort>,
    /// How many placements they supervise.
    pub supervising: usize,
    /// Their certificates.
    pub certificates: Vec<Certificate>,
}

/// One person's record; administrators only.
pub fn person(conn: &mut DbConnection, caller: &Caller, person_id: &str) -> Result<PersonRecord> {
    caller.require_admin()?;
    let person = people::get(conn, person_id)?;
    let mut learning = Vec::new();
    for enrolment in cohort_rows::enrolments_of_person(conn, person_id)? {
        let cohort = cohort_rows::get(conn, &enrolment.cohort_id)?;
        learning.push(PersonCohort {
            cohort_id: cohort.id,
            name: cohort.name,
            starts_on: cohort.starts_on,
            ends_on: cohort.ends_on,
            enrolment_status: Some(enrolment.status),
        });
    }
    let mut tutoring = Vec::new();
    for cohort_id in cohort_rows::cohorts_tutored_by(conn, person_id)? {
        let cohort = cohort_rows::get(conn, &cohort_id)?;
        tutoring.push(PersonCohort {
            cohort_id: cohort.id,
            name: cohort.name,
            starts_on: cohort.starts_on,
            ends_on: cohort.ends_on,
            enrolment_status: None,
        });
    }
    let supervising = placements::supervised_by(conn, person_id)?.len();
    let certificates = certificates::of_person(conn, person_id)?;
    Ok(PersonRecord {
        person,
        learning,
        tutoring,
        supervising,
        certificates,
    })
}

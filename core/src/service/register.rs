//! The partner register: what partner systems may see of the people who share with them, the
//! look-ups they leave in people's access logs, and the feed of changes.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::certificate::CertificateStatus;
use crate::service::webhooks;
use crate::store::changes::{self, kind};
use crate::store::register::{self, LookUp, RegisterRow};
use crate::store::{people, programmes, stored, Database, DbConnection};
use crate::{Error, Result};

pub use crate::access::Partner;

/// A qualified person as a partner sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterEntry {
    /// The person.
    pub person_id: String,
    /// Their name; `None` if erased.
    pub name: Option<String>,
    /// Their certificates (valid ones, for a search; all, for a look-up).
    pub certificates: Vec<RegisterCertificate>,
}

/// A certificate as a partner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterCertificate {
    /// Its id.
    pub id: String,
    /// Its number.
    pub number: String,
    /// Its programme's code.
    pub programme_code: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The day it stops being valid, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// Its status on the date asked about.
    pub status: CertificateStatus,
}

impl RegisterCertificate {
    fn on(row: RegisterRow, date: NaiveDate) -> Self {
        RegisterCertificate {
            status: CertificateStatus::on(date, row.expires_on, row.revoked_at.is_some()),
            id: row.certificate_id,
            number: row.number,
            programme_code: row.programme_code,
            issued_on: row.issued_on,
            expires_on: row.expires_on,
        }
    }
}

/// A page of the register.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterPage {
    /// People in person id order.
    pub entries: Vec<RegisterEntry>,
    /// Where the next page starts (pass as `after`); `None` on the last page.
    pub next_after: Option<String>,
}

/// The programme id for an optional programme code; an unknown code names the field.
pub fn programme_id_for(conn: &mut DbConnection, code: Option<&str>) -> Result<Option<String>> {
    match code {
        None => Ok(None),
        Some(code) => match programmes::id_of(conn, code)? {
            Some(id) => Ok(Some(id)),
            None => Err(Error::invalid(
                "programme",
                "there is no programme with this code",
            )),
        },
    }
}

/// A page of the register: people who share with the partner and hold a certificate valid
/// on `date`, after person `after`, each with those certificates in order of issue. A fixed
/// number of statements whatever the page size, and what it shows is one moment of the
/// register (see [`register::page_rows`]). Read only; the caller records the look-ups.
pub fn search(
    conn: &mut DbConnection,
    partner: &Partner,
    programme_id: Option<&str>,
    date: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<RegisterPage> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let (rows, more) = register::page_rows(conn, &partner.organisation_id, programme_id, date, after, limit)?;
    let mut entries: Vec<RegisterEntry> = Vec::with_capacity(limit.min(register::PREALLOCATED_PEOPLE));
    for row in rows {
        if entries.last().is_none_or(|e| e.person_id != row.person_id) {
            entries.push(RegisterEntry {
                person_id: row.person_id.clone(),
                name: row.name.clone(),
                certificates: Vec::new(),
            });
        }
        if let Some(entry) = entries.last_mut() {
            entry.certificates.push(RegisterCertificate::on(row, date));
        }
    }
    for entry in &mut entries {
        entry
            .certificates
            .sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
    }
    let next_after = if more {
        entries.last().map(|e| e.person_id.clone())
    } else {
        None
    };
    Ok(RegisterPage { entries, next_after })
}

/// One person, if they share with the partner: with all their certificates and each one's
/// status on `date`.
pub fn look_up(
    conn: &mut DbConnection,
    partner: &Partner,
    person_id: &str,
    date: NaiveDate,
) -> Result<Option<RegisterEntry>> {
    if !register::shares_with(conn, person_id, &partner.organisation_id)? {
        return Ok(None);
    }
    let person = people::get(conn, person_id)?;
    let certificates = register::certificates_of(conn, person_id)?
        .into_iter()
        .map(|row| RegisterCertificate::on(row, date))
        .collect();
    Ok(Some(RegisterEntry {
        person_id: person.id,
        name: person.name,
        certificates,
    }))
}

/// What a partner was shown, through `endpoint`, as one access-log entry.
fn look_up_of(partner: &Partner, person_ids: &[&str], endpoint: &'static str, now: DateTime<Utc>) -> LookUp {
    LookUp {
        person_ids: person_ids.iter().map(|id| id.to_string()).collect(),
        organisation_id: partner.organisation_id.clone(),
        api_key_id: partner.api_key_id.clone(),
        endpoint,
        at: stored(now),
    }
}

/// Records that a partner was shown these people, through `endpoint`, in the caller's
/// transaction.
pub fn record_look_ups(
    conn: &mut DbConnection,
    partner: &Partner,
    person_ids: &[&str],
    endpoint: &'static str,
    now: DateTime<Utc>,
) -> Result<()> {
    register::record_look_ups(conn, &[look_up_of(partner, person_ids, endpoint, now)])
}

/// Records that a partner was shown these people, through `endpoint`, and returns once that
/// is committed; concurrent requests' look-ups share one transaction.
pub async fn log_look_ups(
    db: &Database,
    partner: &Partner,
    person_ids: &[&str],
    endpoint: &'static str,
    now: DateTime<Utc>,
) -> Result<()> {
    if person_ids.is_empty() {
        return Ok(());
    }
    db.record_look_ups(vec![look_up_of(partner, person_ids, endpoint, now)])
        .await
}

/// Adds a `certificate.expired` event for each certificate that reached its expiry date and
/// has none yet; idempotent. Returns how many were recorded.
pub fn record_expiries(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize> {
    let due = register::expired_without_event(conn, now.date_naive())?;
    for certificate in &due {
        let event = changes::certificate_changed(
            conn,
            kind::CERTIFICATE_EXPIRED,
            &certificate.person_id,
            &certificate.id,
            &certificate.programme_id,
            stored(now),
        )?;
        webhooks::announce(conn, &event, stored(now))?;
    }
    Ok(due.len())
}

/// What a partner asks of the register.
#[derive(Debug, Clone, Default)]
pub struct RegisterQuery {
    /// Only certificates of this programme (by code).
    pub programme: Option<String>,
    /// The date certificates must be valid on (default today).
    pub qualified_on: Option<NaiveDate>,
    /// Start after this person (a cursor).
    pub after: Option<String>,
    /// At most this many people.
    pub limit: i64,
}

/// A page of the register as a partner asks for it: checks the query, finds the programme,
/// and reads the page (see [`search`]). The caller records the look-ups once answered.
pub fn search_for(
    conn: &mut DbConnection,
    partner: &Partner,
    query: &RegisterQuery,
    now: DateTime<Utc>,
) -> Result<(RegisterPage, NaiveDate)> {
    let date = query.qualified_on.unwrap_or_else(|| now.date_naive());
    crate::domain::input::Checks::new()
        .date("qualified_on", date)
        .finish()?;
    let programme_id = programme_id_for(conn, query.programme.as_deref().map(str::trim))?;
    let page = search(
        conn,
        partner,
        programme_id.as_deref(),
        date,
        query.after.as_deref(),
        query.limit,
    )?;
    Ok((page, date))
}

/// One person as a partner may see them, recording the look-up in the same transaction;
/// `None` unless they share with the partner.
pub fn look_up_person(
    conn: &mut DbConnection,
    partner: &Partner,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<RegisterEntry>> {
    let Some(entry) = look_up(conn, partner, person_id, now.date_naive())? else {
        return Ok(None);
    };
    record_look_ups(conn, partner, &[person_id], "register.person", now)?;
    Ok(Some(entry))
}

/// What the partner may see change after feed position `after`, oldest first.
pub fn changes_for(
    conn: &mut DbConnection,
    partner: &Partner,
    after: i64,
    limit: i64,
) -> Result<Vec<changes::ChangeEvent>> {
    register::visible_changes(conn, &partner.organisation_id, after, limit)
}

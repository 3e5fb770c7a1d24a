//! The partner register and people's control over it: consent, the access log, export and
//! erasure.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::domain::certificate::CertificateStatus;
use crate::service::webhooks;
use crate::store::audit::{self, Actor};
use crate::store::certificates;
use crate::store::changes::{self, kind};
use crate::store::consents::{self, Consent};
use crate::store::register::{self, LookUp, RegisterRow};
use crate::store::{
    cohorts, organisations, people, personal_data, placements, programmes, stored, Database, DbConnection,
};
use crate::{Error, Result};

/// The partner system asking: its organisation and the API key it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// The organisation.
    pub organisation_id: String,
    /// The key.
    pub api_key_id: String,
}

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
        Some(code) => match programmes::current(conn, code) {
            Ok(version) => Ok(Some(version.programme_id)),
            Err(Error::NotFound(_)) => Err(Error::invalid(
                "programme",
                "there is no programme with this code",
            )),
            Err(e) => Err(e),
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

/// A person's access log, newest first, before position `before`: every look-up, including
/// those still waiting to be spread into the log.
pub fn access_log_of(
    conn: &mut DbConnection,
    person_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<register::LoggedLookUp>> {
    register::spread_all_pending_look_ups(conn)?;
    register::access_log_of(conn, person_id, before, limit)
}

/// Starts sharing with an organisation (no change if already sharing). Returns whether new.
pub fn grant_consent(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<(Consent, bool)> {
    organisations::get(conn, organisation_id)?;
    let (consent, created) = consents::grant(conn, person_id, organisation_id, stored(now))?;
    if created {
        announce_consent_change(
            conn,
            kind::CONSENT_GRANTED,
            "consent.granted",
            person_id,
            organisation_id,
            now,
        )?;
    }
    Ok((consent, created))
}

/// Stops sharing with an organisation; effective on the partner's next request.
pub fn withdraw_consent(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    organisations::get(conn, organisation_id)?;
    let withdrawn = consents::withdraw(conn, person_id, organisation_id, stored(now))?;
    if withdrawn {
        announce_consent_change(
            conn,
            kind::CONSENT_WITHDRAWN,
            "consent.withdrawn",
            person_id,
            organisation_id,
            now,
        )?;
    }
    Ok(withdrawn)
}

/// A consent change goes to the feed, the partner's webhooks and the audit trail.
fn announce_consent_change(
    conn: &mut DbConnection,
    event_kind: &str,
    action: &str,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let event = changes::consent_changed(conn, event_kind, person_id, organisation_id, stored(now))?;
    webhooks::announce(conn, &event, stored(now))?;
    audit::record(
        conn,
        &Actor::Person(person_id.to_string()),
        action,
        ("organisation", organisation_id),
        json!({}),
        stored(now),
    )
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

/// Everything held about a person, as JSON.
pub fn export(conn: &mut DbConnection, person_id: &str) -> Result<Value> {
    let person = people::get(conn, person_id)?;
    let enrolments = cohorts::enrolments_of_person(conn, person_id)?;
    let mut cohorts_json = Vec::new();
    for enrolment in &enrolments {
        let cohort = cohorts::get(conn, &enrolment.cohort_id)?;
        cohorts_json.push(json!({
            "cohort_id": cohort.id,
            "cohort_name": cohort.name,
            "enrolled_on": enrolment.enrolled_on,
            "status": enrolment.status,
        }));
    }
    let tutoring: Vec<Value> = cohorts::list(conn, Some(person_id), None, 10_000)?
        .into_iter()
        .filter(|c| !enrolments.iter().any(|e| e.cohort_id == c.id))
        .map(|c| json!({ "cohort_id": c.id, "cohort_name": c.name }))
        .collect();
    let attendance: Vec<Value> = personal_data::attendance_of(conn, person_id)?
        .into_iter()
        .map(|a| json!({ "session_id": a.session_id, "status": a.status, "note": a.note, "recorded_at": a.recorded_at.and_utc() }))
        .collect();
    let assessments: Vec<Value> = personal_data::assessments_of(conn, person_id)?
        .into_iter()
        .map(|a| json!({ "cohort_id": a.cohort_id, "module_code": a.module_code, "outcome": a.outcome, "note": a.note, "assessed_on": a.assessed_on, "verified_on": a.verified_on }))
        .collect();
    let mut placements_json = Vec::new();
    for placement in placements::placements_of(conn, person_id)? {
        let supervision: Vec<Value> = placements::supervision_of_placement(conn, &placement.id)?
            .into_iter()
            .map(|s| json!({ "occurred_on": s.occurred_on, "duration_minutes": s.duration_minutes, "format": s.format, "notes": s.notes, "verified": s.verified_by.is_some() }))
            .collect();
        placements_json.push(json!({
            "placement_id": placement.id,
            "organisation_id": placement.organisation_id,
            "supervisor_id": placement.supervisor_id,
            "starts_on": placement.starts_on,
            "ends_on": placement.ends_on,
            "supervision": supervision,
        }));
    }
    let practice: Vec<Value> = personal_data::practice_of(conn, person_id)?
        .into_iter()
        .map(|p| json!({ "placement_id": p.placement_id, "worked_on": p.worked_on, "minutes": p.minutes, "description": p.description, "verified": p.verified_by.is_some() }))
        .collect();
    let cpd: Vec<Value> = placements::cpd_of(conn, person_id)?
        .into_iter()
        .map(|c| json!({ "completed_on": c.completed_on, "minutes": c.minutes, "category": c.category, "title": c.title }))
        .collect();
    let mut certificates_json = Vec::new();
    for c in certificates::of_person(conn, person_id)? {
        let renewals: Vec<Value> = certificates::renewals(conn, &c.id)?
            .into_iter()
            .map(|r| json!({ "previous_expires_on": r.previous_expires_on, "new_expires_on": r.new_expires_on, "renewed_at": r.renewed_at.and_utc() }))
            .collect();
        certificates_json.push(json!({
            "certificate_id": c.id, "number": c.number, "verification_code": c.verification_code,
            "holder_name": c.holder_name, "issued_on": c.issued_on, "expires_on": c.expires_on,
            "revoked_at": c.revoked_at.map(|t| t.and_utc()), "revoked_reason": c.revoked_reason, "renewals": renewals,
        }));
    }
    let consents_json: Vec<Value> = consents::history(conn, person_id)?
        .into_iter()
        .map(|c| json!({ "organisation_id": c.organisation_id, "granted_at": c.granted_at.and_utc(), "withdrawn_at": c.withdrawn_at.map(|t| t.and_utc()) }))
        .collect();
    let access_log: Vec<Value> = access_log_of(conn, person_id, None, i64::MAX)?
        .into_iter()
        .map(|l| json!({ "organisation_id": l.organisation_id, "organisation_name": l.organisation_name, "api_key_name": l.api_key_name, "endpoint": l.endpoint, "accessed_at": l.accessed_at.and_utc() }))
        .collect();
    let emails: Vec<Value> = personal_data::messages_to(conn, person_id)?
        .into_iter()
        .map(|(template, status, created, sent)| json!({ "kind": template, "status": status, "queued_at": created.and_utc(), "sent_at": sent.map(|t| t.and_utc()) }))
        .collect();
    let actions: Vec<Value> = personal_data::actions_by(conn, person_id)?
        .into_iter()
        .map(|(action, kind, id, at)| json!({ "action": action, "entity_kind": kind, "entity_id": id, "at": at.and_utc() }))
        .collect();
    Ok(json!({
        "person": {
            "person_id": person.id, "name": person.name, "email": person.email,
            "reminders_enabled": person.reminders_enabled, "created_at": person.created_at.and_utc(),
        },
        "enrolments": cohorts_json,
        "tutoring": tutoring,
        "attendance": attendance,
        "assessments": assessments,
        "placements": placements_json,
        "practice": practice,
        "continuing_development": cpd,
        "certificates": certificates_json,
        "consents": consents_json,
        "access_log": access_log,
        "emails": emails,
        "changes_made": actions,
    }))
}

/// Erases a person's personal details on their request, in one transaction: consents are
/// withdrawn (partners see it in the feed), then every personal detail is removed. Their
/// certificates stay verifiable, with holder details withheld.
pub fn erase(conn: &mut DbConnection, actor: &Actor, person_id: &str, now: DateTime<Utc>) -> Result<()> {
    let person = people::get(conn, person_id)?;
    if person.erased_at.is_some() {
        return Err(Error::Conflict(
            "this person's details were already erased".into(),
        ));
    }
    for consent in consents::history(conn, person_id)? {
        if consent.withdrawn_at.is_none() {
            withdraw_consent(conn, person_id, &consent.organisation_id, now)?;
        }
    }
    // Look-ups still waiting to be spread are removed with the rest of the access log.
    register::spread_all_pending_look_ups(conn)?;
    personal_data::erase(conn, person_id, stored(now))?;
    audit::record(
        conn,
        actor,
        "person.erased",
        ("person", person_id),
        json!({}),
        stored(now),
    )?;
    Ok(())
}

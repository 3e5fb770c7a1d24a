//! A person's own data: who looked them up, everything held about them (GDPR Articles 15 and
//! 20), and erasure on request (Article 17).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::access::Caller;
use crate::service::consents::withdraw_consent;
use crate::store::audit;
use crate::store::consents;
use crate::store::register;
use crate::store::{
    calendar_feeds, certificates, cohorts, cpd, people, personal_data, placements, stored, DbConnection,
};
use crate::{Error, Result};

/// The caller's access log (see [`access_log_of`]).
pub fn my_access_log(
    conn: &mut DbConnection,
    caller: &Caller,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<register::LoggedLookUp>> {
    let person_id = caller.require_person()?;
    access_log_of(conn, person_id, before, limit)
}

/// Everything held about the caller, as JSON (see [`export`]).
pub fn my_export(conn: &mut DbConnection, caller: &Caller) -> Result<Value> {
    let person_id = caller.require_person()?;
    export(conn, person_id)
}

/// Erases a person's details; administrators only, and not their own.
pub fn erase_person(
    conn: &mut DbConnection,
    caller: &Caller,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    caller.require_admin()?;
    if caller.is(person_id) {
        return Err(Error::invalid(
            "id",
            "you cannot erase your own account here; ask another administrator",
        ));
    }
    erase(conn, caller, person_id, now)
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
        .map(|a| json!({ "session_id": a.session_id, "status": a.status, "note": a.note, "recorded_at": a.recorded_at.and_utc(), "checked_in_at": a.checked_in_at.map(|at| at.and_utc()) }))
        .collect();
    let assessments: Vec<Value> = personal_data::assessments_of(conn, person_id)?
        .into_iter()
        .map(|a| json!({ "cohort_id": a.cohort_id, "module_code": a.module_code, "outcome": a.outcome, "note": a.note, "assessed_on": a.assessed_on, "verified_on": a.verified_on }))
        .collect();
    let mut placements_json = Vec::new();
    for placement in placements::placements_of(conn, person_id)? {
        let supervision: Vec<Value> = placements::supervision_of_placement(conn, &placement.id)?
            .into_iter()
            .map(|s| json!({ "occurred_on": s.occurred_on, "duration_minutes": s.duration_minutes, "format": s.format, "notes": s.notes, "verified": s.verified_by.is_some(), "status": s.status().as_str(), "decline_reason": s.decline_reason }))
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
    let cpd: Vec<Value> = cpd::of_person(conn, person_id)?
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
    // That a feed exists and when: its secret is not kept (only a hash, of no use to anyone).
    let feeds: Vec<Value> = calendar_feeds::all_of(conn, person_id)?
        .into_iter()
        .map(|f| json!({ "live": f.revoked_at.is_none(), "made_at": f.created_at.and_utc(), "stopped_at": f.revoked_at.map(|t| t.and_utc()) }))
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
        "calendar_feeds": feeds,
        "changes_made": actions,
    }))
}

/// Erases a person's personal details on their request, in one transaction: consents are
/// withdrawn (partners see it in the feed), then every personal detail is removed. Their
/// certificates stay verifiable, with holder details withheld.
fn erase(conn: &mut DbConnection, caller: &Caller, person_id: &str, now: DateTime<Utc>) -> Result<()> {
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
        &caller.actor(),
        "person.erased",
        ("person", person_id),
        json!({}),
        stored(now),
    )?;
    Ok(())
}
pub use crate::store::register::LoggedLookUp;

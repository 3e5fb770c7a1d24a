//! Everything held about one person: gathering it for export (GDPR Articles 15 and 20) and
//! erasing their personal details (Article 17) while aggregate records stay.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::assessments::Assessment;
use super::attendance::AttendanceRecord;
use super::placements::PracticeTime;
use super::schema::{
    access_log, access_tokens, assessments, attendance, audit_events, certificates, consents, cpd_records,
    outbox, people, placements, practice_hours, supervision_sessions,
};
use super::DbConnection;
use crate::Result;

/// Every attendance mark of a person.
pub fn attendance_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<AttendanceRecord>> {
    Ok(attendance::table
        .filter(attendance::person_id.eq(person_id))
        .order((attendance::recorded_at, attendance::session_id))
        .select(AttendanceRecord::as_select())
        .load(conn)?)
}

/// Every assessment of a person, in any cohort.
pub fn assessments_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Assessment>> {
    Ok(assessments::table
        .filter(assessments::person_id.eq(person_id))
        .order((assessments::cohort_id, assessments::module_code))
        .select(Assessment::as_select())
        .load(conn)?)
}

/// Every practice entry logged during a person's placements.
pub fn practice_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<PracticeTime>> {
    Ok(practice_hours::table
        .inner_join(placements::table)
        .filter(placements::person_id.eq(person_id))
        .order(practice_hours::worked_on)
        .select(PracticeTime::as_select())
        .load(conn)?)
}

/// An email queued for a person: (template, status, queued at, sent at).
pub type MessageSummary = (String, String, NaiveDateTime, Option<NaiveDateTime>);

/// Emails queued for a person.
pub fn messages_to(conn: &mut DbConnection, person_id: &str) -> Result<Vec<MessageSummary>> {
    Ok(outbox::table
        .filter(outbox::person_id.eq(person_id))
        .order(outbox::id)
        .select((
            outbox::template,
            outbox::status,
            outbox::created_at,
            outbox::sent_at,
        ))
        .load(conn)?)
}

/// Changes a person made, from the audit trail: (action, kind, id, when).
pub fn actions_by(
    conn: &mut DbConnection,
    person_id: &str,
) -> Result<Vec<(String, String, String, NaiveDateTime)>> {
    Ok(audit_events::table
        .filter(audit_events::actor_id.eq(person_id))
        .order(audit_events::id)
        .select((
            audit_events::action,
            audit_events::entity_kind,
            audit_events::entity_id,
            audit_events::occurred_at,
        ))
        .load(conn)?)
}

/// Removes a person's personal details everywhere, in the caller's transaction: name, email,
/// notes about them, their access log, queued emails and sign-in tokens. Certificates keep
/// their number and dates (so a check still says whether one is valid) but lose the name.
/// Consents are withdrawn by the caller first, so partners hear of it.
pub fn erase(conn: &mut DbConnection, person_id: &str, now: NaiveDateTime) -> Result<()> {
    diesel::update(people::table.find(person_id))
        .set((
            people::name.eq(None::<String>),
            people::email.eq(None::<String>),
            people::is_admin.eq(false),
            people::reminders_enabled.eq(false),
            people::erased_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(certificates::table.filter(certificates::person_id.eq(person_id)))
        .set(certificates::holder_name.eq(None::<String>))
        .execute(conn)?;
    super::certificates::forget_reissued_names(conn, person_id)?;
    diesel::update(attendance::table.filter(attendance::person_id.eq(person_id)))
        .set(attendance::note.eq(None::<String>))
        .execute(conn)?;
    diesel::update(assessments::table.filter(assessments::person_id.eq(person_id)))
        .set(assessments::note.eq(None::<String>))
        .execute(conn)?;
    let their_placements = placements::table
        .filter(placements::person_id.eq(person_id))
        .select(placements::id);
    diesel::update(
        supervision_sessions::table.filter(supervision_sessions::placement_id.eq_any(their_placements)),
    )
    .set((
        supervision_sessions::notes.eq(None::<String>),
        supervision_sessions::decline_reason.eq(None::<String>),
    ))
    .execute(conn)?;
    let their_placements = placements::table
        .filter(placements::person_id.eq(person_id))
        .select(placements::id);
    diesel::update(practice_hours::table.filter(practice_hours::placement_id.eq_any(their_placements)))
        .set(practice_hours::description.eq(None::<String>))
        .execute(conn)?;
    diesel::update(cpd_records::table.filter(cpd_records::person_id.eq(person_id)))
        .set(cpd_records::title.eq(""))
        .execute(conn)?;
    diesel::delete(access_log::table.filter(access_log::person_id.eq(person_id))).execute(conn)?;
    diesel::delete(
        outbox::table
            .filter(outbox::person_id.eq(person_id))
            .filter(outbox::channel.eq("email")),
    )
    .execute(conn)?;
    diesel::delete(access_tokens::table.filter(access_tokens::person_id.eq(person_id))).execute(conn)?;
    super::calendar_feeds::delete_of(conn, person_id)?;
    // History rows of consent keep only when, not who, once the person is erased.
    diesel::update(
        consents::table
            .filter(consents::person_id.eq(person_id))
            .filter(consents::withdrawn_at.is_null()),
    )
    .set(consents::withdrawn_at.eq(now))
    .execute(conn)?;
    Ok(())
}

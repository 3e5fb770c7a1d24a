//! Delivering the outbox: claiming due messages with a lease, recording each outcome, the
//! list administrators read, and the look-ups the scheduler uses to find time-based emails.
//!
//! A claim sets `claimed_until`; until then no other worker takes the message. A worker that
//! dies mid-send leaves the claim to run out, and the message is taken again afterwards.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::certificates::Certificate;
use super::cohorts::{Cohort, Session};
use super::outbox::OutboxMessage;
use super::placements::Placement;
use super::schema::{attendance, certificates, cohorts, outbox, placements, sessions, supervision_sessions};
use super::DbConnection;
use crate::Result;

/// Outbox statuses.
pub mod status {
    /// Waiting for (another) delivery attempt.
    pub const PENDING: &str = "pending";
    /// Delivered to the mail server or the mail folder.
    pub const SENT: &str = "sent";
    /// Given up on; `last_error` says why.
    pub const FAILED: &str = "failed";
    /// Deliberately not sent: the recipient turned such emails off, or was erased.
    pub const SKIPPED: &str = "skipped";
}

/// Email messages, as opposed to webhook deliveries; see [`claim_due`].
pub const EMAIL: &str = "email";

/// Claims up to `limit` messages of `channel` (`email` or `webhook`) that are due at `now` and
/// not claimed by a live lease, in queue order, until `lease_until`; counts an attempt for
/// each. On PostgreSQL rows another worker holds are skipped (`FOR UPDATE SKIP LOCKED`), so
/// several workers can run; on SQLite the single writer (`Database::write`) makes the claim
/// atomic.
pub fn claim_due(
    conn: &mut DbConnection,
    channel: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxMessage>> {
    // The selection is typed per backend, so it is spelled once for each.
    macro_rules! due {
        () => {
            outbox::table
                .filter(outbox::channel.eq(channel))
                .filter(outbox::status.eq(status::PENDING))
                .filter(outbox::next_attempt_at.le(now))
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.le(now)),
                )
                .order(outbox::id)
                .limit(limit)
                .select(OutboxMessage::as_select())
        };
    }
    let mut claimed: Vec<OutboxMessage> = match conn {
        DbConnection::Sqlite(c) => due!().load(c)?,
        DbConnection::Postgres(c) => due!().for_update().skip_locked().load(c)?,
    };
    if claimed.is_empty() {
        return Ok(claimed);
    }
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((
            outbox::claimed_until.eq(lease_until),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    for message in &mut claimed {
        message.claimed_until = Some(lease_until);
        message.attempts += 1;
    }
    Ok(claimed)
}

/// Hands claimed but unsent messages back at once, uncounted (a worker stopping mid-batch).
pub fn release(conn: &mut DbConnection, ids: &[i64]) -> Result<usize> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(status::PENDING))
            .filter(outbox::claimed_until.is_not_null()),
    )
    .set((
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)?)
}

/// Records a delivery. `payload` replaces the stored one when given (to drop a secret such as a
/// sign-in link once it is no longer needed). Returns whether the message was still pending.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    payload: Option<&str>,
) -> Result<bool> {
    finish(conn, id, status::SENT, None, Some(now), payload)
}

/// Records that the message will not be sent, and why.
pub fn mark_failed(conn: &mut DbConnection, id: i64, error: &str, payload: Option<&str>) -> Result<bool> {
    finish(conn, id, status::FAILED, Some(error), None, payload)
}

/// Records that the message was deliberately not sent, and why.
pub fn mark_skipped(conn: &mut DbConnection, id: i64, reason: &str, payload: Option<&str>) -> Result<bool> {
    finish(conn, id, status::SKIPPED, Some(reason), None, payload)
}

fn finish(
    conn: &mut DbConnection,
    id: i64,
    new_status: &str,
    error: Option<&str>,
    sent_at: Option<NaiveDateTime>,
    payload: Option<&str>,
) -> Result<bool> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::status.eq(status::PENDING));
    let changed = diesel::update(target)
        .set((
            outbox::status.eq(new_status),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
            outbox::sent_at.eq(sent_at),
        ))
        .execute(conn)?;
    if changed == 1 {
        if let Some(payload) = payload {
            diesel::update(outbox::table.find(id))
                .set(outbox::payload.eq(payload))
                .execute(conn)?;
        }
    }
    Ok(changed == 1)
}

/// Records a failed attempt and when to try again; the claim ends.
pub fn schedule_retry(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(status::PENDING)),
    )
    .set((
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(error),
        outbox::next_attempt_at.eq(next_attempt_at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Puts a failed message back in the queue, due now, with a new deadline.
pub fn requeue(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    give_up_at: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(status::FAILED)),
    )
    .set((
        outbox::status.eq(status::PENDING),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::give_up_at.eq(give_up_at),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// One message by its queue position.
pub fn message(conn: &mut DbConnection, id: i64) -> Result<Option<OutboxMessage>> {
    Ok(outbox::table
        .find(id)
        .select(OutboxMessage::as_select())
        .first(conn)
        .optional()?)
}

/// One message by its idempotency key.
pub fn by_key(conn: &mut DbConnection, idempotency_key: &str) -> Result<Option<OutboxMessage>> {
    Ok(outbox::table
        .filter(outbox::idempotency_key.eq(idempotency_key))
        .select(OutboxMessage::as_select())
        .first(conn)
        .optional()?)
}

/// A page of messages in queue order after position `after`, optionally with one status.
pub fn page(
    conn: &mut DbConnection,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxMessage>> {
    let mut query = outbox::table
        .select(OutboxMessage::as_select())
        .order(outbox::id)
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(outbox::status.eq(status.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(outbox::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// Emails (not webhooks) that failed for good, in queue order after `after`.
pub fn failed_emails(conn: &mut DbConnection, after: Option<i64>, limit: i64) -> Result<Vec<OutboxMessage>> {
    let mut query = outbox::table
        .filter(outbox::channel.eq(EMAIL))
        .filter(outbox::status.eq(status::FAILED))
        .select(OutboxMessage::as_select())
        .order(outbox::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(outbox::id.gt(after));
    }
    Ok(query.load(conn)?)
}

/// How many emails (not webhooks) failed for good.
pub fn failed_email_count(conn: &mut DbConnection) -> Result<i64> {
    Ok(outbox::table
        .filter(outbox::channel.eq(EMAIL))
        .filter(outbox::status.eq(status::FAILED))
        .count()
        .get_result(conn)?)
}

/// How many messages have each status.
pub fn counts(conn: &mut DbConnection) -> Result<Vec<(String, i64)>> {
    Ok(outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .order(outbox::status)
        .load(conn)?)
}

/// Sessions starting in `[from, to)` that were not cancelled, with their cohorts, in time order.
pub fn sessions_starting(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(Session, Cohort)>> {
    Ok(sessions::table
        .inner_join(cohorts::table)
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.lt(to))
        .filter(sessions::cancelled_at.is_null())
        .order((sessions::starts_at, sessions::id))
        .select((Session::as_select(), Cohort::as_select()))
        .load(conn)?)
}

/// One learner's mark on a session whose register was taken.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Mark {
    /// The cohort.
    pub cohort_id: String,
    /// The session.
    pub session_id: String,
    /// Its title.
    pub session_title: String,
    /// When it started.
    pub starts_at: NaiveDateTime,
    /// The learner.
    pub person_id: String,
    /// `present`, `late`, `absent` or `excused`.
    pub status: String,
}

/// Every mark on registers of sessions (not cancelled) that started in `[from, to)`, by
/// cohort, learner and session time.
pub fn marks_between(conn: &mut DbConnection, from: NaiveDateTime, to: NaiveDateTime) -> Result<Vec<Mark>> {
    Ok(attendance::table
        .inner_join(sessions::table)
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.lt(to))
        .filter(sessions::cancelled_at.is_null())
        .order((
            sessions::cohort_id,
            attendance::person_id,
            sessions::starts_at,
            sessions::id,
        ))
        .select((
            sessions::cohort_id,
            sessions::id,
            sessions::title,
            sessions::starts_at,
            attendance::person_id,
            attendance::status,
        ))
        .load(conn)?)
}

/// Certificates not revoked that expire in `[from, to]`.
pub fn certificates_expiring(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Certificate>> {
    Ok(certificates::table
        .filter(certificates::revoked_at.is_null())
        .filter(certificates::expires_on.ge(from))
        .filter(certificates::expires_on.le(to))
        .order(certificates::id)
        .select(Certificate::as_select())
        .load(conn)?)
}

/// Placements running on `today` that started on or before `started_by`, each with the date
/// of its latest supervision session (logged, verified or not), if any.
pub fn placements_with_last_supervision(
    conn: &mut DbConnection,
    today: NaiveDate,
    started_by: NaiveDate,
) -> Result<Vec<(Placement, Option<NaiveDate>)>> {
    let running: Vec<Placement> = placements::table
        .filter(placements::starts_on.le(started_by))
        .filter(placements::ends_on.is_null().or(placements::ends_on.ge(today)))
        .order(placements::id)
        .select(Placement::as_select())
        .load(conn)?;
    // The latest session of every running placement in one grouped query, not one each.
    let latest: std::collections::HashMap<String, Option<NaiveDate>> = supervision_sessions::table
        .inner_join(placements::table.on(placements::id.eq(supervision_sessions::placement_id)))
        .filter(placements::starts_on.le(started_by))
        .filter(placements::ends_on.is_null().or(placements::ends_on.ge(today)))
        .group_by(supervision_sessions::placement_id)
        .select((
            supervision_sessions::placement_id,
            diesel::dsl::max(supervision_sessions::occurred_on),
        ))
        .load::<(String, Option<NaiveDate>)>(conn)?
        .into_iter()
        .collect();
    Ok(running
        .into_iter()
        .map(|placement| {
            let last = latest.get(&placement.id).copied().flatten();
            (placement, last)
        })
        .collect())
}

//! The outbox: messages queued in the same transaction as the change that causes them, each
//! with an idempotency key so the same message is never queued twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::DbConnection;
use crate::Result;

/// A message as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique per message, e.g. `enrolment:{id}`.
    pub idempotency_key: String,
    /// `email` (or `webhook`).
    pub channel: String,
    /// Which template renders it.
    pub template: String,
    /// Email address or URL.
    pub recipient: String,
    /// The person it is about or for, so erasure can find it.
    pub person_id: Option<String>,
    /// The template's data, as JSON.
    pub payload: serde_json::Value,
    /// When to stop retrying.
    pub give_up_at: NaiveDateTime,
}

/// A queued message.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    /// Queue position.
    pub id: i64,
    /// Unique per message.
    pub idempotency_key: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// Template name.
    pub template: String,
    /// Address.
    pub recipient: String,
    /// The person concerned.
    pub person_id: Option<String>,
    /// Template data as JSON.
    pub payload: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Not before.
    pub next_attempt_at: NaiveDateTime,
    /// A worker's claim on it, until this time.
    pub claimed_until: Option<NaiveDateTime>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When to stop retrying.
    pub give_up_at: NaiveDateTime,
    /// When queued.
    pub created_at: NaiveDateTime,
    /// When delivered.
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues a message unless one with the same key exists; returns whether it was queued.
pub fn enqueue(conn: &mut DbConnection, message: &NewMessage, now: NaiveDateTime) -> Result<bool> {
    let row = (
        outbox::idempotency_key.eq(&message.idempotency_key),
        outbox::channel.eq(&message.channel),
        outbox::template.eq(&message.template),
        outbox::recipient.eq(&message.recipient),
        outbox::person_id.eq(&message.person_id),
        outbox::payload.eq(message.payload.to_string()),
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::give_up_at.eq(message.give_up_at),
        outbox::created_at.eq(now),
    );
    // ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable where a caught error would not.
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(outbox::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(outbox::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Messages in queue order, optionally only those with one status.
pub fn list(conn: &mut DbConnection, status: Option<&str>, limit: i64) -> Result<Vec<OutboxMessage>> {
    let mut query = outbox::table
        .select(OutboxMessage::as_select())
        .order(outbox::id)
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(outbox::status.eq(status.to_string()));
    }
    Ok(query.load(conn)?)
}

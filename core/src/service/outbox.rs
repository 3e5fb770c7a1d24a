//! What administrators see of the outbox: emails queued, sent and failed, and retrying one.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::Caller;
use crate::notify::{self, Email};
use crate::store::delivery;
pub use crate::store::delivery::status;
pub use crate::store::outbox::OutboxMessage;
use crate::store::{audit, stored, DbConnection};
use crate::{Error, Result};

/// Messages in queue order after `after`, optionally only those with one status.
/// Administrators only.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxMessage>> {
    caller.require_admin()?;
    delivery::page(conn, status, after, limit)
}

/// Puts a failed email back in the queue. Sign-in links are not retried: they expire, and the
/// person can ask for a new one. Administrators only.
pub fn retry(conn: &mut DbConnection, caller: &Caller, id: i64, now: DateTime<Utc>) -> Result<OutboxMessage> {
    caller.require_admin()?;
    let message = delivery::message(conn, id)?.ok_or(Error::NotFound("message"))?;
    if message.status != status::FAILED {
        return Err(Error::Conflict(format!(
            "only failed emails can be retried; this one is {}",
            message.status
        )));
    }
    if Email::from_template(&message.template).is_some_and(Email::holds_secret) {
        return Err(Error::Conflict(
            "sign-in links expire, so they are not retried; the person can ask for a new one".into(),
        ));
    }
    let now = stored(now);
    delivery::requeue(conn, id, now, now + notify::EMAIL_DEADLINE)?;
    audit::record(
        conn,
        &caller.actor(),
        "email.retried",
        ("outbox", &id.to_string()),
        json!({ "template": message.template }),
        now,
    )?;
    delivery::message(conn, id)?.ok_or(Error::NotFound("message"))
}

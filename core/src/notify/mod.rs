//! Notifications: what to tell people, queued in the outbox inside the transaction that
//! causes them. Delivery (templates, SMTP, the worker) reads the outbox afterwards.

use chrono::{Duration, NaiveDateTime};

use crate::store::outbox::{self, NewMessage};
use crate::store::people::Person;
use crate::store::DbConnection;
use crate::Result;

/// How long delivery of an email is retried before it is marked failed.
pub const EMAIL_DEADLINE: Duration = Duration::days(3);

/// Queues an email to `person` with template `template`, once per `idempotency_key`.
/// People whose details were erased get nothing. Returns whether a message was queued.
pub fn queue_email(
    conn: &mut DbConnection,
    idempotency_key: String,
    template: &str,
    person: &Person,
    payload: serde_json::Value,
    now: NaiveDateTime,
) -> Result<bool> {
    let Some(email) = person.email.clone() else {
        return Ok(false);
    };
    outbox::enqueue(
        conn,
        &NewMessage {
            idempotency_key,
            channel: "email".into(),
            template: template.into(),
            recipient: email,
            person_id: Some(person.id.clone()),
            payload,
            give_up_at: now + EMAIL_DEADLINE,
        },
        now,
    )
}

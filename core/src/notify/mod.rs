//! Notifications: what to tell people, queued in the outbox inside the transaction that
//! causes them, then delivered by the worker: templates ([`templates`]), the way out
//! ([`transport`]: SMTP or `.eml` files), the delivery loop ([`worker`]) and the scheduler that
//! finds time-based emails ([`scheduler`]). Webhooks go out through the same worker, to
//! destinations [`destination`]'s rules allow, by [`webhook`]'s guarded client, signed as
//! [`webhook_signature`] says; their URLs are shown and logged only as [`redaction`] leaves them.

pub mod compose;
pub mod destination;
pub mod redaction;
pub mod scheduler;
pub mod templates;
pub mod transport;
pub mod webhook;
pub mod webhook_signature;
pub mod worker;

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
    queue_email_until(
        conn,
        idempotency_key,
        template,
        person,
        payload,
        now,
        now + EMAIL_DEADLINE,
    )
}

/// Like [`queue_email`], with its own deadline: a sign-in link is worth nothing once it expires.
pub fn queue_email_until(
    conn: &mut DbConnection,
    idempotency_key: String,
    template: &str,
    person: &Person,
    payload: serde_json::Value,
    now: NaiveDateTime,
    give_up_at: NaiveDateTime,
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
            give_up_at,
        },
        now,
    )
}

/// What kind of email a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailKind {
    /// The template's name, as queued.
    pub template: &'static str,
    /// Sent whatever the person's preferences (sign-in links, certificates); otherwise the
    /// email is a reminder or a nudge that people can turn off, and it says how.
    pub essential: bool,
    /// Its payload carries a secret (a sign-in link), dropped once the email is sent or given up.
    pub holds_secret: bool,
}

/// Every email Peertrack sends.
pub const EMAIL_KINDS: &[EmailKind] = &[
    kind("enrolment", true),
    kind("session_reminder", false),
    kind("missed_session", false),
    kind("absences_noted", false),
    kind("assessment_recorded", true),
    kind("certificate_issued", true),
    kind("certificate_expiring", true),
    kind("certificate_revoked", true),
    kind("supervision_nudge", false),
    EmailKind {
        template: SIGN_IN,
        essential: true,
        holds_secret: true,
    },
];

/// The sign-in link email's template.
pub const SIGN_IN: &str = "sign_in";

const fn kind(template: &'static str, essential: bool) -> EmailKind {
    EmailKind {
        template,
        essential,
        holds_secret: false,
    }
}

/// The kind of email a template makes, if it is one of ours.
pub fn email_kind(template: &str) -> Option<EmailKind> {
    EMAIL_KINDS.iter().find(|k| k.template == template).copied()
}

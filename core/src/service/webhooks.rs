//! Webhooks: register changes pushed to partners, through the same outbox as email.
//!
//! Each delivery is a `POST` of the event as JSON, signed as Standard Webhooks 1.0 says
//! ([`crate::notify::webhook_signature`]), by [`crate::notify::webhook`], only to destinations
//! its rules allow.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::store::changes::ChangeEvent;
use crate::store::outbox::{self, NewMessage};
use crate::store::webhooks::{self, Webhook};
use crate::store::DbConnection;
use crate::Result;

/// How long a webhook delivery is retried before it is marked failed.
pub const DELIVERY_DEADLINE: chrono::Duration = chrono::Duration::days(3);

/// The JSON a partner receives for an event.
pub fn payload(event: &ChangeEvent) -> Value {
    json!({
        "position": event.id,
        "kind": event.kind,
        "person_id": event.person_id,
        "certificate_id": event.certificate_id,
        "occurred_at": event.occurred_at.and_utc(),
    })
}

/// Queues the event for every webhook allowed to see it: the organisation a consent event is
/// about, or the organisations the person shares with for a certificate event.
pub fn announce(conn: &mut DbConnection, event: &ChangeEvent, now: NaiveDateTime) -> Result<usize> {
    let targets: Vec<Webhook> = match &event.organisation_id {
        Some(organisation_id) => webhooks::of_organisation(conn, organisation_id)?,
        None => webhooks::of_organisations_shared_with(conn, &event.person_id)?,
    };
    let body = payload(event);
    for webhook in &targets {
        outbox::enqueue(
            conn,
            &NewMessage {
                idempotency_key: format!("webhook:{}:{}", webhook.id, event.id),
                channel: "webhook".into(),
                template: "register_change".into(),
                // Shown in the outbox: without the secrets a URL may hold.
                recipient: crate::notify::redaction::redact_url(&webhook.url),
                person_id: None,
                payload: json!({ "webhook_id": webhook.id, "event": body }),
                give_up_at: now + DELIVERY_DEADLINE,
            },
            now,
        )?;
    }
    Ok(targets.len())
}

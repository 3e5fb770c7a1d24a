//! Webhooks: register changes pushed to partners, through the same outbox as email.
//!
//! Each delivery is a `POST` of the event as JSON, signed as Standard Webhooks 1.0 says
//! ([`crate::notify::webhook_signature`]), by [`crate::notify::webhook`], only to destinations
//! its rules allow.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::store::changes::ChangeEvent;
use crate::store::outbox::{self, NewMessage};
use crate::store::webhooks;
pub use crate::store::webhooks::Webhook;
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

/// Registers a webhook for the partner's organisation; the URL was checked by
/// [`crate::notify::webhook::check_destination`] first. Returns it with its secret, shown once.
pub fn create(
    conn: &mut DbConnection,
    partner: &crate::access::Partner,
    url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Webhook> {
    let webhook = Webhook {
        id: crate::store::new_id(),
        organisation_id: partner.organisation_id.clone(),
        url: url.trim().to_string(),
        secret: crate::notify::webhook_signature::new_secret(),
        created_at: crate::store::stored(now),
        disabled_at: None,
    };
    webhooks::create(conn, &webhook)?;
    Ok(webhook)
}

/// The partner's organisation's active webhooks.
pub fn of_partner(conn: &mut DbConnection, partner: &crate::access::Partner) -> Result<Vec<Webhook>> {
    webhooks::of_organisation(conn, &partner.organisation_id)
}

/// Stops posting to one of the partner's webhooks; another organisation's reads as missing.
pub fn remove(
    conn: &mut DbConnection,
    partner: &crate::access::Partner,
    webhook_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    match webhooks::get(conn, webhook_id) {
        Ok(w) if w.organisation_id == partner.organisation_id && w.disabled_at.is_none() => {
            webhooks::disable(conn, webhook_id, crate::store::stored(now))
        }
        Ok(_) | Err(crate::Error::NotFound(_)) => Err(crate::Error::NotFound("webhook")),
        Err(e) => Err(e),
    }
}

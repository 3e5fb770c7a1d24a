//! Webhooks: register changes pushed to partners, through the same outbox as email.
//!
//! Each delivery is a `POST` of the event as JSON with the header
//! `Peertrack-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
//! A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
//! time, and refuses timestamps more than a few minutes old. Deliveries are posted by
//! [`crate::notify::webhook`], only to destinations its rules allow.

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::store::changes::ChangeEvent;
use crate::store::outbox::{self, NewMessage};
use crate::store::webhooks;
pub use crate::store::webhooks::Webhook;
use crate::store::DbConnection;
use crate::Result;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Peertrack-Signature";

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
                recipient: webhook.url.clone(),
                person_id: None,
                payload: json!({ "webhook_id": webhook.id, "event": body }),
                give_up_at: now + DELIVERY_DEADLINE,
            },
            now,
        )?;
    }
    Ok(targets.len())
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", crate::credential::hex(&digest))
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
        secret: crate::store::tokens::new_secret("whsec"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_and_body() {
        // Reference value computed independently:
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        let signature = sign("secret", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(
            signature,
            "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert_ne!(signature, sign("other", 1_700_000_000, r#"{"a":1}"#));
        assert_ne!(signature, sign("secret", 1_700_000_001, r#"{"a":1}"#));
    }
}

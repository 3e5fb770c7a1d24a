//! Webhooks: partner systems that prefer push get every change they may see posted to them.

use chrono::{DateTime, Utc};
use peertrack_core::domain::utc;
use peertrack_core::notify::redaction::redact_url;
use peertrack_core::notify::webhook;
use peertrack_core::service::webhooks::{self as service, Webhook};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::auth::PartnerKey;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::routes::Tag;
use crate::server::AppState;
use crate::types::Text;

/// A webhook to register.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to post events: an `https://` URL on the internet. Addresses on private networks
    /// or of this service's own machine are refused, when registered and at every delivery.
    pub url: Text<8, 2000>,
}

/// A registered webhook; `secret` is shown only when it is created.
#[derive(Debug, Object)]
pub struct WebhookView {
    /// Its id.
    pub id: String,
    /// Where events are posted; any user information and query values show as `REDACTED`.
    pub url: String,
    /// The Standard Webhooks secret (`whsec_...`) for checking `webhook-signature`; shown once,
    /// keep it safe.
    pub secret: Option<String>,
    /// When registered.
    pub created_at: DateTime<Utc>,
}

/// Your webhooks.
#[derive(Debug, Object)]
pub struct WebhookList {
    /// Active webhooks, oldest first.
    pub items: Vec<WebhookView>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/webhooks`.
#[derive(Debug, ApiResponse)]
pub enum WebhookCreated {
    /// Registered; events you may see are posted to it from now on.
    #[oai(status = 201)]
    Created(Json<WebhookView>),
}

/// Answers of `DELETE /v1/webhooks/{id}`.
#[derive(Debug, ApiResponse)]
pub enum WebhookDeleted {
    /// Removed; nothing more is posted to it.
    #[oai(status = 204)]
    NoContent,
}

fn webhook_view(webhook: Webhook, show_secret: bool) -> WebhookView {
    WebhookView {
        id: webhook.id,
        url: redact_url(&webhook.url),
        secret: show_secret.then_some(webhook.secret),
        created_at: utc(webhook.created_at),
    }
}

/// Webhook operations.
pub struct WebhooksApi;

#[OpenApi(tag = "Tag::Register")]
impl WebhooksApi {
    /// Register a webhook
    ///
    /// For partner systems that prefer push: every change-feed event your organisation may
    /// see is also posted to this URL as JSON, signed as Standard Webhooks 1.0 says (headers
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) with the
    /// `whsec_` secret returned here (shown once). Failed deliveries are retried with backoff for three
    /// days; the change feed remains the record to reconcile from. The URL must be `https://`
    /// and lead to public addresses only (422 naming `url` otherwise); redirects are not
    /// followed.
    #[oai(path = "/v1/webhooks", method = "post")]
    async fn create_webhook(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        body: JsonBody<NewWebhook>,
    ) -> Result<WebhookCreated, ApiError> {
        let url = body.0.url.into_trimmed();
        // The same rules hold again at each delivery, since a name can be pointed elsewhere.
        webhook::check_destination(&url, state.config.webhook_destinations)
            .await
            .map_err(|refusal| ApiError::invalid("url", refusal.to_string()))?;
        let now = state.now();
        let created = state
            .db
            .write_async(move |conn| service::create(conn, &key.0, &url, now))
            .await?;
        Ok(WebhookCreated::Created(Json(webhook_view(created, true))))
    }

    /// List webhooks
    ///
    /// Your organisation's active webhooks (without their secrets).
    #[oai(path = "/v1/webhooks", method = "get")]
    async fn webhooks(&self, state: Data<&AppState>, key: PartnerKey) -> Result<Json<WebhookList>, ApiError> {
        let hooks = state
            .db
            .read_async(move |conn| service::of_partner(conn, &key.0))
            .await?;
        Ok(Json(WebhookList {
            items: hooks.into_iter().map(|w| webhook_view(w, false)).collect(),
            next_cursor: None,
        }))
    }

    /// Remove a webhook
    ///
    /// Stops posting to it; 404 for a webhook that is not your organisation's.
    #[oai(path = "/v1/webhooks/:id", method = "delete")]
    async fn delete_webhook(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        /// The webhook.
        id: Path<Text>,
    ) -> Result<WebhookDeleted, ApiError> {
        let now = state.now();
        state
            .db
            .write_async(move |conn| service::remove(conn, &key.0, &id.0, now))
            .await?;
        Ok(WebhookDeleted::NoContent)
    }
}

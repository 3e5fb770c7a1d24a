//! The email outbox for administrators: what was sent, what is waiting, and what failed with
//! its last error, so nothing goes missing unseen. Bodies are never shown (sign-in links are
//! secrets, and the rest is about people).

use chrono::{DateTime, Utc};
use peertrack_core::domain::utc;
use peertrack_core::notify::redaction::{redact_url, redact_urls_in};
use peertrack_core::service::outbox::{self as service, status};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::PathNumber;

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Delivered.
    Sent,
    /// Given up on; `last_error` says why.
    Failed,
    /// Not sent on purpose: the person turned such emails off, or was erased.
    Skipped,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => status::PENDING,
            OutboxStatus::Sent => status::SENT,
            OutboxStatus::Failed => status::FAILED,
            OutboxStatus::Skipped => status::SKIPPED,
        }
    }
}

/// A queued email, without its content.
#[derive(Debug, Object)]
pub struct OutboxMessage {
    /// Its position in the queue.
    pub id: i64,
    /// Which email it is, e.g. `enrolment` or `certificate_issued`.
    pub template: String,
    /// The address it goes to.
    pub recipient: String,
    /// The person it is for.
    pub person_id: Option<String>,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// The last delivery error, or why it was skipped.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// The next attempt, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// When retrying stops.
    pub give_up_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A page of the outbox.
#[derive(Debug, Object)]
pub struct OutboxPage {
    /// Messages in queue order.
    pub items: Vec<OutboxMessage>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/outbox/{id}/retry`.
#[derive(Debug, ApiResponse)]
pub enum Retried {
    /// Queued again, due now, with a new three-day deadline.
    #[oai(status = 200)]
    Ok(Json<OutboxMessage>),
}

fn view(message: service::OutboxMessage) -> OutboxMessage {
    OutboxMessage {
        id: message.id,
        template: message.template,
        // A webhook's URL, in old rows and in errors, may hold secrets.
        recipient: redact_url(&message.recipient),
        person_id: message.person_id,
        status: message.status,
        attempts: message.attempts,
        last_error: message.last_error.as_deref().map(redact_urls_in),
        created_at: utc(message.created_at),
        next_attempt_at: utc(message.next_attempt_at),
        give_up_at: utc(message.give_up_at),
        sent_at: message.sent_at.map(utc),
    }
}

/// Outbox operations.
pub struct OutboxApi;

#[OpenApi(tag = "Tag::Outbox")]
impl OutboxApi {
    /// List queued emails
    ///
    /// Emails in queue order, optionally only those with one status: `?status=failed` shows
    /// what could not be delivered and the last error. For administrators.
    #[oai(path = "/v1/outbox", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Only messages with this status.
        status: Query<Option<OutboxStatus>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<OutboxPage>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(text) => Some(text.parse::<i64>().map_err(|_| paging::bad_cursor())?),
            None => None,
        };
        let status = status.0.map(OutboxStatus::as_str);
        let rows = state
            .db
            .read_async(move |conn| service::list(conn, &auth.0, status, after, limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |m| m.id.to_string());
        Ok(Json(OutboxPage {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }))
    }

    /// Retry a failed email
    ///
    /// Puts a failed email back in the queue, for example after the mail server's settings
    /// were fixed. Sign-in links cannot be retried (they expire); the person asks for a new one.
    /// For administrators.
    #[oai(path = "/v1/outbox/:id/retry", method = "post")]
    async fn retry(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<PathNumber>,
    ) -> Result<Retried, ApiError> {
        let now = state.now();
        let id =
            id.0 .0
                .ok_or_else(|| ApiError::bad_request("id", "must be a whole number"))?;
        let message = state
            .db
            .write_async(move |conn| service::retry(conn, &auth.0, id, now))
            .await?;
        Ok(Retried::Ok(Json(view(message))))
    }
}

//! `GET /v1/audit-events`: the audit trail, for administrators.

use chrono::{DateTime, Utc};
use peertrack_core::domain::utc;
use peertrack_core::service::audit as service;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A recorded change.
#[derive(Debug, Object)]
pub struct AuditEvent {
    /// Position in the trail.
    pub id: i64,
    /// The person who acted, or null for Peertrack itself.
    pub actor_id: Option<String>,
    /// The person's id or the part of Peertrack that acted (`cli`, `scheduler`).
    pub actor: String,
    /// What was done, e.g. `attendance.replaced`.
    pub action: String,
    /// The kind of thing changed.
    pub entity_kind: String,
    /// Its id.
    pub entity_id: String,
    /// Details.
    pub details: serde_json::Value,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// A page of the audit trail.
#[derive(Debug, Object)]
pub struct AuditEventList {
    /// Events, oldest first.
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Audit operations.
pub struct AuditApi;

#[OpenApi(tag = "Tag::Audit")]
impl AuditApi {
    /// Read the audit trail
    ///
    /// Every change with who made it and when, oldest first; optionally only those about one
    /// thing (`entity_kind` and `entity_id` together, e.g. `session` and its id). For
    /// administrators.
    #[oai(path = "/v1/audit-events", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The kind of thing, e.g. `session`, `cohort`, `assessment`.
        entity_kind: Query<Option<Text<0, 50>>>,
        /// Its id.
        entity_id: Query<Option<Text<0, 64>>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AuditEventList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(text) => Some(text.parse::<i64>().map_err(|_| paging::bad_cursor())?),
            None => None,
        };
        let (kind, id) = (entity_kind.0.map(String::from), entity_id.0.map(String::from));
        let rows = state
            .db
            .read_async(move |conn| {
                service::list(conn, &auth.0, kind.as_deref(), id.as_deref(), after, limit + 1)
            })
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |e| e.id.to_string());
        Ok(Json(AuditEventList {
            items: rows
                .into_iter()
                .map(|e| AuditEvent {
                    id: e.id,
                    actor_id: e.actor_id,
                    actor: e.actor_label,
                    action: e.action,
                    entity_kind: e.entity_kind,
                    entity_id: e.entity_id,
                    details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
                    occurred_at: utc(e.occurred_at),
                })
                .collect(),
            next_cursor,
        }))
    }
}

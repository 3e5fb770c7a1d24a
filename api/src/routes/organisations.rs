//! `POST /v1/organisations` and `GET /v1/organisations`; partner API keys, which
//! administrators make, list and revoke under `/v1/organisations/{id}/api-keys`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::input::NAME_MAX;
use peertrack_core::domain::utc;
use peertrack_core::service::organisations::{self as service, ApiKey};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A new organisation.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Its name, e.g. "Penumbra" (unique).
    pub name: Text<1, NAME_MAX>,
}

/// An organisation.
#[derive(Debug, Object)]
pub struct Organisation {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A page of organisations.
#[derive(Debug, Object)]
pub struct OrganisationList {
    /// Organisations by name.
    pub items: Vec<Organisation>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/organisations`.
#[derive(Debug, ApiResponse)]
pub enum Created {
    /// The organisation was added.
    #[oai(status = 201)]
    Created(Json<Organisation>),
}

/// A new API key for a partner organisation's system.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// A name to tell the organisation's keys apart, e.g. "HR system".
    pub name: Text<1, NAME_MAX>,
}

/// A partner API key, as listed: never the key itself, which is shown once when it is made.
#[derive(Debug, Object)]
pub struct ApiKeyView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; null while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A partner API key just made, with the key itself.
#[derive(Debug, Object)]
pub struct CreatedApiKey {
    /// Its id, for revoking it later.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The key, for the partner system to send as `X-Api-Key`. Shown only this once: only a
    /// hash of it is kept.
    pub key: String,
}

/// An organisation's API keys.
#[derive(Debug, Object)]
pub struct ApiKeyList {
    /// Every key, revoked ones included, oldest first.
    pub items: Vec<ApiKeyView>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/organisations/{id}/api-keys`.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyCreated {
    /// Made; the key works from now until it is revoked.
    #[oai(status = 201)]
    Created(Json<CreatedApiKey>, #[oai(header = "Cache-Control")] String),
}

/// Answers of `DELETE /v1/organisations/{id}/api-keys/{key_id}`.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyRevoked {
    /// Revoked (or already was): from the next request on, the key gets 401.
    #[oai(status = 204)]
    NoContent,
}

fn api_key_view(key: ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name,
        created_at: utc(key.created_at),
        revoked_at: key.revoked_at.map(utc),
    }
}

/// Organisation operations.
pub struct OrganisationsApi;

#[OpenApi(tag = "Tag::Organisations")]
impl OrganisationsApi {
    /// Add an organisation
    ///
    /// Administrators add the organisations that deliver courses, host placements or look up
    /// the register. Names are unique: a second organisation with the same name gets 409.
    #[oai(path = "/v1/organisations", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewOrganisation>,
    ) -> Result<Created, ApiError> {
        let name = body.0.name.0;
        let now = state.now();
        let created = state
            .db
            .write_async(move |conn| service::create(conn, &auth.0, &name, now))
            .await?;
        Ok(Created::Created(Json(Organisation {
            id: created.id,
            name: created.name,
        })))
    }

    /// List organisations
    ///
    /// Organisations by name, for any signed-in person (for example, to choose whom to share
    /// their qualification status with).
    #[oai(path = "/v1/organisations", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<OrganisationList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let rows = state
            .db
            .read_async(move |conn| service::list(conn, &auth.0, after.as_deref(), limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |o| o.name.clone());
        Ok(Json(OrganisationList {
            items: rows
                .into_iter()
                .map(|o| Organisation {
                    id: o.id,
                    name: o.name,
                })
                .collect(),
            next_cursor,
        }))
    }

    /// List an organisation's API keys
    ///
    /// Every key the organisation's systems have had, revoked ones included, with when each
    /// was made and revoked; never the keys themselves. For administrators.
    #[oai(path = "/v1/organisations/:id/api-keys", method = "get")]
    async fn api_keys(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        id: Path<Text>,
    ) -> Result<Json<ApiKeyList>, ApiError> {
        let keys = state
            .db
            .read_async(move |conn| service::api_keys(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(ApiKeyList {
            items: keys.into_iter().map(api_key_view).collect(),
            next_cursor: None,
        }))
    }

    /// Make an API key
    ///
    /// A new key for one of the organisation's systems to look up the register with, sent as
    /// `X-Api-Key`. The key is in this answer only: keep it safe, and revoke it if it is lost.
    /// For administrators.
    #[oai(path = "/v1/organisations/:id/api-keys", method = "post")]
    async fn create_api_key(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        id: Path<Text>,
        body: JsonBody<NewApiKey>,
    ) -> Result<ApiKeyCreated, ApiError> {
        let name = body.0.name.0;
        let now = state.now();
        let (secret, key) = state
            .db
            .write_async(move |conn| service::create_api_key(conn, &auth.0, &id.0, &name, now))
            .await?;
        Ok(ApiKeyCreated::Created(
            Json(CreatedApiKey {
                id: key.id,
                name: key.name,
                created_at: utc(key.created_at),
                key: secret,
            }),
            "no-store".into(),
        ))
    }

    /// Revoke an API key
    ///
    /// The key stops working at once: the next request made with it gets 401. 404 for a key
    /// that is not this organisation's. For administrators.
    #[oai(path = "/v1/organisations/:id/api-keys/:key_id", method = "delete")]
    async fn revoke_api_key(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        id: Path<Text>,
        /// The key.
        key_id: Path<Text>,
    ) -> Result<ApiKeyRevoked, ApiError> {
        let now = state.now();
        state
            .db
            .write_async(move |conn| service::revoke_api_key(conn, &auth.0, Some(&id.0), &key_id.0, now))
            .await?;
        Ok(ApiKeyRevoked::NoContent)
    }
}

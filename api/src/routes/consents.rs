//! Sharing: a person chooses which organisations may see that they are qualified.

use chrono::{DateTime, Utc};
use peertrack_core::domain::utc;
use peertrack_core::service::consents::{self as service, Consent};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A consent.
#[derive(Debug, Object)]
pub struct ConsentView {
    /// The organisation.
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// When sharing began.
    pub granted_at: DateTime<Utc>,
    /// When it stopped; null while sharing.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// My consents.
#[derive(Debug, Object)]
pub struct ConsentList {
    /// Current and past, oldest first.
    pub items: Vec<ConsentView>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Answers of `PUT /v1/me/consents/{organisation_id}`.
#[derive(Debug, ApiResponse)]
pub enum ConsentPut {
    /// Already sharing; nothing changed.
    #[oai(status = 200)]
    Unchanged(Json<ConsentView>),
    /// Now sharing.
    #[oai(status = 201)]
    Created(Json<ConsentView>),
}

/// Answers of `DELETE /v1/me/consents/{organisation_id}`.
#[derive(Debug, ApiResponse)]
pub enum ConsentDeleted {
    /// Not sharing (any more); the organisation no longer sees you from its next request.
    #[oai(status = 204)]
    NoContent,
}

fn consent_view(consent: Consent, organisation_name: String) -> ConsentView {
    ConsentView {
        organisation_id: consent.organisation_id,
        organisation_name,
        granted_at: utc(consent.granted_at),
        withdrawn_at: consent.withdrawn_at.map(utc),
    }
}

/// Consent operations.
pub struct ConsentsApi;

#[OpenApi(tag = "Tag::Consents")]
impl ConsentsApi {
    /// Share my qualification status
    ///
    /// Lets an organisation see, through its register search, that you are qualified: your
    /// name and your valid certificates. You can stop at any time.
    #[oai(path = "/v1/me/consents/:organisation_id", method = "put")]
    async fn share(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        organisation_id: Path<Text>,
    ) -> Result<ConsentPut, ApiError> {
        let now = state.now();
        let (consent, organisation, created) = state
            .db
            .write_async(move |conn| service::share(conn, &auth.0, &organisation_id.0, now))
            .await?;
        let view = Json(consent_view(consent, organisation.name));
        Ok(if created {
            ConsentPut::Created(view)
        } else {
            ConsentPut::Unchanged(view)
        })
    }

    /// Stop sharing my qualification status
    ///
    /// The organisation no longer finds you from its next request, and its change feed says
    /// you stopped sharing.
    #[oai(path = "/v1/me/consents/:organisation_id", method = "delete")]
    async fn stop_sharing(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        organisation_id: Path<Text>,
    ) -> Result<ConsentDeleted, ApiError> {
        let now = state.now();
        state
            .db
            .write_async(move |conn| service::stop_sharing(conn, &auth.0, &organisation_id.0, now))
            .await?;
        Ok(ConsentDeleted::NoContent)
    }

    /// Whom I share with
    ///
    /// Every organisation you share (or shared) your qualification status with, and when.
    #[oai(path = "/v1/me/consents", method = "get")]
    async fn consents(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<ConsentList>, ApiError> {
        let found = state
            .db
            .read_async(move |conn| service::mine(conn, &auth.0))
            .await?;
        Ok(Json(ConsentList {
            items: found
                .into_iter()
                .map(|(consent, organisation)| consent_view(consent, organisation.name))
                .collect(),
            next_cursor: None,
        }))
    }
}

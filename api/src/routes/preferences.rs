//! A person's email preferences: `GET` and `PUT /v1/me/preferences`.
//!
//! Reminders and other optional emails (session reminders, notes about missed sessions,
//! supervision nudges) can be turned off; sign-in links and news about certificates still come.

use peertrack_core::service::me as service;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;

/// What a person wants to hear about.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Session reminders, notes about missed sessions and supervision nudges. Emails people
    /// need (sign-in links, enrolment, assessments, certificates) come either way.
    pub reminders: bool,
}

/// Preference operations.
pub struct PreferencesApi;

#[OpenApi(tag = "Tag::Me")]
impl PreferencesApi {
    /// My email preferences
    ///
    /// Whether reminders and other optional emails are on.
    #[oai(path = "/v1/me/preferences", method = "get")]
    async fn get(&self, state: Data<&AppState>, auth: PersonToken) -> Result<Json<Preferences>, ApiError> {
        let person = state
            .db
            .read_async(move |conn| service::profile(conn, &auth.0))
            .await?;
        Ok(Json(Preferences {
            reminders: person.reminders_enabled,
        }))
    }

    /// Change my email preferences
    ///
    /// Turn reminders and other optional emails off (or on again). Emails already queued that
    /// are optional are not sent once they are off.
    #[oai(path = "/v1/me/preferences", method = "put")]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<Preferences>,
    ) -> Result<Json<Preferences>, ApiError> {
        let reminders = body.0.reminders;
        let now = state.now();
        state
            .db
            .write_async(move |conn| service::set_reminders(conn, &auth.0, reminders, now))
            .await?;
        Ok(Json(Preferences { reminders }))
    }
}

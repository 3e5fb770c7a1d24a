//! A person's own data: who looked them up, everything held about them, and erasure.

use chrono::{DateTime, Utc};
use peertrack_core::domain::local_time::{clock_time, day_month_year, local_date};
use peertrack_core::domain::utc;
use peertrack_core::service::personal_data::{self as service, LoggedLookUp};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A look-up of me by a partner.
#[derive(Debug, Object)]
pub struct AccessLogEntry {
    /// The organisation that looked.
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// The name of the system (API key) it used.
    pub system: Option<String>,
    /// How: `register.search` or `register.person`.
    pub endpoint: String,
    /// When.
    pub accessed_at: DateTime<Utc>,
    /// What happened, in plain words.
    pub description: String,
}

/// My access log.
#[derive(Debug, Object)]
pub struct AccessLog {
    /// Newest first.
    pub items: Vec<AccessLogEntry>,
    /// Pass as `cursor` for older entries; null on the last page.
    pub next_cursor: Option<String>,
}

/// The outcome of an erasure.
#[derive(Debug, Object)]
pub struct Erased {
    /// The person.
    pub person_id: String,
    /// When their details were erased.
    pub erased_at: DateTime<Utc>,
}

fn describe(entry: &LoggedLookUp) -> String {
    let how = match entry.endpoint.as_str() {
        "register.person" => "looked you up by name in the register",
        _ => "found you in a search of qualified peer supporters",
    };
    let system = entry
        .api_key_name
        .as_deref()
        .map(|s| format!(" (through {s})"))
        .unwrap_or_default();
    format!(
        "{}{system} {how} on {} at {} (UK time).",
        entry.organisation_name,
        day_month_year(local_date(entry.accessed_at)),
        clock_time(entry.accessed_at)
    )
}

/// Personal data operations.
pub struct PersonalDataApi;

#[OpenApi]
impl PersonalDataApi {
    /// Who looked me up
    ///
    /// Every time a partner organisation's system found you in the register or looked you
    /// up, newest first, in plain words.
    #[oai(path = "/v1/me/access-log", method = "get", tag = "Tag::Me")]
    async fn access_log(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AccessLog>, ApiError> {
        let limit = paging::page_size(limit.0);
        let before = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(text) => Some(text.parse::<i64>().map_err(|_| paging::bad_cursor())?),
            None => None,
        };
        let rows = state
            .db
            // A write: look-ups still waiting are spread into the log before it is read.
            .write_async(move |conn| service::my_access_log(conn, &auth.0, before, limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |e| e.id.to_string());
        Ok(Json(AccessLog {
            items: rows
                .into_iter()
                .map(|e| AccessLogEntry {
                    description: describe(&e),
                    organisation_id: e.organisation_id,
                    organisation_name: e.organisation_name,
                    system: e.api_key_name,
                    endpoint: e.endpoint,
                    accessed_at: utc(e.accessed_at),
                })
                .collect(),
            next_cursor,
        }))
    }

    /// Everything held about me
    ///
    /// All your data as JSON, to keep or to take elsewhere: your details, enrolments,
    /// attendance, assessments, placements and supervision (with your notes), continuing
    /// development, certificates, consents, who looked you up, the emails sent to you, and your
    /// calendar feeds (when each was made and stopped; never the secret address).
    #[oai(path = "/v1/me/export", method = "get", tag = "Tag::Me")]
    async fn export(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<serde_json::Value>, ApiError> {
        let data = state
            .db
            .write_async(move |conn| service::my_export(conn, &auth.0))
            .await?;
        Ok(Json(data))
    }

    /// Erase a person's details
    ///
    /// On a person's request (GDPR Article 17), an administrator removes their personal
    /// details everywhere: name, email, notes, access log, queued emails; sharing stops. Training
    /// records stay as anonymous aggregates, and their certificates still verify as "valid
    /// certificate, holder details withheld", so an employer's check keeps working.
    #[oai(path = "/v1/people/:id/erase", method = "post", tag = "Tag::People")]
    async fn erase(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Erased>, ApiError> {
        let now = state.now();
        let person_id = String::from(id.0);
        state
            .db
            .write_async({
                let person_id = person_id.clone();
                move |conn| service::erase_person(conn, &auth.0, &person_id, now)
            })
            .await?;
        Ok(Json(Erased {
            person_id,
            erased_at: now,
        }))
    }
}

//! Cohorts: creating them and reading them; their sessions, enrolments and progress are in
//! the modules below (all under the `Cohorts` tag).

pub mod enrolments;
pub mod progress;
pub mod sessions;

use peertrack_core::domain::input::{EMAIL_MAX, NAME_MAX};
use peertrack_core::service::cohorts::{self as service, CohortDetails};
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
use crate::types::{Date, Items, Text};

/// A new cohort.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewCohort {
    /// The programme, e.g. `P2P`; the cohort follows its current version.
    pub programme_code: Text<1, 50>,
    /// The delivering organisation's id.
    pub organisation_id: Text<1, 64>,
    /// A name people recognise, e.g. "Dundee spring 2027".
    pub name: Text<1, NAME_MAX>,
    /// First day.
    pub starts_on: Date,
    /// Last day, on or after `starts_on`.
    pub ends_on: Date,
    /// Tutors' email addresses; new addresses get accounts.
    pub tutor_emails: Items<Text<3, EMAIL_MAX>, 20>,
}

/// What to change about a cohort; fields left out stay as they are. Its tutors may change
/// `name` only.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CohortChangeInput {
    /// A new name.
    pub name: Option<Text<1, NAME_MAX>>,
    /// A new first day (administrators); it must keep every session held within the dates.
    pub starts_on: Option<Date>,
    /// A new last day (administrators), on or after `starts_on`.
    pub ends_on: Option<Date>,
    /// All of its tutors, by email (administrators): new addresses get accounts, tutors left
    /// out stop being its tutors from their next request.
    pub tutor_emails: Option<Items<Text<3, EMAIL_MAX>, 20>>,
}

/// A tutor of a cohort.
#[derive(Debug, Object)]
pub struct Tutor {
    /// Their id.
    pub person_id: String,
    /// Their name.
    pub name: String,
}

/// A cohort.
#[derive(Debug, Object)]
pub struct Cohort {
    /// Its id.
    pub id: String,
    /// The programme's code.
    pub programme_code: String,
    /// The programme version it follows.
    pub programme_version: u32,
    /// The delivering organisation.
    pub organisation_id: String,
    /// Its name.
    pub name: String,
    /// First day.
    pub starts_on: chrono::NaiveDate,
    /// Last day.
    pub ends_on: chrono::NaiveDate,
    /// Its tutors.
    pub tutors: Vec<Tutor>,
}

impl From<CohortDetails> for Cohort {
    fn from(details: CohortDetails) -> Self {
        let cohort = details.cohort;
        Cohort {
            id: cohort.id,
            programme_code: details.programme_code,
            programme_version: details.programme_version,
            organisation_id: cohort.organisation_id,
            name: cohort.name,
            starts_on: cohort.starts_on,
            ends_on: cohort.ends_on,
            tutors: details
                .tutors
                .into_iter()
                .map(|p| Tutor {
                    name: p.display_name().to_string(),
                    person_id: p.id,
                })
                .collect(),
        }
    }
}

/// A page of cohorts.
#[derive(Debug, Object)]
pub struct CohortList {
    /// Cohorts the caller can see.
    pub items: Vec<Cohort>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/cohorts`.
#[derive(Debug, ApiResponse)]
pub enum CohortCreated {
    /// The cohort was created.
    #[oai(status = 201)]
    Created(Json<Cohort>),
}

/// Cohort operations.
pub struct CohortsApi;

#[OpenApi(tag = "Tag::Cohorts")]
impl CohortsApi {
    /// Create a cohort
    ///
    /// Administrators create a cohort of a programme (at its current version) delivered by an
    /// organisation, naming its tutors by email; tutors new to Peertrack get accounts.
    #[oai(path = "/v1/cohorts", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewCohort>,
    ) -> Result<CohortCreated, ApiError> {
        let body = body.0;
        let input = service::NewCohort {
            programme_code: body.programme_code.into_trimmed(),
            organisation_id: body.organisation_id.into_trimmed(),
            name: body.name.0,
            starts_on: body.starts_on.0,
            ends_on: body.ends_on.0,
            tutor_emails: body.tutor_emails.into_iter().map(|e| e.into_trimmed()).collect(),
        };
        let now = state.now();
        let cohort = state
            .db
            .write_async(move |conn| service::create(conn, &auth.0, &input, now))
            .await?;
        Ok(CohortCreated::Created(Json(cohort.into())))
    }

    /// List cohorts
    ///
    /// Administrators see every cohort; others see the cohorts they tutor or learn in.
    #[oai(path = "/v1/cohorts", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CohortList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let rows = state
            .db
            .read_async(move |conn| service::list(conn, &auth.0, after.as_deref(), limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |c| c.cohort.id.clone());
        Ok(Json(CohortList {
            items: rows.into_iter().map(Cohort::from).collect(),
            next_cursor,
        }))
    }

    /// Get a cohort
    ///
    /// For administrators, the cohort's tutors and its learners.
    #[oai(path = "/v1/cohorts/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Cohort>, ApiError> {
        let cohort = state
            .db
            .read_async(move |conn| service::get(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(cohort.into()))
    }

    /// Change a cohort
    ///
    /// Administrators may rename a cohort, change its dates (which must keep every session
    /// held within them), and change its tutors; its tutors may rename it and get 403 for any
    /// other change. A tutor taken off loses access from their next request.
    #[oai(path = "/v1/cohorts/:id", method = "patch")]
    async fn change(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<CohortChangeInput>,
    ) -> Result<Json<Cohort>, ApiError> {
        let body = body.0;
        let change = service::CohortChange {
            name: body.name.map(|n| n.0),
            starts_on: body.starts_on.map(|d| d.0),
            ends_on: body.ends_on.map(|d| d.0),
            tutor_emails: body
                .tutor_emails
                .map(|emails| emails.into_iter().map(|e| e.into_trimmed()).collect()),
        };
        let now = state.now();
        let cohort = state
            .db
            .write_async(move |conn| service::update(conn, &auth.0, &id.0, &change, now))
            .await?;
        Ok(Json(cohort.into()))
    }
}

//! A person's own records: their progress, certificates and continuing development.

use chrono::NaiveDate;
use peertrack_core::domain::input::NAME_MAX;
use peertrack_core::service::certificates as certificate_service;
use peertrack_core::service::me::{self as service, CpdRecord};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::certificates::{certificate_view, Certificate};
use super::people::Requirement;
use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::{Date, Hours, Text};

/// A person's own profile.
#[derive(Debug, Object)]
pub struct Profile {
    /// Their id.
    pub id: String,
    /// Their name, as they write it.
    pub name: String,
    /// The email address they sign in with.
    pub email: Option<String>,
    /// Whether they administer this Peertrack.
    pub is_admin: bool,
}

impl From<peertrack_core::store::people::Person> for Profile {
    fn from(person: peertrack_core::store::people::Person) -> Self {
        Profile {
            name: person.display_name().to_string(),
            id: person.id,
            email: person.email,
            is_admin: person.is_admin,
        }
    }
}

/// A correction of my own name.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct MyNameCorrection {
    /// My name as I write it, in any script.
    pub name: Text<0, NAME_MAX>,
}

/// My progress in one cohort.
#[derive(Debug, Object)]
pub struct MyCohortProgress {
    /// The cohort.
    pub cohort_id: String,
    /// Its name.
    pub cohort_name: String,
    /// The programme's code.
    pub programme_code: String,
    /// The programme's title.
    pub programme_title: String,
    /// From when sessions count for me.
    pub enrolled_on: NaiveDate,
    /// Whether every requirement of the certificate is met.
    pub eligible: bool,
    /// Each requirement: what is done and what is still missing, in plain words.
    pub requirements: Vec<Requirement>,
}

/// My progress.
#[derive(Debug, Object)]
pub struct MyProgress {
    /// A row per cohort I am in, most recent first.
    pub items: Vec<MyCohortProgress>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// My certificates.
#[derive(Debug, Object)]
pub struct MyCertificates {
    /// Newest first.
    pub items: Vec<Certificate>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Continuing professional development to log.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewCpd {
    /// When it was completed (not in the future).
    pub completed_on: Date,
    /// How long, in hours (for example 1.5).
    pub hours: Hours,
    /// The category the renewal rule counts, e.g. `ethics` or `peer_recovery`.
    pub category: Text<1, 50>,
    /// What it was, e.g. "Trauma-informed practice workshop".
    pub title: Text<1, NAME_MAX>,
}

/// A piece of continuing development.
#[derive(Debug, Object)]
pub struct Cpd {
    /// Its id.
    pub id: String,
    /// When completed.
    pub completed_on: NaiveDate,
    /// Hours.
    pub hours: f64,
    /// Category.
    pub category: String,
    /// What it was.
    pub title: String,
}

/// My continuing development.
#[derive(Debug, Object)]
pub struct MyCpd {
    /// By date.
    pub items: Vec<Cpd>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/me/cpd`.
#[derive(Debug, ApiResponse)]
pub enum CpdCreated {
    /// Logged.
    #[oai(status = 201)]
    Created(Json<Cpd>),
}

fn cpd_view(r: CpdRecord) -> Cpd {
    Cpd {
        id: r.id,
        completed_on: r.completed_on,
        hours: f64::from(r.minutes) / 60.0,
        category: r.category,
        title: r.title,
    }
}

/// "Me" operations.
pub struct MeApi;

#[OpenApi(tag = "Tag::Me")]
impl MeApi {
    /// My profile
    ///
    /// My name and the email address I sign in with.
    #[oai(path = "/v1/me", method = "get")]
    async fn profile(&self, state: Data<&AppState>, auth: PersonToken) -> Result<Json<Profile>, ApiError> {
        let person = state
            .db
            .read_async(move |conn| service::profile(conn, &auth.0))
            .await?;
        Ok(Json(Profile::from(person)))
    }

    /// Correct my name
    ///
    /// My name as I write it, in any script; it is stored exactly as typed (spaces around it
    /// aside). Organisations I share my record with are told it changed. Certificates keep the
    /// name they were issued in until I ask for them to be reissued
    /// (`POST /v1/certificates/{id}/reissue`).
    #[oai(path = "/v1/me", method = "patch")]
    async fn rename(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<MyNameCorrection>,
    ) -> Result<Json<Profile>, ApiError> {
        let name = body.0.name.0;
        let now = state.now();
        let person = state
            .db
            .write_async(move |conn| service::rename(conn, &auth.0, &name, now))
            .await?;
        Ok(Json(Profile::from(person)))
    }

    /// My progress
    ///
    /// For each cohort I am in: what I have done and what is still missing for the
    /// certificate, in plain words.
    #[oai(path = "/v1/me/progress", method = "get")]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<MyProgress>, ApiError> {
        let now = state.now();
        let found = state
            .db
            .read_async(move |conn| service::progress(conn, &auth.0, now))
            .await?;
        let items = found
            .into_iter()
            .map(|(cohort, version, learner)| MyCohortProgress {
                cohort_id: cohort.id,
                cohort_name: cohort.name,
                programme_code: version.definition.code,
                programme_title: version.definition.title,
                enrolled_on: learner.enrolment.enrolled_on,
                eligible: learner.eligibility.eligible,
                requirements: learner
                    .eligibility
                    .requirements
                    .into_iter()
                    .map(Requirement::from)
                    .collect(),
            })
            .collect();
        Ok(Json(MyProgress {
            items,
            next_cursor: None,
        }))
    }

    /// My certificates
    ///
    /// Every certificate I hold, newest first, with its status today.
    #[oai(path = "/v1/me/certificates", method = "get")]
    async fn certificates(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<MyCertificates>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let found = state
            .db
            .read_async(move |conn| certificate_service::mine(conn, &auth.0, &public_url, now))
            .await?;
        Ok(Json(MyCertificates {
            items: found.into_iter().map(certificate_view).collect(),
            next_cursor: None,
        }))
    }

    /// Log continuing development
    ///
    /// Peer workers log their continuing professional development (hours and a category) so
    /// that certificates that expire can be renewed.
    #[oai(path = "/v1/me/cpd", method = "post")]
    async fn log_cpd(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewCpd>,
    ) -> Result<CpdCreated, ApiError> {
        let body = body.0;
        let input = service::NewCpd {
            completed_on: body.completed_on.0,
            hours: body.hours.0,
            category: body.category.0,
            title: body.title.0,
        };
        let now = state.now();
        let record = state
            .db
            .write_async(move |conn| service::log_cpd(conn, &auth.0, &input, now))
            .await?;
        Ok(CpdCreated::Created(Json(cpd_view(record))))
    }

    /// My continuing development
    ///
    /// Everything I have logged, by date.
    #[oai(path = "/v1/me/cpd", method = "get")]
    async fn cpd(&self, state: Data<&AppState>, auth: PersonToken) -> Result<Json<MyCpd>, ApiError> {
        let items = state
            .db
            .read_async(move |conn| service::cpd(conn, &auth.0))
            .await?;
        Ok(Json(MyCpd {
            items: items.into_iter().map(cpd_view).collect(),
            next_cursor: None,
        }))
    }
}

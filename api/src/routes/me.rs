//! A person's own records: their progress, certificates and continuing development.

use chrono::NaiveDate;
use peertrack_core::service::progress;
use peertrack_core::store::{self, audit, certificates, cohorts, new_id, placements, programmes};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::certificates::{certificate_view, Certificate};
use super::people::Requirement;
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

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
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewCpd {
    /// When it was completed (not in the future).
    pub completed_on: NaiveDate,
    /// How long, in hours (for example 1.5).
    #[oai(validator(minimum(value = "0.25"), maximum(value = "100")))]
    pub hours: f64,
    /// The category the renewal rule counts, e.g. `ethics` or `peer_recovery`.
    #[oai(validator(min_length = 1, max_length = 50))]
    pub category: Text,
    /// What it was, e.g. "Trauma-informed practice workshop".
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Text,
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

fn cpd_view(r: placements::CpdRecord) -> Cpd {
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
        let me = auth.0.person_id;
        let now = state.now();
        let items = state
            .db
            .read_async(move |conn| {
                let mut items = Vec::new();
                let mut enrolments = cohorts::enrolments_of_person(conn, &me)?;
                enrolments.reverse();
                for enrolment in enrolments {
                    let cohort = cohorts::get(conn, &enrolment.cohort_id)?;
                    let version = programmes::version(conn, &cohort.programme_version_id)?;
                    let learner = progress::learner_progress(conn, &enrolment, &version, now)?;
                    items.push(MyCohortProgress {
                        cohort_id: cohort.id,
                        cohort_name: cohort.name,
                        programme_code: version.definition.code.clone(),
                        programme_title: version.definition.title.clone(),
                        enrolled_on: enrolment.enrolled_on,
                        eligible: learner.eligibility.eligible,
                        requirements: learner
                            .eligibility
                            .requirements
                            .into_iter()
                            .map(Requirement::from)
                            .collect(),
                    });
                }
                Ok(items)
            })
            .await?;
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
        let me = auth.0.person_id;
        let today = state.now().date_naive();
        let public_url = state.config.public_url.clone();
        let items = state
            .db
            .read_async(move |conn| {
                certificates::of_person(conn, &me)?
                    .into_iter()
                    .map(|c| certificate_view(conn, c, &public_url, today))
                    .collect::<peertrack_core::Result<Vec<_>>>()
            })
            .await?;
        Ok(Json(MyCertificates {
            items,
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
        body: Json<NewCpd>,
    ) -> Result<CpdCreated, ApiError> {
        let me = auth.0.person_id;
        let now = state.now();
        if body.0.completed_on > now.date_naive() {
            return Err(ApiError::invalid("completed_on", "cannot be in the future"));
        }
        // Older dates are typing mistakes, and the oldest are beyond what PostgreSQL can store.
        crate::validation::require_plausible_date("completed_on", body.0.completed_on)?;
        let category = body.0.category.trimmed().to_lowercase().replace(' ', "_");
        let title = body.0.title.trimmed().to_string();
        if category.is_empty() {
            return Err(ApiError::invalid("category", "must not be blank"));
        }
        if title.is_empty() {
            return Err(ApiError::invalid("title", "must not be blank"));
        }
        let record = placements::CpdRecord {
            id: new_id(),
            person_id: me.clone(),
            completed_on: body.0.completed_on,
            minutes: (body.0.hours * 60.0).round() as i32,
            category,
            title,
            created_at: store::stored(now),
        };
        let saved = record.clone();
        state
            .db
            .write_async(move |conn| {
                placements::log_cpd(conn, &record)?;
                audit::record(
                    conn,
                    &audit::Actor::Person(me),
                    "cpd.logged",
                    ("cpd", &record.id),
                    serde_json::json!({ "minutes": record.minutes, "category": record.category }),
                    record.created_at,
                )
            })
            .await?;
        Ok(CpdCreated::Created(Json(cpd_view(saved))))
    }

    /// My continuing development
    ///
    /// Everything I have logged, by date.
    #[oai(path = "/v1/me/cpd", method = "get")]
    async fn cpd(&self, state: Data<&AppState>, auth: PersonToken) -> Result<Json<MyCpd>, ApiError> {
        let me = auth.0.person_id;
        let items = state
            .db
            .read_async(move |conn| placements::cpd_of(conn, &me))
            .await?;
        Ok(Json(MyCpd {
            items: items.into_iter().map(cpd_view).collect(),
            next_cursor: None,
        }))
    }
}

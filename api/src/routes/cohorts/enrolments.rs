//! Enrolling learners: `POST` and `GET /v1/cohorts/{id}/enrolments`.

use chrono::NaiveDate;
use peertrack_core::domain::input::{EMAIL_MAX, NAME_MAX};
use peertrack_core::service::cohorts as service;
use peertrack_core::service::sessions::REASON_MAX;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::routes::paging::{self, Limit};
use crate::routes::Tag;
use crate::server::AppState;
use crate::types::{Date, Text};

/// A learner to enrol.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewEnrolment {
    /// Their email address; a new address gets an account.
    pub email: Text<3, EMAIL_MAX>,
    /// Their name as they would like it on their certificate.
    pub name: Text<1, NAME_MAX>,
    /// From when sessions count for them (default today). Sessions before it never count
    /// against them; use it to enter a paper register after the fact.
    pub enrolled_on: Option<Date>,
}

/// An enrolment.
#[derive(Debug, Object)]
pub struct Enrolment {
    /// The learner.
    pub person_id: String,
    /// Their name (when enrolling: as given).
    pub name: String,
    /// From when sessions count.
    pub enrolled_on: NaiveDate,
    /// `active`, `completed` or `withdrawn`.
    pub status: String,
    /// When they left the cohort; null unless they did.
    pub withdrawn_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why they left; null unless they did.
    pub withdrawal_reason: Option<String>,
}

impl Enrolment {
    fn of(enrolment: service::Enrolment, name: String, person_id: String) -> Self {
        Enrolment {
            name,
            person_id,
            enrolled_on: enrolment.enrolled_on,
            status: enrolment.status,
            withdrawn_at: enrolment.withdrawn_at.map(|at| at.and_utc()),
            withdrawal_reason: enrolment.withdrawal_reason,
        }
    }
}

/// Why a learner leaves a cohort.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalInput {
    /// In plain words, e.g. "Moved to Glasgow; may join a later cohort".
    pub reason: Text<3, REASON_MAX>,
}

/// A page of enrolments.
#[derive(Debug, Object)]
pub struct EnrolmentList {
    /// Learners by name.
    pub items: Vec<Enrolment>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/cohorts/{id}/enrolments`.
#[derive(Debug, ApiResponse)]
pub enum EnrolmentCreated {
    /// The learner was enrolled and an email is on its way to them.
    #[oai(status = 201)]
    Created(Json<Enrolment>),
}

/// A cohort's enrolment operations.
pub struct EnrolmentsApi;

#[OpenApi(tag = "Tag::Cohorts")]
impl EnrolmentsApi {
    /// Enrol a learner
    ///
    /// The cohort's tutors or an administrator enrol a learner by email, adding them to
    /// Peertrack if new, and Peertrack emails them a welcome with the cohort's dates.
    /// `enrolled_on` (default today) is the day from which sessions count for them.
    #[oai(path = "/v1/cohorts/:id/enrolments", method = "post")]
    async fn enrol(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<NewEnrolment>,
    ) -> Result<EnrolmentCreated, ApiError> {
        let body = body.0;
        let input = service::NewEnrolment {
            email: body.email.into_trimmed(),
            name: body.name.into_trimmed(),
            enrolled_on: body.enrolled_on.map(|d| d.0),
        };
        let now = state.now();
        // The name as the caller typed it: an existing person's stored name is not theirs to learn.
        let name = input.name.clone();
        let (enrolment, person) = state
            .db
            .write_async(move |conn| service::enrol(conn, &auth.0, &id.0, &input, now))
            .await?;
        Ok(EnrolmentCreated::Created(Json(Enrolment::of(
            enrolment, name, person.id,
        ))))
    }

    /// List a cohort's learners
    ///
    /// Learners by name with their enrolment, for the cohort's tutors and administrators.
    #[oai(path = "/v1/cohorts/:id/enrolments", method = "get")]
    async fn enrolments(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<EnrolmentList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let skip = paging::offset(paging::decode_cursor(cursor.0.as_deref())?)?;
        let rows = state
            .db
            .read_async(move |conn| service::learners(conn, &auth.0, &id.0))
            .await?;
        let (rows, next_cursor) = paging::offset_page(rows, skip, limit);
        Ok(Json(EnrolmentList {
            items: rows
                .into_iter()
                .map(|(e, p)| Enrolment::of(e, p.display_name().to_string(), p.id))
                .collect(),
            next_cursor,
        }))
    }

    /// Withdraw a learner
    ///
    /// The cohort's tutors or an administrator record that a learner left, with the reason.
    /// Their history stays; they are on no register of a later session, get no more reminders
    /// for the cohort, and no certificate is issued from it (their eligibility says so). The
    /// modules they achieved count in a later cohort of the same programme. A learner who
    /// already left gets 409.
    #[oai(path = "/v1/cohorts/:id/enrolments/:person_id/withdraw", method = "post")]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        person_id: Path<Text>,
        body: JsonBody<WithdrawalInput>,
    ) -> Result<Json<Enrolment>, ApiError> {
        let reason = body.0.reason.0;
        let now = state.now();
        let (enrolment, person) = state
            .db
            .write_async(move |conn| service::withdraw(conn, &auth.0, &id.0, &person_id.0, &reason, now))
            .await?;
        Ok(Json(Enrolment::of(
            enrolment,
            person.display_name().to_string(),
            person.id,
        )))
    }
}

//! Module assessments: `PUT` and `GET /v1/cohorts/{id}/assessments/{person_id}/{module_code}`.

use chrono::NaiveDate;
use peertrack_core::domain::AssessmentOutcome;
use peertrack_core::service::records as service;
use peertrack_core::store::{self, audit::Actor, cohorts, records};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;
use crate::validation::{self, etag};

/// The result of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Outcome {
    /// The module's outcomes are met.
    Achieved,
    /// Not yet: the learner can try again.
    NotYetAchieved,
}

impl From<Outcome> for AssessmentOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Achieved => AssessmentOutcome::Achieved,
            Outcome::NotYetAchieved => AssessmentOutcome::NotYetAchieved,
        }
    }
}

/// An assessment as a tutor records it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `achieved` or `not_yet_achieved`.
    pub outcome: Outcome,
    /// Feedback for the learner, kind and specific.
    #[oai(validator(max_length = 2000))]
    pub note: Option<Text>,
}

/// An assessment.
#[derive(Debug, Object)]
pub struct Assessment {
    /// Its id.
    pub id: String,
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The module.
    pub module_code: String,
    /// `achieved` or `not_yet_achieved`.
    pub outcome: String,
    /// Feedback.
    pub note: Option<String>,
    /// The assessor.
    pub assessed_by: String,
    /// When assessed.
    pub assessed_on: NaiveDate,
    /// The internal verifier, when second sign-off was given.
    pub verified_by: Option<String>,
    /// When verified.
    pub verified_on: Option<NaiveDate>,
    /// Version; the `ETag` carries it.
    pub version: i32,
}

/// Answers with an assessment.
#[derive(Debug, ApiResponse)]
pub enum AssessmentResponse {
    /// The assessment, with its `ETag`.
    #[oai(status = 200)]
    Ok(Json<Assessment>, #[oai(header = "ETag")] String),
}

fn view(a: records::Assessment) -> AssessmentResponse {
    let tag = etag(a.version);
    AssessmentResponse::Ok(
        Json(Assessment {
            id: a.id,
            cohort_id: a.cohort_id,
            person_id: a.person_id,
            module_code: a.module_code,
            outcome: a.outcome,
            note: a.note,
            assessed_by: a.assessed_by,
            assessed_on: a.assessed_on,
            verified_by: a.verified_by,
            verified_on: a.verified_on,
            version: a.version,
        }),
        tag,
    )
}

/// Assessment operations.
pub struct AssessmentsApi;

#[OpenApi(tag = "Tag::Assessments")]
impl AssessmentsApi {
    /// Record an assessment
    ///
    /// The cohort's tutors or an administrator record a learner's module outcome. Send the
    /// `ETag` you read as `If-Match` to be sure you are not overwriting a colleague's change
    /// (412 if you would be). A changed outcome needs any second sign-off again.
    #[oai(path = "/v1/cohorts/:id/assessments/:person_id/:module_code", method = "put")]
    #[allow(clippy::too_many_arguments)]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        person_id: Path<Text>,
        module_code: Path<Text>,
        /// The `ETag` of the assessment you read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<AssessmentInput>,
    ) -> Result<AssessmentResponse, ApiError> {
        let expected = validation::if_match(if_match.0.as_deref())?;
        let caller = auth.0;
        let now = store::stored(state.now());
        let note = body
            .0
            .note
            .map(|n| n.trimmed().to_string())
            .filter(|n| !n.is_empty());
        let outcome = body.0.outcome.into();
        let assessment = state
            .db
            .write_async(move |conn| {
                if let Err(denied) = caller.require_cohort_staff(conn, &id.0) {
                    return Ok(Err(denied));
                }
                let cohort = cohorts::get(conn, &id.0)?;
                let actor = Actor::Person(caller.person_id.clone());
                Ok(Ok(service::record_assessment(
                    conn,
                    &actor,
                    &cohort,
                    &person_id.0,
                    &module_code.0,
                    outcome,
                    note,
                    &caller.person_id,
                    expected,
                    now,
                )?))
            })
            .await??;
        Ok(view(assessment))
    }

    /// Read an assessment
    ///
    /// A learner's assessment of a module, with its `ETag`; for the cohort's tutors,
    /// administrators, and the learner themselves.
    #[oai(path = "/v1/cohorts/:id/assessments/:person_id/:module_code", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        person_id: Path<Text>,
        module_code: Path<Text>,
    ) -> Result<AssessmentResponse, ApiError> {
        let caller = auth.0;
        let assessment = state
            .db
            .read_async(move |conn| {
                let role = match caller.cohort_role(conn, &id.0) {
                    Ok(role) => role,
                    Err(denied) => return Ok(Err(denied)),
                };
                if role == crate::auth::CohortRole::Learner && caller.person_id != *person_id.0 {
                    return Ok(Err(ApiError::not_found("Assessment")));
                }
                Ok(records::assessment(conn, &id.0, &person_id.0, &module_code.0)?
                    .ok_or_else(|| ApiError::not_found("Assessment")))
            })
            .await??;
        Ok(view(assessment))
    }
}

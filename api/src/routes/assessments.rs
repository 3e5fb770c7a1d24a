//! Module assessments: `PUT` and `GET /v1/cohorts/{id}/assessments/{person_id}/{module_code}`.

use chrono::NaiveDate;
use peertrack_core::domain::AssessmentOutcome;
use peertrack_core::service::assessments::{self as service, AssessmentOf, NewAssessment, FEEDBACK_MAX};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::conditional::{etag, if_match};
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// The result of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `achieved` or `not_yet_achieved`.
    pub outcome: Outcome,
    /// Feedback for the learner, kind and specific.
    pub note: Option<Text<0, FEEDBACK_MAX>>,
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

fn view(a: service::Assessment) -> AssessmentResponse {
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

/// The assessment the path names.
fn of<'a>(cohort_id: &'a Text, person_id: &'a Text, module_code: &'a Text) -> AssessmentOf<'a> {
    AssessmentOf {
        cohort_id,
        person_id,
        module_code,
    }
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
        if_match_header: Header<Option<String>>,
        body: JsonBody<AssessmentInput>,
    ) -> Result<AssessmentResponse, ApiError> {
        let expected = if_match(if_match_header.0.as_deref())?;
        let input = NewAssessment {
            outcome: body.0.outcome.into(),
            note: body.0.note.map(|n| n.0),
        };
        let now = state.now();
        let assessment = state
            .db
            .write_async(move |conn| {
                service::record(
                    conn,
                    &auth.0,
                    of(&id, &person_id, &module_code),
                    &input,
                    expected,
                    now,
                )
            })
            .await?;
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
        let assessment = state
            .db
            .read_async(move |conn| service::read(conn, &auth.0, of(&id, &person_id, &module_code)))
            .await?;
        Ok(view(assessment))
    }
}

//! `GET /v1/people/{id}/eligibility`: what a learner has done and what is still missing.

use peertrack_core::service::people as service;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// One requirement of the certificate.
#[derive(Debug, Object)]
pub struct Requirement {
    /// Which requirement, e.g. `attendance`, `core_modules`, `supervision_sessions`.
    pub requirement: String,
    /// What is needed (percent, modules, sessions or hours).
    pub required: f64,
    /// What the learner has.
    pub actual: f64,
    /// Whether it is met.
    pub met: bool,
    /// In plain words: what is done, or what is still missing.
    pub explanation: String,
}

impl From<peertrack_core::domain::Requirement> for Requirement {
    fn from(r: peertrack_core::domain::Requirement) -> Self {
        Requirement {
            requirement: r.kind.code(),
            required: r.required,
            actual: r.actual,
            met: r.met,
            explanation: r.explanation,
        }
    }
}

/// Whether a person may be certified for a programme, requirement by requirement.
#[derive(Debug, Object)]
pub struct Eligibility {
    /// The person.
    pub person_id: String,
    /// The programme.
    pub programme_code: String,
    /// The cohort whose record was judged, if any.
    pub cohort_id: Option<String>,
    /// True when every requirement is met.
    pub eligible: bool,
    /// Every requirement, met or not.
    pub requirements: Vec<Requirement>,
}

/// People operations.
pub struct PeopleApi;

#[OpenApi(tag = "Tag::People")]
impl PeopleApi {
    /// Eligibility for a certificate
    ///
    /// Every requirement of the programme's certification rule with what is needed, what the
    /// learner has, and a plain-words explanation such as "2 more verified supervision
    /// sessions are needed". For the person themselves, their tutors and administrators.
    #[oai(path = "/v1/people/:id/eligibility", method = "get")]
    async fn eligibility(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// The programme's code, e.g. `P2P`.
        programme: Query<Text<1, 50>>,
    ) -> Result<Json<Eligibility>, ApiError> {
        let now = state.now();
        let programme_code = programme.0.into_trimmed();
        let person_id = String::from(id.0);
        let answer = state
            .db
            .read_async({
                let (person_id, programme_code) = (person_id.clone(), programme_code.clone());
                move |conn| service::eligibility(conn, &auth.0, &person_id, &programme_code, now)
            })
            .await?;
        Ok(Json(Eligibility {
            person_id,
            programme_code,
            cohort_id: answer.cohort_id,
            eligible: answer.eligibility.eligible,
            requirements: answer
                .eligibility
                .requirements
                .into_iter()
                .map(Requirement::from)
                .collect(),
        }))
    }
}

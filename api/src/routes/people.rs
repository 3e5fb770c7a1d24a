//! People: what a learner has done and what is still missing for a certificate
//! (`GET /v1/people/{id}/eligibility`), correcting a person's details, and finding people.

use peertrack_core::domain::input::{EMAIL_MAX, NAME_MAX};
use peertrack_core::service::people as service;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::me::Profile;
use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A correction of a person's details; what is left out stays as it is.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PersonCorrection {
    /// Their name as they write it, in any script.
    pub name: Option<Text<0, NAME_MAX>>,
    /// The email address they sign in with; no one else may use it.
    pub email: Option<Text<0, EMAIL_MAX>>,
}

/// A page of people.
#[derive(Debug, Object)]
pub struct PersonList {
    /// People in a stable order.
    pub items: Vec<Profile>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

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

    /// Correct a person's details
    ///
    /// An administrator corrects a person's name (stored exactly as typed, in any script) or
    /// the email address they sign in with (no one else may use it). Organisations the person
    /// shares their record with are told when the name changes.
    #[oai(path = "/v1/people/:id", method = "patch")]
    async fn correct(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<PersonCorrection>,
    ) -> Result<Json<Profile>, ApiError> {
        let correction = service::Correction {
            name: body.0.name.map(String::from),
            email: body.0.email.map(String::from),
        };
        let person_id = String::from(id.0);
        let now = state.now();
        let person = state
            .db
            .write_async(move |conn| service::correct(conn, &auth.0, &person_id, &correction, now))
            .await?;
        Ok(Json(Profile::from(person)))
    }

    /// Find people
    ///
    /// People whose name or email address contains `q`, ignoring case in every script (Łódź,
    /// Σοφία, Олена alike); for administrators. People whose details were erased are not
    /// found.
    #[oai(path = "/v1/people", method = "get")]
    async fn search(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Part of a name or an email address (required).
        q: Query<Option<Text<0, NAME_MAX>>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<PersonList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        // A missing `q` is refused by the service, naming it, after the paging parameters.
        let q = q.0.map(String::from).unwrap_or_default();
        let found = state
            .db
            .read_async(move |conn| service::search(conn, &auth.0, &q, after.as_deref(), limit + 1))
            .await?;
        let (found, next_cursor) = paging::page(found, limit, |p| p.id.clone());
        Ok(Json(PersonList {
            items: found.into_iter().map(Profile::from).collect(),
            next_cursor,
        }))
    }
}

//! Attendance registers: `PUT` and `GET /v1/sessions/{id}/attendance`, with `ETag`/`If-Match`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::AttendanceStatus;
use peertrack_core::service::records as service;
use peertrack_core::store::{self, audit::Actor, cohorts, records};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use validator::Validate;

use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;
use crate::validation::{self, etag};

/// A mark on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Mark {
    /// Attended.
    Present,
    /// Arrived late; counts as attended.
    Late,
    /// Did not attend.
    Absent,
    /// Did not attend, with good reason; leaves the attendance denominator.
    Excused,
}

impl From<Mark> for AttendanceStatus {
    fn from(mark: Mark) -> Self {
        match mark {
            Mark::Present => AttendanceStatus::Present,
            Mark::Late => AttendanceStatus::Late,
            Mark::Absent => AttendanceStatus::Absent,
            Mark::Excused => AttendanceStatus::Excused,
        }
    }
}

/// One learner's mark as a tutor sends it.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
pub struct MarkInput {
    /// The learner, enrolled in the session's cohort.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub person_id: Text,
    /// `present`, `late`, `absent` or `excused`.
    pub status: Mark,
    /// An optional note, e.g. why an absence was excused. No health details, please.
    #[oai(validator(max_length = 500))]
    pub note: Option<Text>,
}

/// A whole register: it replaces the session's register.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
pub struct RegisterInput {
    /// A mark per learner; learners left out have no mark.
    #[oai(validator(max_items = 500))]
    pub records: Vec<MarkInput>,
}

/// A learner's mark as stored.
#[derive(Debug, Object)]
pub struct MarkRecord {
    /// The learner.
    pub person_id: String,
    /// The mark.
    pub status: String,
    /// The note.
    pub note: Option<String>,
    /// Who took the mark.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A session's register.
#[derive(Debug, Object)]
pub struct Register {
    /// The session.
    pub session_id: String,
    /// The register's version; the `ETag` carries it.
    pub version: i32,
    /// Marks in learner id order.
    pub records: Vec<MarkRecord>,
}

/// Answers with a register.
#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The register, with its `ETag` for a later `If-Match`.
    #[oai(status = 200)]
    Ok(Json<Register>, #[oai(header = "ETag")] String),
}

fn register_view(session_id: String, register: records::Register) -> RegisterResponse {
    let tag = etag(register.version);
    RegisterResponse::Ok(
        Json(Register {
            session_id,
            version: register.version,
            records: register
                .records
                .into_iter()
                .map(|r| MarkRecord {
                    person_id: r.person_id,
                    status: r.status,
                    note: r.note,
                    recorded_by: r.recorded_by,
                    recorded_at: store::utc(r.recorded_at),
                })
                .collect(),
        }),
        tag,
    )
}

/// A session in a cohort the caller may not know of reads exactly like a missing session.
fn hidden_as_session(denied: ApiError) -> ApiError {
    match denied {
        ApiError::NotFound(_) => ApiError::not_found("Session"),
        other => other,
    }
}

/// Attendance operations.
pub struct AttendanceApi;

#[OpenApi(tag = "Tag::Attendance")]
impl AttendanceApi {
    /// Take a session's register
    ///
    /// Replaces the whole register in one transaction. Send the `ETag` of the register you
    /// read as `If-Match`: if someone changed it since, you get 412 and nothing changes.
    /// Without `If-Match` the last write wins (both are in the audit trail). Every learner must
    /// be enrolled in the session's cohort. A learner newly marked absent gets a kind note.
    #[oai(path = "/v1/sessions/:id/attendance", method = "put")]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// The `ETag` of the register you read, e.g. `"3"`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<RegisterInput>,
    ) -> Result<RegisterResponse, ApiError> {
        validation::check(&body.0)?;
        let expected = validation::if_match(if_match.0.as_deref())?;
        let entries: Vec<records::RegisterEntry> = body
            .0
            .records
            .into_iter()
            .map(|r| records::RegisterEntry {
                person_id: r.person_id.trimmed().to_string(),
                status: r.status.into(),
                note: r.note.map(|n| n.trimmed().to_string()).filter(|n| !n.is_empty()),
            })
            .collect();
        let caller = auth.0;
        let now = store::stored(state.now());
        let session_id = String::from(id.0);
        let register = state
            .db
            .write_async({
                let session_id = session_id.clone();
                move |conn| {
                    let session = cohorts::session(conn, &session_id)?;
                    if let Err(denied) = caller.require_cohort_staff(conn, &session.cohort_id) {
                        return Ok(Err(hidden_as_session(denied)));
                    }
                    let actor = Actor::Person(caller.person_id.clone());
                    Ok(Ok(service::take_register(
                        conn,
                        &actor,
                        &caller.person_id,
                        &session_id,
                        &entries,
                        expected,
                        now,
                    )?))
                }
            })
            .await??;
        Ok(register_view(session_id, register))
    }

    /// Read a session's register
    ///
    /// The marks with the register's `ETag`, for the cohort's tutors and administrators.
    #[oai(path = "/v1/sessions/:id/attendance", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<RegisterResponse, ApiError> {
        let caller = auth.0;
        let session_id = String::from(id.0);
        let register = state
            .db
            .read_async({
                let session_id = session_id.clone();
                move |conn| {
                    let session = cohorts::session(conn, &session_id)?;
                    if let Err(denied) = caller.require_cohort_staff(conn, &session.cohort_id) {
                        return Ok(Err(hidden_as_session(denied)));
                    }
                    Ok(Ok(records::register(conn, &session_id)?))
                }
            })
            .await??;
        Ok(register_view(session_id, register))
    }
}

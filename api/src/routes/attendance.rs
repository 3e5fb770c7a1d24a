//! Attendance registers: `PUT` and `GET /v1/sessions/{id}/attendance`, with `ETag`/`If-Match`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::input::NOTE_MAX;
use peertrack_core::domain::{utc, AttendanceStatus};
use peertrack_core::service::attendance::{self as service, NewMark, Sheet};
use peertrack_core::Error;
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
use crate::types::{Items, Text};

/// A mark on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct MarkInput {
    /// The learner, enrolled in the session's cohort.
    pub person_id: Text<1, 64>,
    /// `present`, `late`, `absent` or `excused`.
    pub status: Mark,
    /// An optional note, e.g. why an absence was excused. No health details, please.
    pub note: Option<Text<0, NOTE_MAX>>,
}

/// A whole register: it replaces the session's register.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// A mark per learner; learners left out have no mark, except that a learner who checked
    /// themselves in keeps that check-in.
    pub records: Items<MarkInput, 500>,
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
    /// The learners on this register, by name: enrolled in the cohort, and not withdrawn
    /// before the session started.
    pub learners: Vec<RegisterLearner>,
}

/// A learner on a register.
#[derive(Debug, Object)]
pub struct RegisterLearner {
    /// Their id, as marks name them.
    pub person_id: String,
    /// Their name.
    pub name: String,
}

/// Answers with a register.
#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The register, with its `ETag` for a later `If-Match`.
    #[oai(status = 200)]
    Ok(Json<Register>, #[oai(header = "ETag")] String),
}

fn register_view(session_id: String, sheet: Sheet) -> RegisterResponse {
    let tag = etag(sheet.version);
    RegisterResponse::Ok(
        Json(Register {
            session_id,
            version: sheet.version,
            records: sheet
                .records
                .into_iter()
                .map(|r| MarkRecord {
                    person_id: r.person_id,
                    status: r.status,
                    note: r.note,
                    recorded_by: r.recorded_by,
                    recorded_at: utc(r.recorded_at),
                })
                .collect(),
            learners: sheet
                .learners
                .into_iter()
                .map(|p| RegisterLearner {
                    name: p.display_name().to_string(),
                    person_id: p.id,
                })
                .collect(),
        }),
        tag,
    )
}

/// Names the mark at fault by its place in the register the tutor sent.
fn at_its_place(error: Error, marks: &[NewMark]) -> ApiError {
    let place = |person_id: &str| marks.iter().position(|m| m.person_id == person_id).unwrap_or(0);
    match error {
        Error::NotEnrolled { person_id } => ApiError::invalid(
            format!("records[{}].person_id", place(&person_id)),
            "this person is not on this session's register: not enrolled in its cohort, or left it before the session",
        ),
        Error::MarkedTwice { person_id } => ApiError::invalid(
            format!(
                "records[{}].person_id",
                marks.iter().rposition(|m| m.person_id == person_id).unwrap_or(0)
            ),
            "this person appears twice in the register",
        ),
        other => other.into(),
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
    /// be on the register: enrolled in the session's cohort, and not withdrawn before the
    /// session. A cancelled session's register cannot be written (409). A learner newly marked
    /// absent gets a kind note. Learners' self check-ins (by the session's QR code) do not change
    /// the version: a save that leaves a checked-in learner out keeps their check-in, and a mark
    /// you send for them wins.
    #[oai(path = "/v1/sessions/:id/attendance", method = "put")]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// The `ETag` of the register you read, e.g. `"3"`.
        #[oai(name = "If-Match")]
        if_match_header: Header<Option<String>>,
        body: JsonBody<RegisterInput>,
    ) -> Result<RegisterResponse, ApiError> {
        let expected = if_match(if_match_header.0.as_deref())?;
        let marks: Vec<NewMark> = body
            .0
            .records
            .into_iter()
            .map(|r| NewMark {
                person_id: r.person_id.into_trimmed(),
                status: r.status.into(),
                note: r.note.map(|n| n.into_trimmed()).filter(|n| !n.is_empty()),
            })
            .collect();
        let now = state.now();
        let session_id = String::from(id.0);
        let result = state
            .db
            .write_async({
                let (session_id, marks) = (session_id.clone(), marks.clone());
                move |conn| service::take(conn, &auth.0, &session_id, &marks, expected, now)
            })
            .await;
        let sheet = result.map_err(|e| at_its_place(e, &marks))?;
        Ok(register_view(session_id, sheet))
    }

    /// Read a session's register
    ///
    /// The marks with the register's `ETag`, and the learners on the register, for the
    /// cohort's tutors and administrators.
    #[oai(path = "/v1/sessions/:id/attendance", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<RegisterResponse, ApiError> {
        let session_id = String::from(id.0);
        let sheet = state
            .db
            .read_async({
                let session_id = session_id.clone();
                move |conn| service::read(conn, &auth.0, &session_id)
            })
            .await?;
        Ok(register_view(session_id, sheet))
    }
}

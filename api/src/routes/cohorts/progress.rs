//! How each learner of a cohort stands: `GET /v1/cohorts/{id}/progress`.

use chrono::NaiveDate;
use peertrack_core::service::cohorts as service;
use peertrack_core::service::cohorts::Person;
use peertrack_core::service::progress::LearnerProgress;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::routes::paging::{self, Limit};
use crate::routes::Tag;
use crate::server::AppState;
use crate::types::Text;

/// Attendance figures.
#[derive(Debug, Object)]
pub struct Attendance {
    /// Sessions attended (present or late).
    pub attended: u32,
    /// Sessions that count: held since enrolment, excused ones aside.
    pub counted: u32,
    /// Excused absences.
    pub excused: u32,
    /// Counted sessions with no register entry yet.
    pub unrecorded: u32,
    /// Attended as a percentage of counted; null before any session counts.
    pub rate_percent: Option<f64>,
}

/// One learner's progress.
#[derive(Debug, Object)]
pub struct ProgressRow {
    /// The learner.
    pub person_id: String,
    /// Their name.
    pub name: String,
    /// From when sessions count.
    pub enrolled_on: NaiveDate,
    /// Enrolment status.
    pub status: String,
    /// Attendance since enrolment.
    pub attendance: Attendance,
    /// Codes of modules achieved.
    pub modules_achieved: Vec<String>,
    /// Verified supervision sessions.
    pub supervision_sessions: u32,
    /// Verified supervision hours.
    pub supervision_hours: f64,
    /// Verified practice hours.
    pub practice_hours: f64,
    /// Whether every requirement of the certificate is met.
    pub eligible: bool,
    /// Codes of the requirements still unmet.
    pub unmet_requirements: Vec<String>,
}

/// A page of a cohort's progress.
#[derive(Debug, Object)]
pub struct ProgressList {
    /// A row per learner, by name.
    pub items: Vec<ProgressRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Whole hours and tenths, rounded down, from minutes.
pub(crate) fn hours(minutes: u32) -> f64 {
    (f64::from(minutes) / 6.0).floor() / 10.0
}

fn progress_row(person: &Person, p: &LearnerProgress) -> ProgressRow {
    ProgressRow {
        person_id: person.id.clone(),
        name: person.display_name().to_string(),
        enrolled_on: p.enrolment.enrolled_on,
        status: p.enrolment.status.clone(),
        attendance: Attendance {
            attended: p.attendance.attended,
            counted: p.attendance.counted,
            excused: p.attendance.excused,
            unrecorded: p.attendance.unrecorded,
            rate_percent: p.attendance.percent().map(|r| (r * 10.0).floor() / 10.0),
        },
        modules_achieved: p.achieved_modules.iter().cloned().collect(),
        supervision_sessions: p.supervision.len() as u32,
        supervision_hours: hours(p.supervision_minutes()),
        practice_hours: hours(p.verified_practice_minutes),
        eligible: p.eligibility.eligible,
        unmet_requirements: p.eligibility.unmet().map(|r| r.kind.code()).collect(),
    }
}

/// A cohort's progress operations.
pub struct ProgressApi;

#[OpenApi(tag = "Tag::Cohorts")]
impl ProgressApi {
    /// A cohort's progress
    ///
    /// A row per learner: attendance since enrolment, modules achieved, verified supervision
    /// and practice, and whether they meet every requirement of the certificate.
    #[oai(path = "/v1/cohorts/:id/progress", method = "get")]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ProgressList>, ApiError> {
        let now = state.now();
        let limit = paging::page_size(limit.0);
        let skip = paging::offset(paging::decode_cursor(cursor.0.as_deref())?)?;
        let rows = state
            .db
            .read_async(move |conn| service::progress(conn, &auth.0, &id.0, now))
            .await?;
        let (rows, next_cursor) = paging::offset_page(rows, skip, limit);
        Ok(Json(ProgressList {
            items: rows.iter().map(|(person, p)| progress_row(person, p)).collect(),
            next_cursor,
        }))
    }
}

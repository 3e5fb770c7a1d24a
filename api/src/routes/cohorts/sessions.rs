//! A cohort's sessions: `POST` and `GET /v1/cohorts/{id}/sessions`; one session:
//! `GET` and `PATCH /v1/sessions/{id}`, `POST /v1/sessions/{id}/cancel`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::input::NAME_MAX;
use peertrack_core::domain::utc;
use peertrack_core::service::cohorts as service;
use peertrack_core::service::cohorts::Session as StoredSession;
use peertrack_core::service::sessions::{self as session_service, SessionChange, REASON_MAX};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::routes::paging::{self, Limit};
use crate::routes::Tag;
use crate::server::AppState;
use crate::types::{Instant, Text};

/// A new session.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// Its title, e.g. "Week 3: The peer support relationship".
    pub title: Text<1, NAME_MAX>,
    /// The module it teaches, if one (a module code of the cohort's programme).
    pub module_code: Option<Text<0, 50>>,
    /// Start, RFC 3339.
    pub starts_at: Instant,
    /// End, after the start and at most 24 hours later.
    pub ends_at: Instant,
}

/// A session.
#[derive(Debug, Object)]
pub struct Session {
    /// Its id.
    pub id: String,
    /// The cohort.
    pub cohort_id: String,
    /// Its title.
    pub title: String,
    /// The module it teaches.
    pub module_code: Option<String>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// `scheduled`, or `cancelled`: a cancelled session counts in nobody's attendance.
    pub status: SessionStatus,
    /// Why it was cancelled; null unless it was.
    pub cancel_reason: Option<String>,
    /// When it was cancelled; null unless it was.
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// Whether a session goes ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SessionStatus {
    /// On the timetable.
    Scheduled,
    /// Called off.
    Cancelled,
}

impl From<StoredSession> for Session {
    fn from(session: StoredSession) -> Self {
        Session {
            status: if session.is_cancelled() {
                SessionStatus::Cancelled
            } else {
                SessionStatus::Scheduled
            },
            id: session.id,
            cohort_id: session.cohort_id,
            title: session.title,
            module_code: session.module_code,
            starts_at: utc(session.starts_at),
            ends_at: utc(session.ends_at),
            cancel_reason: session.cancel_reason,
            cancelled_at: session.cancelled_at.map(utc),
        }
    }
}

/// What to change about a session; fields left out stay as they are.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct SessionChangeInput {
    /// A new title.
    pub title: Option<Text<1, NAME_MAX>>,
    /// A new module (a module code of the cohort's programme); an empty string says the
    /// session teaches no module.
    pub module_code: Option<Text<0, 50>>,
    /// A new start, RFC 3339; learners are emailed when the time changes.
    pub starts_at: Option<Instant>,
    /// A new end, after the start and at most 24 hours later.
    pub ends_at: Option<Instant>,
}

/// Why a session is called off.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// In words the learners will read, e.g. "Snow: the venue is closed".
    pub reason: Text<3, REASON_MAX>,
}

/// A page of sessions.
#[derive(Debug, Object)]
pub struct SessionList {
    /// Sessions in time order.
    pub items: Vec<Session>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/cohorts/{id}/sessions`.
#[derive(Debug, ApiResponse)]
pub enum SessionCreated {
    /// The session was added.
    #[oai(status = 201)]
    Created(Json<Session>),
}

/// A cohort's session operations.
pub struct SessionsApi;

#[OpenApi(tag = "Tag::Cohorts")]
impl SessionsApi {
    /// Add a session
    ///
    /// The cohort's tutors or an administrator add a planned session, optionally of a module.
    #[oai(path = "/v1/cohorts/:id/sessions", method = "post")]
    async fn add_session(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<NewSession>,
    ) -> Result<SessionCreated, ApiError> {
        let body = body.0;
        let input = service::NewSession {
            title: body.title.0,
            module_code: body.module_code.map(|c| c.into_trimmed()),
            starts_at: body.starts_at.0,
            ends_at: body.ends_at.0,
        };
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::add_session(conn, &auth.0, &id.0, &input, now))
            .await?;
        Ok(SessionCreated::Created(Json(session.into())))
    }

    /// List a cohort's sessions
    ///
    /// Sessions in time order, for administrators, the cohort's tutors and its learners.
    #[oai(path = "/v1/cohorts/:id/sessions", method = "get")]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SessionList>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(position) => Some(session_position(&position)?),
            None => None,
        };
        let rows = state
            .db
            .read_async(move |conn| service::sessions(conn, &auth.0, &id.0, after, limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |s| {
            format!("{}|{}", s.starts_at.and_utc().to_rfc3339(), s.id)
        });
        Ok(Json(SessionList {
            items: rows.into_iter().map(Session::from).collect(),
            next_cursor,
        }))
    }

    /// Get a session
    ///
    /// One session with its `status` (`scheduled` or `cancelled`, with the reason), for
    /// administrators and the cohort's tutors and learners.
    #[oai(path = "/v1/sessions/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Session>, ApiError> {
        let session = state
            .db
            .read_async(move |conn| session_service::get(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(session.into()))
    }

    /// Change a session
    ///
    /// The cohort's tutors or an administrator change a session's title, module or times, by
    /// the rules a new session meets. When the time changes, each learner is emailed the new
    /// time. A cancelled session cannot change (409).
    #[oai(path = "/v1/sessions/:id", method = "patch")]
    async fn change(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<SessionChangeInput>,
    ) -> Result<Json<Session>, ApiError> {
        let body = body.0;
        let change = SessionChange {
            title: body.title.map(|t| t.0),
            module_code: body.module_code.map(|c| {
                let code = c.into_trimmed();
                (!code.is_empty()).then_some(code)
            }),
            starts_at: body.starts_at.map(|t| t.0),
            ends_at: body.ends_at.map(|t| t.0),
        };
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| session_service::change(conn, &auth.0, &id.0, &change, now))
            .await?;
        Ok(Json(session.into()))
    }

    /// Cancel a session
    ///
    /// The cohort's tutors or an administrator call a session off, with a reason its learners
    /// read in the email they get. It then counts in nobody's attendance, its register can no
    /// longer be written (409), and no reminder goes out for it. Cancelling it again is
    /// refused (409) and changes nothing.
    #[oai(path = "/v1/sessions/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<CancelInput>,
    ) -> Result<Json<Session>, ApiError> {
        let reason = body.0.reason.0;
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| session_service::cancel(conn, &auth.0, &id.0, &reason, now))
            .await?;
        Ok(Json(session.into()))
    }
}

fn session_position(position: &str) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let (at, id) = position.split_once('|').ok_or_else(paging::bad_cursor)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| paging::bad_cursor())?;
    Ok((at.naive_utc(), id.to_string()))
}

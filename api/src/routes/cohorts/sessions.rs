//! A cohort's sessions: `POST` and `GET /v1/cohorts/{id}/sessions`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::input::NAME_MAX;
use peertrack_core::domain::utc;
use peertrack_core::service::cohorts as service;
use peertrack_core::service::cohorts::Session as StoredSession;
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
}

impl From<StoredSession> for Session {
    fn from(session: StoredSession) -> Self {
        Session {
            id: session.id,
            cohort_id: session.cohort_id,
            title: session.title,
            module_code: session.module_code,
            starts_at: utc(session.starts_at),
            ends_at: utc(session.ends_at),
        }
    }
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
}

fn session_position(position: &str) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let (at, id) = position.split_once('|').ok_or_else(paging::bad_cursor)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| paging::bad_cursor())?;
    Ok((at.naive_utc(), id.to_string()))
}

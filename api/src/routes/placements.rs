//! Practice placements and supervision: logged by the learner or the supervisor, verified or
//! declined by the supervisor. Only verified supervision counts towards a certificate.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::domain::input::EMAIL_MAX;
use peertrack_core::domain::{utc, SupervisionFormat, SupervisionStatus};
use peertrack_core::service::placements::{self as service, DECLINE_REASON_MAX, SUPERVISION_NOTES_MAX};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::{Date, Text, Whole};

/// A new placement.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewPlacement {
    /// The learner.
    pub person_id: Text<1, 64>,
    /// The host organisation.
    pub organisation_id: Text<1, 64>,
    /// The supervisor's email; a new address gets an account.
    pub supervisor_email: Text<3, EMAIL_MAX>,
    /// First day.
    pub starts_on: Date,
    /// Last day, if known.
    pub ends_on: Option<Date>,
    /// The cohort the placement is made within; its tutors see the placement. By default the
    /// learner's latest cohort (for a tutor: the latest one they teach the learner in).
    pub cohort_id: Option<Text<1, 64>>,
    /// Administrators only: let the supervisor be a tutor of the learner. Without it, a tutor
    /// of the learner cannot supervise them, since the supervisor verifies the supervision a
    /// certificate needs.
    pub tutor_may_supervise: Option<bool>,
}

/// A placement.
#[derive(Debug, Object)]
pub struct Placement {
    /// Its id.
    pub id: String,
    /// The learner.
    pub person_id: String,
    /// The host organisation.
    pub organisation_id: String,
    /// The supervisor.
    pub supervisor_id: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// The cohort it was made within.
    pub cohort_id: Option<String>,
    /// The administrator who let a tutor of the learner supervise, if one did.
    pub tutor_supervision_allowed_by: Option<String>,
}

/// How supervision was held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One supervisor, one learner.
    Individual,
    /// A supervisor with several learners.
    Group,
    /// Peer co-supervision.
    CoReflection,
    /// The supervisor observes practice.
    Observation,
}

impl From<Format> for SupervisionFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Individual => SupervisionFormat::Individual,
            Format::Group => SupervisionFormat::Group,
            Format::CoReflection => SupervisionFormat::CoReflection,
            Format::Observation => SupervisionFormat::Observation,
        }
    }
}

/// Supervision to log.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewSupervision {
    /// The day it took place, within the placement and not in the future.
    pub occurred_on: Date,
    /// How long, in minutes (1 to 480).
    pub duration_minutes: Whole<1, 480>,
    /// `individual`, `group`, `co_reflection` or `observation`.
    pub format: Format,
    /// Reflections, readable only by the learner and the supervisor. No health details.
    pub notes: Option<Text<0, SUPERVISION_NOTES_MAX>>,
}

/// Where a supervision session stands with the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SupervisionStatus", rename_all = "snake_case")]
pub enum Status {
    /// Logged by the learner, waiting for the supervisor.
    Pending,
    /// Confirmed by the supervisor; it counts. It cannot be declined afterwards.
    Verified,
    /// Declined by the supervisor, with a reason; it never counts. The supervisor may still
    /// verify it later.
    Declined,
}

impl From<SupervisionStatus> for Status {
    fn from(status: SupervisionStatus) -> Self {
        match status {
            SupervisionStatus::Pending => Status::Pending,
            SupervisionStatus::Verified => Status::Verified,
            SupervisionStatus::Declined => Status::Declined,
        }
    }
}

impl From<Status> for SupervisionStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => SupervisionStatus::Pending,
            Status::Verified => SupervisionStatus::Verified,
            Status::Declined => SupervisionStatus::Declined,
        }
    }
}

/// A supervision session.
#[derive(Debug, Object)]
pub struct Supervision {
    /// Its id.
    pub id: String,
    /// The placement.
    pub placement_id: String,
    /// The day.
    pub occurred_on: NaiveDate,
    /// Minutes.
    pub duration_minutes: i32,
    /// The format.
    pub format: String,
    /// `pending`, `verified` or `declined`.
    pub status: Status,
    /// Whether the supervisor has verified it; only verified sessions count.
    pub verified: bool,
    /// When it was verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// When it was declined.
    pub declined_at: Option<DateTime<Utc>>,
    /// Why the supervisor declined it, in their words.
    pub decline_reason: Option<String>,
    /// Notes, shown only to the learner and the supervisor.
    pub notes: Option<String>,
}

/// Ending a placement.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct EndPlacement {
    /// The placement's last day (on or after its first, and not before supervision already
    /// logged in it). It may be in the future, and it may be corrected later.
    pub ended_on: Date,
}

/// Declining supervision.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct DeclineSupervision {
    /// Why, in words the learner will read.
    pub reason: Text<3, DECLINE_REASON_MAX>,
}

/// Whose supervision to list, from the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SupervisionSide", rename_all = "snake_case")]
pub enum Side {
    /// In placements the caller supervises.
    Supervisor,
    /// In the caller's own placements.
    Learner,
}

/// A supervision session in the caller's list, with the names that say whose it is.
#[derive(Debug, Object)]
pub struct ListedSupervision {
    /// Its id.
    pub id: String,
    /// The placement.
    pub placement_id: String,
    /// The learner.
    pub person_id: String,
    /// The learner's name.
    pub learner_name: String,
    /// The supervisor.
    pub supervisor_id: String,
    /// The supervisor's name.
    pub supervisor_name: String,
    /// The host organisation.
    pub organisation_id: String,
    /// The host organisation's name.
    pub organisation_name: String,
    /// The day.
    pub occurred_on: NaiveDate,
    /// Minutes.
    pub duration_minutes: i32,
    /// The format.
    pub format: String,
    /// `pending`, `verified` or `declined`.
    pub status: Status,
    /// When it was verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// When it was declined.
    pub declined_at: Option<DateTime<Utc>>,
    /// Why the supervisor declined it.
    pub decline_reason: Option<String>,
    /// Notes (the caller is the learner or the supervisor).
    pub notes: Option<String>,
}

/// A page of the caller's supervision.
#[derive(Debug, Object)]
pub struct ListedSupervisionPage {
    /// Sessions, oldest first.
    pub items: Vec<ListedSupervision>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A placement's supervision.
#[derive(Debug, Object)]
pub struct SupervisionList {
    /// Sessions by date.
    pub items: Vec<Supervision>,
    /// Always null: a placement's supervision fits on one page.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/placements`.
#[derive(Debug, ApiResponse)]
pub enum PlacementCreated {
    /// The placement was added.
    #[oai(status = 201)]
    Created(Json<Placement>),
}

/// Answers of `POST /v1/placements/{id}/supervision`.
#[derive(Debug, ApiResponse)]
pub enum SupervisionCreated {
    /// Logged; verified at once when the supervisor logged it.
    #[oai(status = 201)]
    Created(Json<Supervision>),
}

fn placement_view(p: service::Placement) -> Placement {
    Placement {
        id: p.id,
        person_id: p.person_id,
        organisation_id: p.organisation_id,
        supervisor_id: p.supervisor_id,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        cohort_id: p.cohort_id,
        tutor_supervision_allowed_by: p.tutor_supervision_allowed_by,
    }
}

fn supervision_view(s: service::SupervisionSession, show_notes: bool) -> Supervision {
    let status = s.status().into();
    Supervision {
        id: s.id,
        placement_id: s.placement_id,
        occurred_on: s.occurred_on,
        duration_minutes: s.duration_minutes,
        format: s.format,
        status,
        verified: s.verified_by.is_some(),
        verified_at: s.verified_at.map(utc),
        declined_at: s.declined_at.map(utc),
        decline_reason: s.decline_reason,
        notes: if show_notes { s.notes } else { None },
    }
}

fn listed_view(l: service::ListedSupervision) -> ListedSupervision {
    let status = l.session.status().into();
    ListedSupervision {
        id: l.session.id,
        placement_id: l.placement.id,
        person_id: l.placement.person_id,
        learner_name: l.learner_name,
        supervisor_id: l.placement.supervisor_id,
        supervisor_name: l.supervisor_name,
        organisation_id: l.placement.organisation_id,
        organisation_name: l.host,
        occurred_on: l.session.occurred_on,
        duration_minutes: l.session.duration_minutes,
        format: l.session.format,
        status,
        verified_at: l.session.verified_at.map(utc),
        declined_at: l.session.declined_at.map(utc),
        decline_reason: l.session.decline_reason,
        notes: l.session.notes,
    }
}

fn list_position(position: &str) -> Result<(NaiveDate, String), ApiError> {
    let (day, id) = position.split_once('|').ok_or_else(paging::bad_cursor)?;
    let day = day.parse::<NaiveDate>().map_err(|_| paging::bad_cursor())?;
    Ok((day, id.to_string()))
}

/// Placement and supervision operations.
pub struct PlacementsApi;

#[OpenApi(tag = "Tag::Placements")]
impl PlacementsApi {
    /// Add a placement
    ///
    /// An administrator, or a tutor of a cohort the learner is in, adds a practice placement
    /// at a host organisation with a supervisor there (named by email; new addresses get
    /// accounts).
    #[oai(path = "/v1/placements", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewPlacement>,
    ) -> Result<PlacementCreated, ApiError> {
        let body = body.0;
        let input = service::NewPlacement {
            person_id: body.person_id.into_trimmed(),
            organisation_id: body.organisation_id.into_trimmed(),
            supervisor_email: body.supervisor_email.into_trimmed(),
            starts_on: body.starts_on.0,
            ends_on: body.ends_on.map(|d| d.0),
            cohort_id: body.cohort_id.map(|c| c.into_trimmed()),
            tutor_may_supervise: body.tutor_may_supervise.unwrap_or(false),
        };
        let now = state.now();
        let (placement, _) = state
            .db
            .write_async(move |conn| service::add(conn, &auth.0, &input, now))
            .await?;
        Ok(PlacementCreated::Created(Json(placement_view(placement))))
    }

    /// Get a placement
    ///
    /// For the learner, the supervisor, the learner's tutors and administrators.
    #[oai(path = "/v1/placements/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Placement>, ApiError> {
        let placement = state
            .db
            .read_async(move |conn| service::get(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(placement_view(placement)))
    }

    /// Log supervision
    ///
    /// The learner or the supervisor logs a supervision session. Logged by the supervisor, it
    /// counts as verified at once; logged by the learner, it waits for the supervisor to
    /// verify it.
    #[oai(path = "/v1/placements/:id/supervision", method = "post")]
    async fn log(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<NewSupervision>,
    ) -> Result<SupervisionCreated, ApiError> {
        let body = body.0;
        let input = service::NewSupervision {
            occurred_on: body.occurred_on.0,
            duration_minutes: body.duration_minutes.0 as i32,
            format: body.format.into(),
            notes: body.notes.map(|n| n.0),
        };
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::log(conn, &auth.0, &id.0, &input, now))
            .await?;
        Ok(SupervisionCreated::Created(Json(supervision_view(session, true))))
    }

    /// List a placement's supervision
    ///
    /// Sessions by date with whether each is verified. Notes are shown only to the learner and
    /// the supervisor.
    #[oai(path = "/v1/placements/:id/supervision", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<SupervisionList>, ApiError> {
        let (sessions, show_notes) = state
            .db
            .read_async(move |conn| service::supervision_of(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(SupervisionList {
            items: sessions
                .into_iter()
                .map(|s| supervision_view(s, show_notes))
                .collect(),
            next_cursor: None,
        }))
    }

    /// Verify supervision
    ///
    /// The supervisor confirms a logged supervision session; only verified sessions count
    /// towards a certificate. Verifying twice changes nothing.
    #[oai(path = "/v1/supervision/:id/verify", method = "post")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Supervision>, ApiError> {
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::verify(conn, &auth.0, &id.0, now))
            .await?;
        Ok(Json(supervision_view(session, true)))
    }

    /// End a placement
    ///
    /// The supervisor, an administrator or a tutor of the cohort the placement was made within
    /// sets its last day. Supervision after that day cannot be logged; the day cannot fall
    /// before supervision already logged (unless that session was declined). Ending again
    /// corrects the day.
    #[oai(path = "/v1/placements/:id/end", method = "post")]
    async fn end(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<EndPlacement>,
    ) -> Result<Json<Placement>, ApiError> {
        let ended_on = body.0.ended_on.0;
        let now = state.now();
        let placement = state
            .db
            .write_async(move |conn| service::end(conn, &auth.0, &id.0, ended_on, now))
            .await?;
        Ok(Json(placement_view(placement)))
    }

    /// Decline supervision
    ///
    /// The supervisor declines a logged supervision session with a reason, which the learner
    /// sees and is emailed. A declined session never counts; the supervisor may still verify it
    /// later. A verified session cannot be declined (409); declining a declined one again
    /// changes nothing.
    #[oai(path = "/v1/supervision/:id/decline", method = "post")]
    async fn decline(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<DeclineSupervision>,
    ) -> Result<Json<Supervision>, ApiError> {
        let reason = body.0.reason.0;
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::decline(conn, &auth.0, &id.0, &reason, now))
            .await?;
        Ok(Json(supervision_view(session, true)))
    }

    /// List your supervision
    ///
    /// Supervision in the placements you supervise and in your own, oldest first. A supervisor
    /// asks `?status=pending&role=supervisor` for what waits for them; a learner
    /// `?status=pending&role=learner` for what waits for their supervisor.
    #[oai(path = "/v1/supervision", method = "get")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Only sessions with this status (default: every status).
        status: Query<Option<Status>>,
        /// Only as `supervisor` or as `learner` (default: both).
        role: Query<Option<Side>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ListedSupervisionPage>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(position) => Some(list_position(&position)?),
            None => None,
        };
        let filter = service::SupervisionFilter {
            side: role.0.map(|side| match side {
                Side::Supervisor => service::Side::Supervisor,
                Side::Learner => service::Side::Learner,
            }),
            status: status.0.map(SupervisionStatus::from),
            after,
            limit: limit + 1,
        };
        let rows = state
            .db
            .read_async(move |conn| service::list_for_caller(conn, &auth.0, &filter))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |l| {
            format!("{}|{}", l.session.occurred_on, l.session.id)
        });
        Ok(Json(ListedSupervisionPage {
            items: rows.into_iter().map(listed_view).collect(),
            next_cursor,
        }))
    }
}

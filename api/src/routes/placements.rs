//! Practice placements and supervision: logged by the learner or the supervisor, verified by
//! the supervisor. Only verified supervision counts towards a certificate.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::domain::input::EMAIL_MAX;
use peertrack_core::domain::{utc, SupervisionFormat};
use peertrack_core::service::placements::{self as service, SUPERVISION_NOTES_MAX};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

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
    /// Whether the supervisor has verified it; only verified sessions count.
    pub verified: bool,
    /// When it was verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// Notes, shown only to the learner and the supervisor.
    pub notes: Option<String>,
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
    Supervision {
        id: s.id,
        placement_id: s.placement_id,
        occurred_on: s.occurred_on,
        duration_minutes: s.duration_minutes,
        format: s.format,
        verified: s.verified_by.is_some(),
        verified_at: s.verified_at.map(utc),
        notes: if show_notes { s.notes } else { None },
    }
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
}

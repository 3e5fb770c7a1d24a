//! Practice placements and supervision: logged by the learner or the supervisor, verified by
//! the supervisor. Only verified supervision counts towards a certificate.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::domain::SupervisionFormat;
use peertrack_core::service::records as service;
use peertrack_core::store::{self, audit::Actor, cohorts, people, placements, DbConnection};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use validator::Validate;

use super::Tag;
use crate::auth::{Caller, PersonToken};
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;
use crate::validation::{self, email_address, failure, plausible_date};

/// A new placement.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
#[validate(schema(function = "placement_dates_in_order"))]
pub struct NewPlacement {
    /// The learner.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub person_id: Text,
    /// The host organisation.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub organisation_id: Text,
    /// The supervisor's email; a new address gets an account.
    #[oai(validator(min_length = 3, max_length = 254))]
    #[validate(custom(function = "email_address"))]
    pub supervisor_email: Text,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if known.
    pub ends_on: Option<NaiveDate>,
}

fn placement_dates_in_order(p: &NewPlacement) -> Result<(), validator::ValidationError> {
    plausible_date("starts_on", p.starts_on)?;
    if let Some(end) = p.ends_on {
        plausible_date("ends_on", end)?;
    }
    if p.ends_on.is_some_and(|end| end < p.starts_on) {
        return Err(failure("ends_on", "must be on or after starts_on"));
    }
    Ok(())
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
}

/// How supervision was held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
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
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewSupervision {
    /// The day it took place, within the placement and not in the future.
    pub occurred_on: NaiveDate,
    /// How long, in minutes (1 to 480).
    #[oai(validator(minimum(value = "1"), maximum(value = "480")))]
    pub duration_minutes: i32,
    /// `individual`, `group`, `co_reflection` or `observation`.
    pub format: Format,
    /// Reflections, readable only by the learner and the supervisor. No health details.
    #[oai(validator(max_length = 4000))]
    pub notes: Option<Text>,
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

fn placement_view(p: placements::Placement) -> Placement {
    Placement {
        id: p.id,
        person_id: p.person_id,
        organisation_id: p.organisation_id,
        supervisor_id: p.supervisor_id,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
    }
}

fn supervision_view(s: placements::SupervisionSession, show_notes: bool) -> Supervision {
    Supervision {
        id: s.id,
        placement_id: s.placement_id,
        occurred_on: s.occurred_on,
        duration_minutes: s.duration_minutes,
        format: s.format,
        verified: s.verified_by.is_some(),
        verified_at: s.verified_at.map(store::utc),
        notes: if show_notes { s.notes } else { None },
    }
}

/// Who the caller is to a placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlacementRole {
    Learner,
    Supervisor,
    /// An administrator or a tutor of the learner: may read, may not log or verify.
    Staff,
}

fn placement_role(
    conn: &mut DbConnection,
    caller: &Caller,
    placement: &placements::Placement,
) -> peertrack_core::Result<Option<PlacementRole>> {
    Ok(if caller.person_id == placement.person_id {
        Some(PlacementRole::Learner)
    } else if caller.person_id == placement.supervisor_id {
        Some(PlacementRole::Supervisor)
    } else if caller.is_admin || cohorts::tutors_learner(conn, &caller.person_id, &placement.person_id)? {
        Some(PlacementRole::Staff)
    } else {
        None
    })
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
        body: Json<NewPlacement>,
    ) -> Result<PlacementCreated, ApiError> {
        validation::check(&body.0)?;
        let caller = auth.0;
        let now = store::stored(state.now());
        let input = service::NewPlacement {
            person_id: body.0.person_id.trimmed().to_string(),
            organisation_id: body.0.organisation_id.trimmed().to_string(),
            supervisor_email: body.0.supervisor_email.trimmed().to_string(),
            starts_on: body.0.starts_on,
            ends_on: body.0.ends_on,
        };
        let placement = state
            .db
            .write_async(move |conn| {
                if !caller.is_admin {
                    // One answer whether or not the person exists, so that it tells nobody
                    // who is a learner.
                    if !cohorts::tutors_learner(conn, &caller.person_id, &input.person_id)? {
                        return Ok(Err(ApiError::forbidden(
                            "Only an administrator or the learner's tutor can add a placement.",
                        )));
                    }
                } else if people::get(conn, &input.person_id).is_err() {
                    return Ok(Err(ApiError::invalid(
                        "person_id",
                        "there is no person with this id",
                    )));
                }
                let actor = Actor::Person(caller.person_id.clone());
                let (placement, _) = service::add_placement(conn, &actor, &input, now)?;
                Ok(Ok(placement))
            })
            .await??;
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
        let caller = auth.0;
        let placement = state
            .db
            .read_async(move |conn| {
                let placement = placements::get(conn, &id.0)?;
                Ok(match placement_role(conn, &caller, &placement)? {
                    Some(_) => Ok(placement),
                    None => Err(ApiError::not_found("Placement")),
                })
            })
            .await??;
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
        body: Json<NewSupervision>,
    ) -> Result<SupervisionCreated, ApiError> {
        let caller = auth.0;
        let now = store::stored(state.now());
        let input = body.0;
        let session = state
            .db
            .write_async(move |conn| {
                let placement = placements::get(conn, &id.0)?;
                match placement_role(conn, &caller, &placement)? {
                    Some(PlacementRole::Learner | PlacementRole::Supervisor) => {}
                    Some(PlacementRole::Staff) => {
                        return Ok(Err(ApiError::forbidden(
                            "Only the learner or their supervisor can log supervision.",
                        )))
                    }
                    None => return Ok(Err(ApiError::not_found("Placement"))),
                }
                let actor = Actor::Person(caller.person_id.clone());
                Ok(Ok(service::log_supervision(
                    conn,
                    &actor,
                    &placement,
                    &caller.person_id,
                    input.occurred_on,
                    input.duration_minutes,
                    input.format.into(),
                    input
                        .notes
                        .map(|n| n.trimmed().to_string())
                        .filter(|n| !n.is_empty()),
                    now,
                )?))
            })
            .await??;
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
        let caller = auth.0;
        let (sessions, show_notes) = state
            .db
            .read_async(move |conn| {
                let placement = placements::get(conn, &id.0)?;
                let role = match placement_role(conn, &caller, &placement)? {
                    Some(role) => role,
                    None => return Ok(Err(ApiError::not_found("Placement"))),
                };
                let sessions = placements::supervision_of_placement(conn, &placement.id)?;
                Ok(Ok((sessions, role != PlacementRole::Staff)))
            })
            .await??;
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
        let caller = auth.0;
        let now = store::stored(state.now());
        let session = state
            .db
            .write_async(move |conn| {
                let session = placements::supervision(conn, &id.0)?;
                let placement = placements::get(conn, &session.placement_id)?;
                match placement_role(conn, &caller, &placement)? {
                    Some(PlacementRole::Supervisor) => {}
                    Some(_) => {
                        return Ok(Err(ApiError::forbidden(
                            "Only the placement's supervisor can verify supervision.",
                        )))
                    }
                    None => return Ok(Err(ApiError::not_found("Supervision session"))),
                }
                let actor = Actor::Person(caller.person_id.clone());
                Ok(Ok(service::verify_supervision(
                    conn,
                    &actor,
                    &session.id,
                    &caller.person_id,
                    now,
                )?))
            })
            .await??;
        Ok(Json(supervision_view(session, true)))
    }
}

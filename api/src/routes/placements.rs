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

mod operations;
pub use operations::*;

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

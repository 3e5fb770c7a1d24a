//! Cohorts, their sessions, enrolments and progress.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::service::{progress, records as service};
use peertrack_core::store::{self, audit::Actor, cohorts, people, programmes};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use validator::Validate;

use super::paging;
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;
use crate::validation::{self, email_address, email_addresses, failure, not_blank, plausible_date};

/// A new cohort.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
#[validate(schema(function = "cohort_dates_in_order"))]
pub struct NewCohort {
    /// The programme, e.g. `P2P`; the cohort follows its current version.
    #[oai(validator(min_length = 1, max_length = 50))]
    pub programme_code: Text,
    /// The delivering organisation's id.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub organisation_id: Text,
    /// A name people recognise, e.g. "Dundee spring 2027".
    #[oai(validator(min_length = 1, max_length = 200))]
    #[validate(custom(function = "not_blank"))]
    pub name: Text,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, on or after `starts_on`.
    pub ends_on: NaiveDate,
    /// Tutors' email addresses; new addresses get accounts.
    #[oai(validator(max_items = 20))]
    #[validate(custom(function = "email_addresses"))]
    pub tutor_emails: Vec<Text>,
}

fn cohort_dates_in_order(cohort: &NewCohort) -> Result<(), validator::ValidationError> {
    plausible_date("starts_on", cohort.starts_on)?;
    plausible_date("ends_on", cohort.ends_on)?;
    if cohort.ends_on < cohort.starts_on {
        return Err(failure("ends_on", "must be on or after starts_on"));
    }
    Ok(())
}

/// A tutor of a cohort.
#[derive(Debug, Object)]
pub struct Tutor {
    /// Their id.
    pub person_id: String,
    /// Their name.
    pub name: String,
}

/// A cohort.
#[derive(Debug, Object)]
pub struct Cohort {
    /// Its id.
    pub id: String,
    /// The programme's code.
    pub programme_code: String,
    /// The programme version it follows.
    pub programme_version: u32,
    /// The delivering organisation.
    pub organisation_id: String,
    /// Its name.
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Its tutors.
    pub tutors: Vec<Tutor>,
}

/// A page of cohorts.
#[derive(Debug, Object)]
pub struct CohortList {
    /// Cohorts the caller can see.
    pub items: Vec<Cohort>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A new session.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
#[validate(schema(function = "session_times_in_order"))]
pub struct NewSession {
    /// Its title, e.g. "Week 3: The peer support relationship".
    #[oai(validator(min_length = 1, max_length = 200))]
    #[validate(custom(function = "not_blank"))]
    pub title: Text,
    /// The module it teaches, if one (a module code of the cohort's programme).
    #[oai(validator(max_length = 50))]
    pub module_code: Option<Text>,
    /// Start, RFC 3339.
    pub starts_at: DateTime<Utc>,
    /// End, after the start.
    pub ends_at: DateTime<Utc>,
}

fn session_times_in_order(session: &NewSession) -> Result<(), validator::ValidationError> {
    plausible_date("starts_at", session.starts_at.date_naive())?;
    plausible_date("ends_at", session.ends_at.date_naive())?;
    if session.ends_at <= session.starts_at {
        return Err(failure("ends_at", "must be after starts_at"));
    }
    if session.ends_at - session.starts_at > chrono::Duration::hours(24) {
        return Err(failure("ends_at", "a session lasts at most 24 hours"));
    }
    Ok(())
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

/// A page of sessions.
#[derive(Debug, Object)]
pub struct SessionList {
    /// Sessions in time order.
    pub items: Vec<Session>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A learner to enrol.
#[derive(Debug, Object, Validate)]
#[oai(deny_unknown_fields)]
pub struct NewEnrolment {
    /// Their email address; a new address gets an account.
    #[oai(validator(min_length = 3, max_length = 254))]
    #[validate(custom(function = "email_address"))]
    pub email: Text,
    /// Their name as they would like it on their certificate.
    #[oai(validator(min_length = 1, max_length = 200))]
    #[validate(custom(function = "not_blank"))]
    pub name: Text,
    /// From when sessions count for them (default today). Sessions before it never count
    /// against them; use it to enter a paper register after the fact.
    pub enrolled_on: Option<NaiveDate>,
}

/// An enrolment.
#[derive(Debug, Object)]
pub struct Enrolment {
    /// The learner.
    pub person_id: String,
    /// Their name.
    pub name: String,
    /// From when sessions count.
    pub enrolled_on: NaiveDate,
    /// `active`, `completed` or `withdrawn`.
    pub status: String,
}

/// A page of enrolments.
#[derive(Debug, Object)]
pub struct EnrolmentList {
    /// Learners by name.
    pub items: Vec<Enrolment>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

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

/// Answers of `POST /v1/cohorts`.
#[derive(Debug, ApiResponse)]
pub enum CohortCreated {
    /// The cohort was created.
    #[oai(status = 201)]
    Created(Json<Cohort>),
}

/// Answers of `POST /v1/cohorts/{id}/sessions`.
#[derive(Debug, ApiResponse)]
pub enum SessionCreated {
    /// The session was added.
    #[oai(status = 201)]
    Created(Json<Session>),
}

/// Answers of `POST /v1/cohorts/{id}/enrolments`.
#[derive(Debug, ApiResponse)]
pub enum EnrolmentCreated {
    /// The learner was enrolled and an email is on its way to them.
    #[oai(status = 201)]
    Created(Json<Enrolment>),
}

pub(crate) fn hours(minutes: u32) -> f64 {
    (f64::from(minutes) / 6.0).floor() / 10.0
}

fn cohort_view(conn: &mut store::DbConnection, cohort: cohorts::Cohort) -> peertrack_core::Result<Cohort> {
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let tutors = cohorts::tutors(conn, &cohort.id)?
        .into_iter()
        .map(|p| Tutor {
            name: p.display_name().to_string(),
            person_id: p.id,
        })
        .collect();
    Ok(Cohort {
        id: cohort.id,
        programme_code: version.definition.code,
        programme_version: version.definition.version,
        organisation_id: cohort.organisation_id,
        name: cohort.name,
        starts_on: cohort.starts_on,
        ends_on: cohort.ends_on,
        tutors,
    })
}

pub(crate) fn session_view(session: cohorts::Session) -> Session {
    Session {
        id: session.id,
        cohort_id: session.cohort_id,
        title: session.title,
        module_code: session.module_code,
        starts_at: store::utc(session.starts_at),
        ends_at: store::utc(session.ends_at),
    }
}

/// Cohort operations.
pub struct CohortsApi;

#[OpenApi(tag = "Tag::Cohorts")]
impl CohortsApi {
    /// Create a cohort
    ///
    /// Administrators create a cohort of a programme (at its current version) delivered by an
    /// organisation, naming its tutors by email; tutors new to Peertrack get accounts.
    #[oai(path = "/v1/cohorts", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: Json<NewCohort>,
    ) -> Result<CohortCreated, ApiError> {
        auth.0.require_admin()?;
        validation::check(&body.0)?;
        let input = service::NewCohort {
            programme_code: body.0.programme_code.trimmed().to_string(),
            organisation_id: body.0.organisation_id.trimmed().to_string(),
            name: body.0.name.trimmed().to_string(),
            starts_on: body.0.starts_on,
            ends_on: body.0.ends_on,
            tutor_emails: body
                .0
                .tutor_emails
                .iter()
                .map(|e| e.trimmed().to_string())
                .collect(),
        };
        let actor = Actor::Person(auth.0.person_id.clone());
        let now = store::stored(state.now());
        let cohort = state
            .db
            .write_async(move |conn| {
                let cohort = service::create_cohort(conn, &actor, &input, now)?;
                cohort_view(conn, cohort)
            })
            .await?;
        Ok(CohortCreated::Created(Json(cohort)))
    }

    /// List cohorts
    ///
    /// Administrators see every cohort; others see the cohorts they tutor or learn in.
    #[oai(path = "/v1/cohorts", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CohortList>, ApiError> {
        let limit = paging::limit(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let visible_to = (!auth.0.is_admin).then(|| auth.0.person_id.clone());
        let (items, next_cursor) = state
            .db
            .read_async(move |conn| {
                let rows = cohorts::list(conn, visible_to.as_deref(), after.as_deref(), limit + 1)?;
                let (rows, next) = paging::page(rows, limit, |c| c.id.clone());
                let items = rows
                    .into_iter()
                    .map(|c| cohort_view(conn, c))
                    .collect::<peertrack_core::Result<Vec<_>>>()?;
                Ok((items, next))
            })
            .await?;
        Ok(Json(CohortList { items, next_cursor }))
    }

    /// Get a cohort
    ///
    /// For administrators, the cohort's tutors and its learners.
    #[oai(path = "/v1/cohorts/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Cohort>, ApiError> {
        let caller = auth.0;
        let cohort = state
            .db
            .read_async(move |conn| {
                Ok(match caller.cohort_role(conn, &id.0) {
                    Ok(_) => {
                        let cohort = cohorts::get(conn, &id.0)?;
                        Ok(cohort_view(conn, cohort)?)
                    }
                    Err(denied) => Err(denied),
                })
            })
            .await??;
        Ok(Json(cohort))
    }

    /// Add a session
    ///
    /// The cohort's tutors or an administrator add a planned session, optionally of a module.
    #[oai(path = "/v1/cohorts/:id/sessions", method = "post")]
    async fn add_session(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: Json<NewSession>,
    ) -> Result<SessionCreated, ApiError> {
        validation::check(&body.0)?;
        let caller = auth.0;
        let input = service::NewSession {
            title: body.0.title.trimmed().to_string(),
            module_code: body.0.module_code.map(|c| c.trimmed().to_string()),
            starts_at: store::stored(body.0.starts_at),
            ends_at: store::stored(body.0.ends_at),
        };
        let now = store::stored(state.now());
        let session = state
            .db
            .write_async(move |conn| {
                if let Err(denied) = caller.require_cohort_staff(conn, &id.0) {
                    return Ok(Err(denied));
                }
                let cohort = cohorts::get(conn, &id.0)?;
                let actor = Actor::Person(caller.person_id.clone());
                Ok(Ok(service::add_session(conn, &actor, &cohort, &input, now)?))
            })
            .await??;
        Ok(SessionCreated::Created(Json(session_view(session))))
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
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SessionList>, ApiError> {
        let caller = auth.0;
        let limit = paging::limit(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(position) => Some(session_position(&position)?),
            None => None,
        };
        let (rows, next_cursor) = state
            .db
            .read_async(move |conn| {
                if let Err(denied) = caller.cohort_role(conn, &id.0) {
                    return Ok(Err(denied));
                }
                let rows = cohorts::sessions(conn, &id.0, after, limit + 1)?;
                Ok(Ok(paging::page(rows, limit, |s| {
                    format!("{}|{}", s.starts_at.and_utc().to_rfc3339(), s.id)
                })))
            })
            .await??;
        Ok(Json(SessionList {
            items: rows.into_iter().map(session_view).collect(),
            next_cursor,
        }))
    }

    /// Enrol a learner
    ///
    /// The cohort's tutors or an administrator enrol a learner by email, adding them to
    /// Peertrack if new, and Peertrack emails them a welcome with the cohort's dates.
    /// `enrolled_on` (default today) is the day from which sessions count for them.
    #[oai(path = "/v1/cohorts/:id/enrolments", method = "post")]
    async fn enrol(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: Json<NewEnrolment>,
    ) -> Result<EnrolmentCreated, ApiError> {
        validation::check(&body.0)?;
        let caller = auth.0;
        let now = state.now();
        let enrolled_on = body.0.enrolled_on.unwrap_or_else(|| now.date_naive());
        validation::require_plausible_date("enrolled_on", enrolled_on)?;
        let email = body.0.email.trimmed().to_string();
        let name = body.0.name.trimmed().to_string();
        let (enrolment, person) = state
            .db
            .write_async(move |conn| {
                if let Err(denied) = caller.require_cohort_staff(conn, &id.0) {
                    return Ok(Err(denied));
                }
                let cohort = cohorts::get(conn, &id.0)?;
                if enrolled_on > cohort.ends_on {
                    return Err(peertrack_core::Error::invalid(
                        "enrolled_on",
                        "must not be after the cohort ends",
                    ));
                }
                let actor = Actor::Person(caller.person_id.clone());
                Ok(Ok(service::enrol(
                    conn,
                    &actor,
                    &cohort,
                    &email,
                    &name,
                    enrolled_on,
                    store::stored(now),
                )?))
            })
            .await??;
        Ok(EnrolmentCreated::Created(Json(Enrolment {
            name: person.display_name().to_string(),
            person_id: person.id,
            enrolled_on: enrolment.enrolled_on,
            status: enrolment.status,
        })))
    }

    /// List a cohort's learners
    ///
    /// Learners by name with their enrolment, for the cohort's tutors and administrators.
    #[oai(path = "/v1/cohorts/:id/enrolments", method = "get")]
    async fn enrolments(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<EnrolmentList>, ApiError> {
        let caller = auth.0;
        let limit = paging::limit(limit.0);
        let skip = offset(paging::decode_cursor(cursor.0.as_deref())?)?;
        let rows = state
            .db
            .read_async(move |conn| {
                if let Err(denied) = caller.require_cohort_staff(conn, &id.0) {
                    return Ok(Err(denied));
                }
                Ok(Ok(cohorts::learners(conn, &id.0)?))
            })
            .await??;
        let (rows, next_cursor) = offset_page(rows, skip, limit);
        Ok(Json(EnrolmentList {
            items: rows
                .into_iter()
                .map(|(e, p)| Enrolment {
                    name: p.display_name().to_string(),
                    person_id: p.id,
                    enrolled_on: e.enrolled_on,
                    status: e.status,
                })
                .collect(),
            next_cursor,
        }))
    }

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
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ProgressList>, ApiError> {
        let caller = auth.0;
        let now = state.now();
        let limit = paging::limit(limit.0);
        let skip = offset(paging::decode_cursor(cursor.0.as_deref())?)?;
        let rows = state
            .db
            .read_async(move |conn| {
                if let Err(denied) = caller.require_cohort_staff(conn, &id.0) {
                    return Ok(Err(denied));
                }
                let cohort = cohorts::get(conn, &id.0)?;
                Ok(Ok(progress::cohort_progress(conn, &cohort, now)?))
            })
            .await??;
        let (rows, next_cursor) = offset_page(rows, skip, limit);
        Ok(Json(ProgressList {
            items: rows
                .into_iter()
                .map(|(person, p)| progress_row(&person, &p))
                .collect(),
            next_cursor,
        }))
    }
}

fn progress_row(person: &people::Person, p: &progress::LearnerProgress) -> ProgressRow {
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

/// A cohort's learners fit in memory, so their lists page by position.
fn offset(position: Option<String>) -> Result<usize, ApiError> {
    match position {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| paging::bad_cursor()),
    }
}

fn offset_page<T>(rows: Vec<T>, skip: usize, limit: i64) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let total = rows.len();
    let page: Vec<T> = rows.into_iter().skip(skip).take(limit).collect();
    // A cursor names any position, however far past the end.
    let end = skip.saturating_add(limit);
    let next = (end < total).then(|| paging::encode_cursor(&end.to_string()));
    (page, next)
}

fn session_position(position: &str) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let (at, id) = position.split_once('|').ok_or_else(paging::bad_cursor)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| paging::bad_cursor())?;
    Ok((at.naive_utc(), id.to_string()))
}

//! Practice placements, supervision sessions and practice hours.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{placements, practice_hours, supervision_sessions};
use super::{DbConnection, FoundOr};
use crate::domain::{SupervisionFormat, SupervisionStatus, VerifiedSupervision};
use crate::{Error, Result};

/// A learner's practice placement at a host organisation, with a supervisor there.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = placements, treat_none_as_default_value = false)]
pub struct Placement {
    /// Its id.
    pub id: String,
    /// The learner.
    pub person_id: String,
    /// The host organisation.
    pub organisation_id: String,
    /// The supervisor (a person at the host).
    pub supervisor_id: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, once known.
    pub ends_on: Option<NaiveDate>,
    /// When it was added.
    pub created_at: NaiveDateTime,
    /// The cohort it was made within: its tutors see it.
    pub cohort_id: Option<String>,
    /// The administrator who let a tutor of the learner be its supervisor, if one did.
    pub tutor_supervision_allowed_by: Option<String>,
}

/// Adds a placement.
pub fn create(conn: &mut DbConnection, placement: &Placement) -> Result<()> {
    if placement.ends_on.is_some_and(|end| end < placement.starts_on) {
        return Err(Error::invalid("ends_on", "must be on or after starts_on"));
    }
    diesel::insert_into(placements::table)
        .values(placement)
        .execute(conn)?;
    Ok(())
}

/// One placement by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Placement> {
    placements::table
        .find(id)
        .select(Placement::as_select())
        .first(conn)
        .found_or("placement")
}

/// A learner's placements, oldest first.
pub fn placements_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Placement>> {
    Ok(placements::table
        .filter(placements::person_id.eq(person_id))
        .order(placements::starts_on)
        .select(Placement::as_select())
        .load(conn)?)
}

/// Whether `supervisor_id` supervises any placement of `person_id`.
pub fn supervises(conn: &mut DbConnection, supervisor_id: &str, person_id: &str) -> Result<bool> {
    let found: i64 = placements::table
        .filter(placements::supervisor_id.eq(supervisor_id))
        .filter(placements::person_id.eq(person_id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// The placements a person supervises, newest first.
pub fn supervised_by(conn: &mut DbConnection, supervisor_id: &str) -> Result<Vec<Placement>> {
    Ok(placements::table
        .filter(placements::supervisor_id.eq(supervisor_id))
        .order((placements::starts_on.desc(), placements::id))
        .select(Placement::as_select())
        .load(conn)?)
}

/// A supervision session logged during a placement.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = supervision_sessions, treat_none_as_default_value = false)]
pub struct SupervisionSession {
    /// Its id.
    pub id: String,
    /// The placement.
    pub placement_id: String,
    /// The day it took place.
    pub occurred_on: NaiveDate,
    /// How long.
    pub duration_minutes: i32,
    /// `individual`, `group`, `co_reflection` or `observation`.
    pub format: String,
    /// Notes, readable only by the learner and the supervisor.
    pub notes: Option<String>,
    /// Who logged it.
    pub logged_by: String,
    /// The supervisor who verified it; only verified sessions count.
    pub verified_by: Option<String>,
    /// When it was verified.
    pub verified_at: Option<NaiveDateTime>,
    /// When it was logged.
    pub created_at: NaiveDateTime,
    /// The supervisor who declined it, if they did (and have not verified it since).
    pub declined_by: Option<String>,
    /// When it was declined.
    pub declined_at: Option<NaiveDateTime>,
    /// Why, in the supervisor's words; the learner sees it.
    pub decline_reason: Option<String>,
}

impl SupervisionSession {
    /// Pending, verified or declined.
    pub fn status(&self) -> SupervisionStatus {
        match (&self.verified_by, &self.declined_by) {
            (Some(_), _) => SupervisionStatus::Verified,
            (None, Some(_)) => SupervisionStatus::Declined,
            (None, None) => SupervisionStatus::Pending,
        }
    }
}

/// Logs a supervision session.
pub fn log_supervision(conn: &mut DbConnection, session: &SupervisionSession) -> Result<()> {
    if session.duration_minutes <= 0 {
        return Err(Error::invalid("duration_minutes", "must be more than 0"));
    }
    diesel::insert_into(supervision_sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// One supervision session by id.
pub fn supervision(conn: &mut DbConnection, id: &str) -> Result<SupervisionSession> {
    supervision_sessions::table
        .find(id)
        .select(SupervisionSession::as_select())
        .first(conn)
        .found_or("supervision session")
}

/// Marks a supervision session verified by `supervisor_id` (no change if it already is). A
/// declined session becomes verified: the supervisor changed their mind.
pub fn verify_supervision(
    conn: &mut DbConnection,
    id: &str,
    supervisor_id: &str,
    now: NaiveDateTime,
) -> Result<SupervisionSession> {
    diesel::update(
        supervision_sessions::table
            .filter(supervision_sessions::id.eq(id))
            .filter(supervision_sessions::verified_by.is_null()),
    )
    .set((
        supervision_sessions::verified_by.eq(supervisor_id),
        supervision_sessions::verified_at.eq(now),
        supervision_sessions::declined_by.eq(None::<String>),
        supervision_sessions::declined_at.eq(None::<NaiveDateTime>),
        supervision_sessions::decline_reason.eq(None::<String>),
    ))
    .execute(conn)?;
    supervision(conn, id)
}

/// Marks a supervision session that is not verified as declined by `supervisor_id`, with the
/// reason; whether it changed (a verified session does not).
pub fn decline_supervision(
    conn: &mut DbConnection,
    id: &str,
    supervisor_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        supervision_sessions::table
            .filter(supervision_sessions::id.eq(id))
            .filter(supervision_sessions::verified_by.is_null()),
    )
    .set((
        supervision_sessions::declined_by.eq(supervisor_id),
        supervision_sessions::declined_at.eq(now),
        supervision_sessions::decline_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Sets the last day of a placement.
pub fn end_placement(conn: &mut DbConnection, id: &str, ended_on: NaiveDate) -> Result<Placement> {
    let changed = diesel::update(placements::table.find(id))
        .set(placements::ends_on.eq(ended_on))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("placement"));
    }
    get(conn, id)
}

/// The first day after `day` on which supervision that may still count (not declined) was
/// logged in the placement, if any.
pub fn supervision_logged_after(
    conn: &mut DbConnection,
    placement_id: &str,
    day: NaiveDate,
) -> Result<Option<NaiveDate>> {
    Ok(supervision_sessions::table
        .filter(supervision_sessions::placement_id.eq(placement_id))
        .filter(supervision_sessions::occurred_on.gt(day))
        .filter(supervision_sessions::declined_by.is_null())
        .select(diesel::dsl::min(supervision_sessions::occurred_on))
        .first::<Option<NaiveDate>>(conn)?)
}

/// How many supervision sessions wait for this supervisor (neither verified nor declined).
pub fn waiting_for_supervisor(conn: &mut DbConnection, supervisor_id: &str) -> Result<i64> {
    Ok(supervision_sessions::table
        .inner_join(placements::table)
        .filter(placements::supervisor_id.eq(supervisor_id))
        .filter(supervision_sessions::verified_by.is_null())
        .filter(supervision_sessions::declined_by.is_null())
        .count()
        .get_result(conn)?)
}

/// Whose supervision a list is about, from the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Placements they supervise.
    Supervisor,
    /// Their own placements.
    Learner,
}

/// What to list of a person's supervision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionFilter {
    /// Only as supervisor, or only as learner; both when `None`.
    pub side: Option<Side>,
    /// Only this status; every status when `None`.
    pub status: Option<SupervisionStatus>,
    /// Start after this position (`occurred_on`, `id`).
    pub after: Option<(NaiveDate, String)>,
    /// At most this many.
    pub limit: i64,
}

/// Supervision in the placements a person supervises or is on, oldest first, with each
/// session's placement.
pub fn supervision_of_person(
    conn: &mut DbConnection,
    person_id: &str,
    filter: &SupervisionFilter,
) -> Result<Vec<(SupervisionSession, Placement)>> {
    let mut query = supervision_sessions::table
        .inner_join(placements::table)
        .select((SupervisionSession::as_select(), Placement::as_select()))
        .into_boxed();
    query = match filter.side {
        Some(Side::Supervisor) => query.filter(placements::supervisor_id.eq(person_id)),
        Some(Side::Learner) => query.filter(placements::person_id.eq(person_id)),
        None => query.filter(
            placements::supervisor_id
                .eq(person_id)
                .or(placements::person_id.eq(person_id)),
        ),
    };
    query = match filter.status {
        Some(SupervisionStatus::Pending) => query
            .filter(supervision_sessions::verified_by.is_null())
            .filter(supervision_sessions::declined_by.is_null()),
        Some(SupervisionStatus::Verified) => query.filter(supervision_sessions::verified_by.is_not_null()),
        Some(SupervisionStatus::Declined) => query
            .filter(supervision_sessions::verified_by.is_null())
            .filter(supervision_sessions::declined_by.is_not_null()),
        None => query,
    };
    if let Some((day, id)) = &filter.after {
        query = query.filter(
            supervision_sessions::occurred_on
                .gt(*day)
                .or(supervision_sessions::occurred_on
                    .eq(*day)
                    .and(supervision_sessions::id.gt(id.clone()))),
        );
    }
    Ok(query
        .order((supervision_sessions::occurred_on, supervision_sessions::id))
        .limit(filter.limit)
        .load(conn)?)
}

/// A placement's supervision sessions, by date.
pub fn supervision_of_placement(
    conn: &mut DbConnection,
    placement_id: &str,
) -> Result<Vec<SupervisionSession>> {
    Ok(supervision_sessions::table
        .filter(supervision_sessions::placement_id.eq(placement_id))
        .order((supervision_sessions::occurred_on, supervision_sessions::id))
        .select(SupervisionSession::as_select())
        .load(conn)?)
}

/// A learner's verified supervision across all their placements.
pub fn verified_supervision_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<VerifiedSupervision>> {
    let mut by_person = verified_supervision_of_people(conn, &[person_id.to_string()])?;
    Ok(by_person.remove(person_id).unwrap_or_default())
}

/// The verified supervision of each of these learners, across their placements, in one query.
/// Learners with none are left out.
pub fn verified_supervision_of_people(
    conn: &mut DbConnection,
    person_ids: &[String],
) -> Result<HashMap<String, Vec<VerifiedSupervision>>> {
    let rows: Vec<(String, NaiveDate, i32, String)> = supervision_sessions::table
        .inner_join(placements::table)
        .filter(placements::person_id.eq_any(person_ids))
        .filter(supervision_sessions::verified_by.is_not_null())
        .filter(supervision_sessions::declined_by.is_null())
        .select((
            placements::person_id,
            supervision_sessions::occurred_on,
            supervision_sessions::duration_minutes,
            supervision_sessions::format,
        ))
        .load(conn)?;
    let mut by_person: HashMap<String, Vec<VerifiedSupervision>> = HashMap::new();
    for (person_id, occurred_on, minutes, format) in rows {
        let format = SupervisionFormat::parse(&format)
            .ok_or_else(|| Error::Corrupt(format!("supervision format {format:?}")))?;
        by_person.entry(person_id).or_default().push(VerifiedSupervision {
            occurred_on,
            duration_minutes: u32::try_from(minutes).unwrap_or(0),
            format,
        });
    }
    Ok(by_person)
}

/// Practice time logged during a placement.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = practice_hours, treat_none_as_default_value = false)]
pub struct PracticeTime {
    /// Its id.
    pub id: String,
    /// The placement.
    pub placement_id: String,
    /// The day worked.
    pub worked_on: NaiveDate,
    /// How long.
    pub minutes: i32,
    /// What was done, briefly.
    pub description: Option<String>,
    /// Who logged it.
    pub logged_by: String,
    /// The supervisor who verified it.
    pub verified_by: Option<String>,
    /// When verified.
    pub verified_at: Option<NaiveDateTime>,
    /// When logged.
    pub created_at: NaiveDateTime,
}

/// Logs practice time.
pub fn log_practice(conn: &mut DbConnection, time: &PracticeTime) -> Result<()> {
    if time.minutes <= 0 {
        return Err(Error::invalid("minutes", "must be more than 0"));
    }
    diesel::insert_into(practice_hours::table)
        .values(time)
        .execute(conn)?;
    Ok(())
}

/// Marks practice time verified.
pub fn verify_practice(
    conn: &mut DbConnection,
    id: &str,
    supervisor_id: &str,
    now: NaiveDateTime,
) -> Result<()> {
    let changed = diesel::update(practice_hours::table.find(id))
        .set((
            practice_hours::verified_by.eq(supervisor_id),
            practice_hours::verified_at.eq(now),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("practice time"));
    }
    Ok(())
}

/// A learner's verified practice, in minutes, across placements.
pub fn verified_practice_minutes_of(conn: &mut DbConnection, person_id: &str) -> Result<u32> {
    let by_person = verified_practice_minutes_of_people(conn, &[person_id.to_string()])?;
    Ok(by_person.get(person_id).copied().unwrap_or(0))
}

/// The verified practice of each of these learners, in minutes, in one query. Learners with
/// none are left out.
pub fn verified_practice_minutes_of_people(
    conn: &mut DbConnection,
    person_ids: &[String],
) -> Result<HashMap<String, u32>> {
    let rows: Vec<(String, i32)> = practice_hours::table
        .inner_join(placements::table)
        .filter(placements::person_id.eq_any(person_ids))
        .filter(practice_hours::verified_by.is_not_null())
        .select((placements::person_id, practice_hours::minutes))
        .load(conn)?;
    let mut by_person: HashMap<String, u32> = HashMap::new();
    for (person_id, minutes) in rows {
        *by_person.entry(person_id).or_default() += u32::try_from(minutes).unwrap_or(0);
    }
    Ok(by_person)
}

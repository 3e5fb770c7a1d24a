//! Cohorts, their tutors, sessions and enrolments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::people::Person;
use super::schema::{cohort_tutors, cohorts, enrolments, people, programme_versions, sessions};
use super::{is_unique_violation, new_id, DbConnection, FoundOr};
use crate::domain::EnrolmentStatus;
use crate::{Error, Result};

mod learners;
pub use learners::*;
pub mod overview;

/// A group of learners taking one programme version together.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohorts)]
pub struct Cohort {
    /// Its id.
    pub id: String,
    /// The programme version it follows; fixed for the cohort's life.
    pub programme_version_id: String,
    /// The organisation delivering it.
    pub organisation_id: String,
    /// Its name, e.g. "Dundee spring 2027".
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// When it was created.
    pub created_at: NaiveDateTime,
}

/// Creates a cohort with its tutors, in the caller's transaction.
pub fn create(conn: &mut DbConnection, cohort: &Cohort, tutor_ids: &[String]) -> Result<()> {
    if cohort.ends_on < cohort.starts_on {
        return Err(Error::invalid("ends_on", "must be on or after starts_on"));
    }
    diesel::insert_into(cohorts::table).values(cohort).execute(conn)?;
    for tutor in tutor_ids {
        add_tutor(conn, &cohort.id, tutor)?;
    }
    Ok(())
}

/// A tutor of a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohort_tutors)]
pub struct CohortTutor {
    /// The cohort.
    pub cohort_id: String,
    /// The tutor.
    pub person_id: String,
}

/// Makes a person a tutor of a cohort (no change if they already are).
pub fn add_tutor(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<()> {
    if is_tutor(conn, cohort_id, person_id)? {
        return Ok(());
    }
    diesel::insert_into(cohort_tutors::table)
        .values((
            cohort_tutors::cohort_id.eq(cohort_id),
            cohort_tutors::person_id.eq(person_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// One cohort by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Cohort> {
    cohorts::table
        .find(id)
        .select(Cohort::as_select())
        .first(conn)
        .found_or("cohort")
}

/// Changes a cohort's name and dates, in the caller's transaction.
pub fn update(conn: &mut DbConnection, cohort: &Cohort) -> Result<()> {
    if cohort.ends_on < cohort.starts_on {
        return Err(Error::invalid("ends_on", "must be on or after starts_on"));
    }
    diesel::update(cohorts::table.find(&cohort.id))
        .set((
            cohorts::name.eq(&cohort.name),
            cohorts::starts_on.eq(cohort.starts_on),
            cohorts::ends_on.eq(cohort.ends_on),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes a person off a cohort's tutors (no change if they were not one).
pub fn remove_tutor(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<()> {
    diesel::delete(
        cohort_tutors::table
            .filter(cohort_tutors::cohort_id.eq(cohort_id))
            .filter(cohort_tutors::person_id.eq(person_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether the person tutors the cohort.
pub fn is_tutor(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<bool> {
    let found: i64 = cohort_tutors::table
        .filter(cohort_tutors::cohort_id.eq(cohort_id))
        .filter(cohort_tutors::person_id.eq(person_id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Whether the person tutors any cohort at all.
pub fn tutored_by(conn: &mut DbConnection, person_id: &str) -> Result<bool> {
    let found: i64 = cohort_tutors::table
        .filter(cohort_tutors::person_id.eq(person_id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// The ids of the cohorts the person tutors.
pub fn cohorts_tutored_by(conn: &mut DbConnection, person_id: &str) -> Result<Vec<String>> {
    Ok(cohort_tutors::table
        .filter(cohort_tutors::person_id.eq(person_id))
        .select(cohort_tutors::cohort_id)
        .load(conn)?)
}

/// The cohort's tutors, by name.
pub fn tutors(conn: &mut DbConnection, cohort_id: &str) -> Result<Vec<Person>> {
    Ok(cohort_tutors::table
        .inner_join(people::table)
        .filter(cohort_tutors::cohort_id.eq(cohort_id))
        .order(by_name())
        .select(Person::as_select())
        .load(conn)?)
}

/// People in name order, erased people (no name) last. Both backends put them there: SQLite
/// alone would sort NULL first and PostgreSQL last.
#[allow(clippy::type_complexity)]
fn by_name() -> (diesel::dsl::IsNull<people::name>, people::name, people::id) {
    (people::name.is_null(), people::name, people::id)
}

/// Whether the person tutors any cohort that this learner is enrolled in.
pub fn tutors_learner(conn: &mut DbConnection, tutor_id: &str, learner_id: &str) -> Result<bool> {
    let found: i64 = cohort_tutors::table
        .inner_join(enrolments::table.on(enrolments::cohort_id.eq(cohort_tutors::cohort_id)))
        .filter(cohort_tutors::person_id.eq(tutor_id))
        .filter(enrolments::person_id.eq(learner_id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// The cohorts that the tutor teaches and the learner is enrolled in, most recent enrolment
/// first: what the tutor may see of the learner.
pub fn shared_by_tutor_and_learner(
    conn: &mut DbConnection,
    tutor_id: &str,
    learner_id: &str,
) -> Result<Vec<String>> {
    Ok(cohort_tutors::table
        .inner_join(enrolments::table.on(enrolments::cohort_id.eq(cohort_tutors::cohort_id)))
        .filter(cohort_tutors::person_id.eq(tutor_id))
        .filter(enrolments::person_id.eq(learner_id))
        .order((enrolments::enrolled_on.desc(), enrolments::id.desc()))
        .select(enrolments::cohort_id)
        .load(conn)?)
}

/// The cohort a learner enrolled in most recently, if any.
pub fn latest_cohort_of(conn: &mut DbConnection, learner_id: &str) -> Result<Option<String>> {
    Ok(enrolments::table
        .filter(enrolments::person_id.eq(learner_id))
        .order((enrolments::enrolled_on.desc(), enrolments::id.desc()))
        .select(enrolments::cohort_id)
        .first(conn)
        .optional()?)
}

/// Cohorts in id order after `after`: all of them, or those `person_id` tutors or learns in.
pub fn list(
    conn: &mut DbConnection,
    visible_to: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Cohort>> {
    let mut query = cohorts::table
        .select(Cohort::as_select())
        .order(cohorts::id)
        .limit(limit)
        .into_boxed();
    if let Some(person) = visible_to {
        let tutored = cohort_tutors::table
            .filter(cohort_tutors::person_id.eq(person.to_string()))
            .select(cohort_tutors::cohort_id);
        let enrolled = enrolments::table
            .filter(enrolments::person_id.eq(person.to_string()))
            .select(enrolments::cohort_id);
        query = query.filter(cohorts::id.eq_any(tutored).or(cohorts::id.eq_any(enrolled)));
    }
    if let Some(after) = after {
        query = query.filter(cohorts::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// A planned session of a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
pub struct Session {
    /// Its id.
    pub id: String,
    /// The cohort it belongs to.
    pub cohort_id: String,
    /// The module it teaches, if one.
    pub module_code: Option<String>,
    /// Its title.
    pub title: String,
    /// Start (UTC).
    pub starts_at: NaiveDateTime,
    /// End (UTC).
    pub ends_at: NaiveDateTime,
    /// Bumped on every register change; the register's ETag.
    pub register_version: i32,
    /// When it was added.
    pub created_at: NaiveDateTime,
    /// When it was called off, if it was.
    pub cancelled_at: Option<NaiveDateTime>,
    /// Why it was called off, in the words of whoever did.
    pub cancel_reason: Option<String>,
}

impl Session {
    /// Whether it was called off.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }
}

/// Adds a session to a cohort.
pub fn add_session(conn: &mut DbConnection, session: &Session) -> Result<()> {
    if session.ends_at <= session.starts_at {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// Changes a session's title, module and times, in the caller's transaction.
pub fn update_session(conn: &mut DbConnection, session: &Session) -> Result<()> {
    if session.ends_at <= session.starts_at {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    diesel::update(sessions::table.find(&session.id))
        .set((
            sessions::title.eq(&session.title),
            sessions::module_code.eq(&session.module_code),
            sessions::starts_at.eq(session.starts_at),
            sessions::ends_at.eq(session.ends_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a session cancelled unless it already is; whether this call cancelled it.
pub fn cancel_session(conn: &mut DbConnection, id: &str, reason: &str, at: NaiveDateTime) -> Result<bool> {
    let changed = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::cancelled_at.is_null()),
    )
    .set((sessions::cancelled_at.eq(at), sessions::cancel_reason.eq(reason)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Holds a cohort's row until the transaction ends (PostgreSQL; SQLite has one writer), so
/// that two runs of something done to the whole cohort (issuing its certificates) run one
/// after the other.
pub fn lock_cohort(conn: &mut DbConnection, id: &str) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        cohorts::table
            .find(id)
            .select(cohorts::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// Holds a session's row until the transaction ends (PostgreSQL; SQLite has one writer), so
/// that a change to it and a register save run one after the other.
pub fn lock_session(conn: &mut DbConnection, id: &str) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        sessions::table
            .find(id)
            .select(sessions::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// The starts of a cohort's sessions that were not cancelled and start on days in
/// `[from, to]`, in time order.
pub fn held_sessions_between(
    conn: &mut DbConnection,
    cohort_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NaiveDateTime>> {
    let from = from.and_hms_opt(0, 0, 0).expect("midnight exists");
    let until = (to + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    Ok(sessions::table
        .filter(sessions::cohort_id.eq(cohort_id))
        .filter(sessions::cancelled_at.is_null())
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.lt(until))
        .order(sessions::starts_at)
        .select(sessions::starts_at)
        .load(conn)?)
}

/// One session by id.
pub fn session(conn: &mut DbConnection, id: &str) -> Result<Session> {
    sessions::table
        .find(id)
        .select(Session::as_select())
        .first(conn)
        .found_or("session")
}

/// A cohort's sessions in time order, after the (start, id) position `after`.
pub fn sessions(
    conn: &mut DbConnection,
    cohort_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Session>> {
    let mut query = sessions::table
        .filter(sessions::cohort_id.eq(cohort_id.to_string()))
        .select(Session::as_select())
        .order((sessions::starts_at, sessions::id))
        .limit(limit)
        .into_boxed();
    if let Some((starts_at, id)) = after {
        query = query.filter(
            sessions::starts_at
                .gt(starts_at)
                .or(sessions::starts_at.eq(starts_at).and(sessions::id.gt(id))),
        );
    }
    Ok(query.load(conn)?)
}

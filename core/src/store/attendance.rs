//! Attendance: each session's register of marks, and what attendance rates are computed from.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cohorts::Session;
use super::people::Person;
use super::schema::{attendance, enrolments, sessions};
use super::{utc, DbConnection, FoundOr};
use crate::domain::{AttendanceStatus, HeldSession, PlannedSession};
use crate::{Error, Result};

/// One learner's mark on one session's register.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = attendance, treat_none_as_default_value = false)]
pub struct AttendanceRecord {
    /// The session.
    pub session_id: String,
    /// The learner.
    pub person_id: String,
    /// `present`, `late`, `absent` or `excused`.
    pub status: String,
    /// An optional note from the tutor.
    pub note: Option<String>,
    /// Who took this mark.
    pub recorded_by: String,
    /// When.
    pub recorded_at: NaiveDateTime,
    /// Bumped whenever this mark changes.
    pub version: i32,
    /// When the learner checked themselves in by the session's code, if they did; kept when a
    /// tutor later changes the mark (the tutor's mark wins, and the register still shows it).
    pub checked_in_at: Option<NaiveDateTime>,
}

impl AttendanceRecord {
    /// Whether this mark is still the learner's own self check-in: they checked in, and no
    /// tutor has changed the mark since (a tutor's change records the tutor).
    pub fn is_self_check_in(&self) -> bool {
        self.checked_in_at.is_some() && self.recorded_by == self.person_id
    }
}

/// A mark as a tutor sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMark {
    /// The learner.
    pub person_id: String,
    /// Their mark.
    pub status: AttendanceStatus,
    /// An optional note.
    pub note: Option<String>,
}

/// A session's register: its version (the ETag), its marks, and who is on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Bumped on every change.
    pub version: i32,
    /// Marks in learner id order.
    pub records: Vec<AttendanceRecord>,
    /// The learners on it, by name: enrolled in the cohort and not withdrawn before the
    /// session started.
    pub learners: Vec<Person>,
}

/// Reads a session's register.
pub fn sheet(conn: &mut DbConnection, session_id: &str) -> Result<Sheet> {
    let session = super::cohorts::session(conn, session_id)?;
    let records = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .order(attendance::person_id)
        .select(AttendanceRecord::as_select())
        .load(conn)?;
    let learners = super::cohorts::on_register(conn, &session)?
        .into_iter()
        .map(|(_, person)| person)
        .collect();
    Ok(Sheet {
        version: session.register_version,
        records,
        learners,
    })
}

/// A session's marks alone (no learners), by learner.
pub fn records(conn: &mut DbConnection, session_id: &str) -> Result<Vec<AttendanceRecord>> {
    Ok(attendance::table
        .filter(attendance::session_id.eq(session_id))
        .order(attendance::person_id)
        .select(AttendanceRecord::as_select())
        .load(conn)?)
}

/// Holds a session's register until the transaction ends, so that saves without `If-Match`
/// run one after the other and the last one wins (PostgreSQL; SQLite has one writer anyway).
pub fn lock(conn: &mut DbConnection, session_id: &str) -> Result<()> {
    locked_session(conn, session_id).map(drop)
}

/// Reads a session whose register is about to change, holding it as [`lock`] does: the
/// version read is the one a save compares with.
pub fn locked_session(conn: &mut DbConnection, session_id: &str) -> Result<Session> {
    match conn {
        DbConnection::Postgres(c) => sessions::table
            .find(session_id)
            .select(Session::as_select())
            .for_update()
            .first(c)
            .found_or("session"),
        DbConnection::Sqlite(c) => sessions::table
            .find(session_id)
            .select(Session::as_select())
            .first(c)
            .found_or("session"),
    }
}

/// Replaces a session's register with `entries`, in the caller's transaction, and returns its
/// new version. `session` and `existing` (its marks) were read after [`locked_session`].
///
/// With `expected_version`, the write happens only if the register is still at that version
/// (otherwise [`Error::Stale`] and nothing changes). Every learner must be enrolled in the
/// session's cohort and not have withdrawn before it started. Marks that do not change keep
/// their version and who recorded them. A learner's own self check-in mark (see
/// [`AttendanceRecord::is_self_check_in`]) stays when `entries` leave them out; an entry for
/// them replaces it.
pub fn replace(
    conn: &mut DbConnection,
    session: &Session,
    existing: &[AttendanceRecord],
    entries: &[NewMark],
    expected_version: Option<i32>,
    recorded_by: &str,
    now: NaiveDateTime,
) -> Result<i32> {
    let current_version = session.register_version;
    if expected_version.is_some_and(|v| v != current_version) {
        return Err(Error::Stale);
    }

    // A learner who withdrew keeps their marks on earlier registers and is on none after.
    let enrolled: HashSet<String> = enrolments::table
        .filter(enrolments::cohort_id.eq(&session.cohort_id))
        .filter(
            enrolments::withdrawn_at
                .is_null()
                .or(enrolments::withdrawn_at.gt(session.starts_at)),
        )
        .select(enrolments::person_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    for entry in entries {
        if !enrolled.contains(&entry.person_id) {
            return Err(Error::NotEnrolled {
                person_id: entry.person_id.clone(),
            });
        }
        if !seen.insert(entry.person_id.as_str()) {
            return Err(Error::MarkedTwice {
                person_id: entry.person_id.clone(),
            });
        }
    }

    // Compare-and-set on the version: under concurrency only one writer moves it on.
    let bumped = diesel::update(
        sessions::table
            .filter(sessions::id.eq(&session.id))
            .filter(sessions::register_version.eq(current_version)),
    )
    .set(sessions::register_version.eq(current_version + 1))
    .execute(conn)?;
    if bumped == 0 {
        return Err(Error::Stale);
    }

    // A learner's own check-in stays when a save leaves them out: the tutor may never have seen
    // it. A mark the tutor sends for them wins.
    let removed: Vec<&String> = existing
        .iter()
        .filter(|r| !seen.contains(r.person_id.as_str()) && !r.is_self_check_in())
        .map(|r| &r.person_id)
        .collect();
    if !removed.is_empty() {
        diesel::delete(
            attendance::table
                .filter(attendance::session_id.eq(&session.id))
                .filter(attendance::person_id.eq_any(removed)),
        )
        .execute(conn)?;
    }

    let by_learner: HashMap<&str, &AttendanceRecord> =
        existing.iter().map(|r| (r.person_id.as_str(), r)).collect();
    let written: Vec<AttendanceRecord> = entries
        .iter()
        .filter_map(|entry| {
            let status = entry.status.as_str();
            let old = by_learner.get(entry.person_id.as_str());
            if old.is_some_and(|old| old.status == status && old.note == entry.note) {
                return None;
            }
            Some(AttendanceRecord {
                session_id: session.id.clone(),
                person_id: entry.person_id.clone(),
                status: status.to_string(),
                note: entry.note.clone(),
                recorded_by: recorded_by.to_string(),
                recorded_at: now,
                version: old.map_or(1, |old| old.version + 1),
                checked_in_at: old.and_then(|old| old.checked_in_at),
            })
        })
        .collect();
    upsert(conn, &written)?;
    Ok(current_version + 1)
}

/// Writes marks in one statement: new ones inserted, changed ones replaced (all but the
/// check-in time, which only a check-in sets).
fn upsert(conn: &mut DbConnection, rows: &[AttendanceRecord]) -> Result<()> {
    use diesel::upsert::excluded;
    if rows.is_empty() {
        return Ok(());
    }
    let changes = (
        attendance::status.eq(excluded(attendance::status)),
        attendance::note.eq(excluded(attendance::note)),
        attendance::recorded_by.eq(excluded(attendance::recorded_by)),
        attendance::recorded_at.eq(excluded(attendance::recorded_at)),
        attendance::version.eq(excluded(attendance::version)),
    );
    let target = (attendance::session_id, attendance::person_id);
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(attendance::table)
                .values(rows)
                .on_conflict(target)
                .do_update()
                .set(changes)
                .execute(c)?;
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(attendance::table)
                .values(rows)
                .on_conflict(target)
                .do_update()
                .set(changes)
                .execute(c)?;
        }
    }
    Ok(())
}

/// A learner's view of their cohort's sessions held (not cancelled), for the attendance rate.
pub fn held_sessions_for(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
) -> Result<Vec<HeldSession>> {
    let registers = of_cohorts(conn, &[cohort_id.to_string()])?;
    Ok(registers.held_sessions_for(cohort_id, person_id))
}

/// One session of a cohort as attendance rates see it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TimetabledSession {
    id: String,
    starts_at: NaiveDateTime,
    cancelled: bool,
}

/// The sessions of some cohorts with some learners' marks on them: what attendance rates are
/// computed from, read in two queries however many learners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortAttendance {
    /// Each cohort's sessions.
    sessions: HashMap<String, Vec<TimetabledSession>>,
    /// Each session's marks: learner and status.
    marks: HashMap<String, Vec<(String, AttendanceStatus)>>,
}

impl CohortAttendance {
    /// A learner's view of their cohort's timetable: every session, cancelled or not, with
    /// their mark if any.
    pub fn planned_sessions_for(&self, cohort_id: &str, person_id: &str) -> Vec<PlannedSession> {
        let Some(sessions) = self.sessions.get(cohort_id) else {
            return Vec::new();
        };
        sessions
            .iter()
            .map(|session| PlannedSession {
                starts_at: utc(session.starts_at),
                status: self
                    .marks
                    .get(&session.id)
                    .and_then(|marks| marks.iter().find(|(person, _)| person == person_id))
                    .map(|(_, status)| *status),
                cancelled: session.cancelled,
            })
            .collect()
    }

    /// A learner's view of their cohort's sessions that were not cancelled, with their mark
    /// if any.
    pub fn held_sessions_for(&self, cohort_id: &str, person_id: &str) -> Vec<HeldSession> {
        self.planned_sessions_for(cohort_id, person_id)
            .into_iter()
            .filter(|s| !s.cancelled)
            .map(|s| HeldSession {
                starts_at: s.starts_at,
                status: s.status,
            })
            .collect()
    }
}

/// The sessions of `cohort_ids`, with every mark on them.
///
/// Filtered by cohort alone: on SQLite, a second `IN` list on the learners would make the
/// query probe the index once per (session, learner) pair.
pub fn of_cohorts(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<CohortAttendance> {
    let mut registers = CohortAttendance::default();
    let sessions: Vec<(String, String, NaiveDateTime, bool)> = sessions::table
        .filter(sessions::cohort_id.eq_any(cohort_ids))
        .select((
            sessions::cohort_id,
            sessions::id,
            sessions::starts_at,
            sessions::cancelled_at.is_not_null(),
        ))
        .load(conn)?;
    for (cohort_id, id, starts_at, cancelled) in sessions {
        registers
            .sessions
            .entry(cohort_id)
            .or_default()
            .push(TimetabledSession {
                id,
                starts_at,
                cancelled,
            });
    }
    let marks: Vec<(String, String, String)> = attendance::table
        .inner_join(sessions::table)
        .filter(sessions::cohort_id.eq_any(cohort_ids))
        .select((attendance::session_id, attendance::person_id, attendance::status))
        .load(conn)?;
    for (session_id, person_id, status) in marks {
        let status = AttendanceStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("attendance status {status:?}")))?;
        registers
            .marks
            .entry(session_id)
            .or_default()
            .push((person_id, status));
    }
    Ok(registers)
}

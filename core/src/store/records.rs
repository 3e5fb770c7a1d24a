//! Training records: attendance registers and module assessments.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{assessments, attendance, enrolments, sessions};
use super::{new_id, utc, DbConnection, FoundOr};
use crate::domain::{AssessmentOutcome, AttendanceStatus, HeldSession};
use crate::{Error, Result};

/// One learner's mark on one session's register.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = attendance)]
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
}

/// A mark as a tutor sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    /// The learner.
    pub person_id: String,
    /// Their mark.
    pub status: AttendanceStatus,
    /// An optional note.
    pub note: Option<String>,
}

/// A session's register: its version (the ETag) and its marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// Bumped on every change.
    pub version: i32,
    /// Marks in learner id order.
    pub records: Vec<AttendanceRecord>,
}

/// Reads a session's register.
pub fn register(conn: &mut DbConnection, session_id: &str) -> Result<Register> {
    let version: i32 = sessions::table
        .find(session_id)
        .select(sessions::register_version)
        .first(conn)
        .found_or("session")?;
    let records = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .order(attendance::person_id)
        .select(AttendanceRecord::as_select())
        .load(conn)?;
    Ok(Register { version, records })
}

/// Holds a session's register until the transaction ends, so that saves without `If-Match`
/// run one after the other and the last one wins (PostgreSQL; SQLite has one writer anyway).
pub fn lock_register(conn: &mut DbConnection, session_id: &str) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        sessions::table
            .find(session_id)
            .select(sessions::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// Replaces a session's register with `entries`, in the caller's transaction.
///
/// With `expected_version`, the write happens only if the register is still at that version
/// (otherwise [`Error::Stale`] and nothing changes). Every learner must be enrolled in the
/// session's cohort. Marks that do not change keep their version and who recorded them.
/// Without `expected_version`, take [`lock_register`] first in the same transaction, or a
/// concurrent save can make this one [`Error::Stale`] on PostgreSQL.
pub fn replace_register(
    conn: &mut DbConnection,
    session_id: &str,
    entries: &[RegisterEntry],
    expected_version: Option<i32>,
    recorded_by: &str,
    now: NaiveDateTime,
) -> Result<Register> {
    let (cohort_id, current_version): (String, i32) = sessions::table
        .find(session_id)
        .select((sessions::cohort_id, sessions::register_version))
        .first(conn)
        .found_or("session")?;
    if expected_version.is_some_and(|v| v != current_version) {
        return Err(Error::Stale);
    }

    let enrolled: HashSet<String> = enrolments::table
        .filter(enrolments::cohort_id.eq(&cohort_id))
        .select(enrolments::person_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        if !enrolled.contains(&entry.person_id) {
            return Err(Error::invalid(
                format!("records[{index}].person_id"),
                "this person is not enrolled in the session's cohort",
            ));
        }
        if !seen.insert(entry.person_id.as_str()) {
            return Err(Error::invalid(
                format!("records[{index}].person_id"),
                "this person appears twice in the register",
            ));
        }
    }

    // Compare-and-set on the version: under concurrency only one writer moves it on.
    let bumped = diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::register_version.eq(current_version)),
    )
    .set(sessions::register_version.eq(current_version + 1))
    .execute(conn)?;
    if bumped == 0 {
        return Err(Error::Stale);
    }

    let existing: HashMap<String, AttendanceRecord> = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .select(AttendanceRecord::as_select())
        .load::<AttendanceRecord>(conn)?
        .into_iter()
        .map(|r| (r.person_id.clone(), r))
        .collect();

    let removed: Vec<&String> = existing.keys().filter(|p| !seen.contains(p.as_str())).collect();
    if !removed.is_empty() {
        diesel::delete(
            attendance::table
                .filter(attendance::session_id.eq(session_id))
                .filter(attendance::person_id.eq_any(removed)),
        )
        .execute(conn)?;
    }

    let mut inserts = Vec::new();
    for entry in entries {
        let status = entry.status.as_str();
        match existing.get(&entry.person_id) {
            Some(old) if old.status == status && old.note == entry.note => {}
            Some(old) => {
                diesel::update(attendance::table.find((session_id, &entry.person_id)))
                    .set((
                        attendance::status.eq(status),
                        attendance::note.eq(&entry.note),
                        attendance::recorded_by.eq(recorded_by),
                        attendance::recorded_at.eq(now),
                        attendance::version.eq(old.version + 1),
                    ))
                    .execute(conn)?;
            }
            None => inserts.push(AttendanceRecord {
                session_id: session_id.to_string(),
                person_id: entry.person_id.clone(),
                status: status.to_string(),
                note: entry.note.clone(),
                recorded_by: recorded_by.to_string(),
                recorded_at: now,
                version: 1,
            }),
        }
    }
    insert_attendance(conn, &inserts)?;
    register(conn, session_id)
}

/// Inserts marks in one statement where the backend allows.
fn insert_attendance(conn: &mut DbConnection, rows: &[AttendanceRecord]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(attendance::table).values(rows).execute(c)?;
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(attendance::table).values(rows).execute(c)?;
        }
    }
    Ok(())
}

/// A learner's view of their cohort's sessions, for the attendance rate.
pub fn held_sessions_for(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
) -> Result<Vec<HeldSession>> {
    let registers = registers_of(conn, &[cohort_id.to_string()])?;
    Ok(registers.held_sessions_for(cohort_id, person_id))
}

/// The sessions of some cohorts with some learners' marks on them: what attendance rates are
/// computed from, read in two queries however many learners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortRegisters {
    /// Each cohort's sessions: id and start.
    sessions: HashMap<String, Vec<(String, NaiveDateTime)>>,
    /// Each session's marks: learner and status.
    marks: HashMap<String, Vec<(String, AttendanceStatus)>>,
}

impl CohortRegisters {
    /// A learner's view of their cohort's sessions: every session, with their mark if any.
    pub fn held_sessions_for(&self, cohort_id: &str, person_id: &str) -> Vec<HeldSession> {
        let Some(sessions) = self.sessions.get(cohort_id) else {
            return Vec::new();
        };
        sessions
            .iter()
            .map(|(session_id, starts_at)| HeldSession {
                starts_at: utc(*starts_at),
                status: self
                    .marks
                    .get(session_id)
                    .and_then(|marks| marks.iter().find(|(person, _)| person == person_id))
                    .map(|(_, status)| *status),
            })
            .collect()
    }
}

/// The sessions of `cohort_ids`, with every mark on them.
///
/// Filtered by cohort alone: on SQLite, a second `IN` list on the learners would make the
/// query probe the index once per (session, learner) pair.
pub fn registers_of(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<CohortRegisters> {
    let mut registers = CohortRegisters::default();
    let sessions: Vec<(String, String, NaiveDateTime)> = sessions::table
        .filter(sessions::cohort_id.eq_any(cohort_ids))
        .select((sessions::cohort_id, sessions::id, sessions::starts_at))
        .load(conn)?;
    for (cohort_id, id, starts_at) in sessions {
        registers
            .sessions
            .entry(cohort_id)
            .or_default()
            .push((id, starts_at));
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

/// A module assessment of one learner in one cohort.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessments)]
pub struct Assessment {
    /// Its id.
    pub id: String,
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The module.
    pub module_code: String,
    /// `achieved` or `not_yet_achieved`.
    pub outcome: String,
    /// An optional note.
    pub note: Option<String>,
    /// The assessor.
    pub assessed_by: String,
    /// When assessed.
    pub assessed_on: NaiveDate,
    /// The internal verifier who gave the second sign-off, if any.
    pub verified_by: Option<String>,
    /// When verified.
    pub verified_on: Option<NaiveDate>,
    /// Bumped on every change; the ETag.
    pub version: i32,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// What an assessor records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentInput {
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The module.
    pub module_code: String,
    /// The outcome.
    pub outcome: AssessmentOutcome,
    /// An optional note.
    pub note: Option<String>,
    /// Who assessed.
    pub assessed_by: String,
    /// When.
    pub assessed_on: NaiveDate,
}

/// The learner's assessment of a module in a cohort, if any.
pub fn assessment(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
    module_code: &str,
) -> Result<Option<Assessment>> {
    Ok(assessments::table
        .filter(assessments::cohort_id.eq(cohort_id))
        .filter(assessments::person_id.eq(person_id))
        .filter(assessments::module_code.eq(module_code))
        .select(Assessment::as_select())
        .first(conn)
        .optional()?)
}

/// Records or replaces an assessment; with `expected_version`, only if unchanged since read.
/// A changed outcome clears any second sign-off, which must then be given again.
/// When two callers with `expected_version` record at once, one wins and the other gets
/// [`Error::Stale`]; without it, the later one reads the winner's row and replaces it (last
/// write wins; the audit trail keeps both).
pub fn record_assessment(
    conn: &mut DbConnection,
    input: &AssessmentInput,
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Assessment> {
    let attempts = if expected_version.is_some() { 1 } else { 3 };
    for _ in 0..attempts {
        match record_assessment_once(conn, input, expected_version, now) {
            Err(Error::Stale) => continue,
            done => return done,
        }
    }
    Err(Error::Stale)
}

fn record_assessment_once(
    conn: &mut DbConnection,
    input: &AssessmentInput,
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Assessment> {
    let current = assessment(conn, &input.cohort_id, &input.person_id, &input.module_code)?;
    match current {
        None => {
            if expected_version.is_some_and(|v| v != 0) {
                return Err(Error::Stale);
            }
            let row = Assessment {
                id: new_id(),
                cohort_id: input.cohort_id.clone(),
                person_id: input.person_id.clone(),
                module_code: input.module_code.clone(),
                outcome: input.outcome.as_str().to_string(),
                note: input.note.clone(),
                assessed_by: input.assessed_by.clone(),
                assessed_on: input.assessed_on,
                verified_by: None,
                verified_on: None,
                version: 1,
                updated_at: now,
            };
            // Another assessor may record this module at the same moment: theirs stands, and
            // this caller must read it first (DO NOTHING keeps a PostgreSQL transaction usable).
            let inserted = match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(assessments::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(assessments::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c)?,
            };
            if inserted == 0 {
                return Err(Error::Stale);
            }
            Ok(row)
        }
        Some(old) => {
            if expected_version.is_some_and(|v| v != old.version) {
                return Err(Error::Stale);
            }
            let outcome_changed = old.outcome != input.outcome.as_str();
            let changed = diesel::update(
                assessments::table
                    .filter(assessments::id.eq(&old.id))
                    .filter(assessments::version.eq(old.version)),
            )
            .set((
                assessments::outcome.eq(input.outcome.as_str()),
                assessments::note.eq(&input.note),
                assessments::assessed_by.eq(&input.assessed_by),
                assessments::assessed_on.eq(input.assessed_on),
                assessments::verified_by.eq(if outcome_changed {
                    None
                } else {
                    old.verified_by.clone()
                }),
                assessments::verified_on.eq(if outcome_changed { None } else { old.verified_on }),
                assessments::version.eq(old.version + 1),
                assessments::updated_at.eq(now),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Err(Error::Stale);
            }
            assessment(conn, &input.cohort_id, &input.person_id, &input.module_code)?
                .ok_or(Error::NotFound("assessment"))
        }
    }
}

/// Gives the second sign-off (internal verification) to an assessment.
pub fn verify_assessment(conn: &mut DbConnection, id: &str, verifier_id: &str, on: NaiveDate) -> Result<()> {
    let changed = diesel::update(assessments::table.find(id))
        .set((
            assessments::verified_by.eq(verifier_id),
            assessments::verified_on.eq(on),
            assessments::version.eq(assessments::version + 1),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("assessment"));
    }
    Ok(())
}

/// A learner's assessments in a cohort, by module.
pub fn assessments_for(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<Vec<Assessment>> {
    Ok(assessments::table
        .filter(assessments::cohort_id.eq(cohort_id))
        .filter(assessments::person_id.eq(person_id))
        .order(assessments::module_code)
        .select(Assessment::as_select())
        .load(conn)?)
}

/// Module codes achieved by a learner in a cohort. Modules in `needs_verification` count only
/// with a second sign-off.
pub fn achieved_modules(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
    needs_verification: &BTreeSet<String>,
) -> Result<BTreeSet<String>> {
    let achievements = achievements_of(conn, &[cohort_id.to_string()])?;
    Ok(achievements.achieved_modules(cohort_id, person_id, needs_verification))
}

/// The modules some learners achieved in some cohorts, read in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Achievements {
    /// By cohort, then learner: each module achieved, and whether it has its second sign-off.
    modules: HashMap<String, HashMap<String, Vec<(String, bool)>>>,
}

impl Achievements {
    /// Module codes a learner achieved in a cohort; modules in `needs_verification` count only
    /// with a second sign-off.
    pub fn achieved_modules(
        &self,
        cohort_id: &str,
        person_id: &str,
        needs_verification: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        self.modules
            .get(cohort_id)
            .and_then(|learners| learners.get(person_id))
            .into_iter()
            .flatten()
            .filter(|(module, verified)| *verified || !needs_verification.contains(module))
            .map(|(module, _)| module.clone())
            .collect()
    }
}

/// The achieved assessments in `cohort_ids` (filtered by cohort alone, as [`registers_of`]).
pub fn achievements_of(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<Achievements> {
    let rows: Vec<(String, String, String, bool)> = assessments::table
        .filter(assessments::cohort_id.eq_any(cohort_ids))
        .filter(assessments::outcome.eq(AssessmentOutcome::Achieved.as_str()))
        .select((
            assessments::cohort_id,
            assessments::person_id,
            assessments::module_code,
            assessments::verified_by.is_not_null(),
        ))
        .load(conn)?;
    let mut achievements = Achievements::default();
    for (cohort_id, person_id, module_code, verified) in rows {
        achievements
            .modules
            .entry(cohort_id)
            .or_default()
            .entry(person_id)
            .or_default()
            .push((module_code, verified));
    }
    Ok(achievements)
}

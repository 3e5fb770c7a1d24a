//! Self check-in: each session's check-in secret, and learners' check-ins on its register.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::attendance::AttendanceRecord;
use super::people::Person;
use super::schema::{attendance, check_in_secrets, enrolments, people, sessions};
use super::DbConnection;
use crate::domain::AttendanceStatus;
use crate::Result;

/// A session's check-in secret (base64url of 32 random bytes), if a tutor has opened its
/// check-in screen.
pub fn secret(conn: &mut DbConnection, session_id: &str) -> Result<Option<String>> {
    Ok(check_in_secrets::table
        .find(session_id)
        .select(check_in_secrets::secret)
        .first(conn)
        .optional()?)
}

/// Stores `secret` as the session's check-in secret unless it has one; the one it has after.
/// Two instances that make one at once agree on the first stored.
pub fn keep_secret(
    conn: &mut DbConnection,
    session_id: &str,
    secret: &str,
    now: NaiveDateTime,
) -> Result<String> {
    if let Some(existing) = self::secret(conn, session_id)? {
        return Ok(existing);
    }
    let row = (
        check_in_secrets::session_id.eq(session_id),
        check_in_secrets::secret.eq(secret),
        check_in_secrets::created_at.eq(now),
    );
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(check_in_secrets::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(check_in_secrets::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(self::secret(conn, session_id)?.unwrap_or_else(|| secret.to_string()))
}

/// What a check-in did to the learner's mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The learner had no mark: they now have `status`, as their own check-in.
    Marked(AttendanceRecord),
    /// They had checked in already: nothing changed.
    Again(AttendanceRecord),
    /// A tutor had marked them: the mark stays; the check-in time is noted beside it.
    TutorMarked(AttendanceRecord),
}

/// Records that a learner checked themselves in at `now` with `status`, in the caller's
/// transaction (take [`super::attendance::lock`] first). Never changes a mark that is there:
/// the tutor's mark wins, and a second check-in changes nothing. The register's version does not
/// move: a tutor's save that leaves this learner out keeps the check-in.
pub fn record(
    conn: &mut DbConnection,
    session_id: &str,
    person_id: &str,
    status: AttendanceStatus,
    now: NaiveDateTime,
) -> Result<Recorded> {
    let existing = mark(conn, session_id, person_id)?;
    match existing {
        Some(record) if record.checked_in_at.is_some() => Ok(Recorded::Again(record)),
        Some(_) => {
            diesel::update(attendance::table.find((session_id, person_id)))
                .set(attendance::checked_in_at.eq(now))
                .execute(conn)?;
            let record = mark(conn, session_id, person_id)?.expect("the mark is there");
            Ok(Recorded::TutorMarked(record))
        }
        None => {
            let record = AttendanceRecord {
                session_id: session_id.to_string(),
                person_id: person_id.to_string(),
                status: status.as_str().to_string(),
                note: None,
                recorded_by: person_id.to_string(),
                recorded_at: now,
                version: 1,
                checked_in_at: Some(now),
            };
            diesel::insert_into(attendance::table)
                .values(&record)
                .execute(conn)?;
            Ok(Recorded::Marked(record))
        }
    }
}

/// One learner's mark on a session's register, if any.
pub fn mark(conn: &mut DbConnection, session_id: &str, person_id: &str) -> Result<Option<AttendanceRecord>> {
    Ok(attendance::table
        .find((session_id, person_id))
        .select(AttendanceRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Everyone who checked themselves in to a session, with their mark as it is now, in the order
/// they checked in.
pub fn checked_in(conn: &mut DbConnection, session_id: &str) -> Result<Vec<(AttendanceRecord, Person)>> {
    Ok(attendance::table
        .inner_join(people::table.on(people::id.eq(attendance::person_id)))
        .filter(attendance::session_id.eq(session_id))
        .filter(attendance::checked_in_at.is_not_null())
        .order((attendance::checked_in_at, attendance::person_id))
        .select((AttendanceRecord::as_select(), Person::as_select()))
        .load(conn)?)
}

/// The sessions, with their check-in secrets, that start by `starts_by` and end at `ends_from`
/// or later, not cancelled, in the cohorts a learner is enrolled in and has not left.
pub fn open_sessions_of(
    conn: &mut DbConnection,
    person_id: &str,
    starts_by: NaiveDateTime,
    ends_from: NaiveDateTime,
) -> Result<Vec<(String, String)>> {
    Ok(sessions::table
        .inner_join(check_in_secrets::table)
        .inner_join(enrolments::table.on(enrolments::cohort_id.eq(sessions::cohort_id)))
        .filter(enrolments::person_id.eq(person_id))
        .filter(enrolments::withdrawn_at.is_null())
        .filter(sessions::cancelled_at.is_null())
        .filter(sessions::starts_at.le(starts_by))
        .filter(sessions::ends_at.ge(ends_from))
        .select((sessions::id, check_in_secrets::secret))
        .load(conn)?)
}

//! Taking a session's register: a mark per learner, replaced whole, with a version so that a
//! tutor never overwrites a colleague's save unknowingly.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::{self, Caller};
use crate::domain::input::{Checks, NOTE_MAX};
use crate::domain::AttendanceStatus;
use crate::notify::{self, Email};
use crate::store::attendance;
pub use crate::store::attendance::{AttendanceRecord, NewMark, Sheet};
use crate::store::audit;
use crate::store::{cohorts, people, stored, DbConnection};
use crate::{Error, Result};

/// A session in a cohort the caller may not know of reads exactly like a missing session.
fn hidden_as_session(error: Error) -> Error {
    match error {
        Error::NotFound(_) => Error::NotFound("session"),
        other => other,
    }
}

/// Checks that the caller runs the session's cohort (an administrator or one of its tutors).
fn require_session_staff(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> Result<cohorts::Session> {
    let session = cohorts::session(conn, session_id)?;
    access::require_staff_of_existing_cohort(conn, caller, &session.cohort_id).map_err(hidden_as_session)?;
    Ok(session)
}

/// Replaces a session's register with `marks`, in one transaction, recording who did it.
///
/// With `expected_version` (the `ETag` the tutor read) the save happens only if nobody saved
/// since ([`Error::Stale`] otherwise, and nothing changes); without it the last save wins,
/// and both are in the audit trail. A cancelled session's register cannot be written
/// ([`Error::Conflict`]). Every learner must be on the register: enrolled in the session's
/// cohort and not withdrawn before it ([`Error::NotEnrolled`]) and appear once ([`Error::MarkedTwice`]). A learner newly marked
/// absent hears from us, once per session.
pub fn take(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    marks: &[NewMark],
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Sheet> {
    require_session_staff(conn, caller, session_id)?;
    let mut checks = Checks::new();
    for (index, mark) in marks.iter().enumerate() {
        if mark.note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
            checks.fail(
                format!("records[{index}].note"),
                format!("must be at most {NOTE_MAX} characters long"),
            );
        }
    }
    checks.finish()?;
    let session = attendance::locked_session(conn, session_id)?;
    let before = attendance::records(conn, session_id)?;
    write_marks(conn, caller, &session, &before, marks, expected_version, now)?;
    attendance::sheet(conn, session_id)
}

/// Writes a register over `before` (its marks as read after [`attendance::locked_session`]),
/// with the audit record and the emails to learners newly marked absent, and returns its new
/// version. The caller checked who may.
fn write_marks(
    conn: &mut DbConnection,
    caller: &Caller,
    session: &cohorts::Session,
    before: &[AttendanceRecord],
    marks: &[NewMark],
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<i32> {
    if session.is_cancelled() {
        return Err(Error::Conflict(
            "This session was cancelled, so its register can no longer be changed.".into(),
        ));
    }
    let recorded_by = caller.person_id().unwrap_or("cli");
    let now = stored(now);
    let session_id = session.id.as_str();
    let version = attendance::replace(conn, session, before, marks, expected_version, recorded_by, now)?;
    let recorded: Vec<_> = marks
        .iter()
        .map(|m| json!({ "person_id": m.person_id, "status": m.status.as_str() }))
        .collect();
    audit::record(
        conn,
        &caller.actor(),
        "attendance.replaced",
        ("session", session_id),
        json!({ "from_version": session.register_version, "to_version": version, "records": recorded }),
        now,
    )?;
    let newly_absent: Vec<String> = marks
        .iter()
        .filter(|m| m.status == AttendanceStatus::Absent)
        .filter(|m| {
            !before
                .iter()
                .any(|r| r.person_id == m.person_id && r.status == AttendanceStatus::Absent.as_str())
        })
        .map(|m| m.person_id.clone())
        .collect();
    for person in people::by_ids(conn, &newly_absent)? {
        notify::queue_email(
            conn,
            format!("missed:{session_id}:{}", person.id),
            Email::MissedSession,
            &person,
            json!({ "name": person.display_name(), "session_id": session_id }),
            now,
        )?;
    }
    Ok(version)
}

/// A session's register with its version, for the cohort's tutors and administrators.
pub fn read(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Sheet> {
    require_session_staff(conn, caller, session_id)?;
    attendance::sheet(conn, session_id)
}

/// A session's register as a tutor marks it on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marking {
    /// The session.
    pub session: cohorts::Session,
    /// Its cohort.
    pub cohort: cohorts::Cohort,
    /// Its register: version, marks and the learners on it.
    pub sheet: Sheet,
    /// The names of the people who took its marks, by id.
    pub recorders: std::collections::HashMap<String, String>,
}

/// A session's register with what a page shows around it; for the cohort's tutors and
/// administrators, as [`read`].
pub fn marking(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Marking> {
    let sheet = read(conn, caller, session_id)?;
    let session = cohorts::session(conn, session_id)?;
    let cohort = cohorts::get(conn, &session.cohort_id)?;
    let mut recorders = std::collections::HashMap::new();
    for record in &sheet.records {
        if !recorders.contains_key(&record.recorded_by) {
            if let Ok(person) = people::get(conn, &record.recorded_by) {
                recorders.insert(record.recorded_by.clone(), person.display_name().to_string());
            }
        }
    }
    Ok(Marking {
        session,
        cohort,
        sheet,
        recorders,
    })
}

/// What saving a register form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// The marks were saved; the register's new version.
    Saved(i32),
    /// The register already held exactly these marks (the same form sent twice): nothing
    /// changed; its version.
    AlreadySaved(i32),
}

/// Saves the marks a register form sends, one status per learner, over the register as it
/// stood at `seen_version` (as [`take`] with `If-Match`). Learners the form leaves out have no
/// mark; each mark keeps the note it had, as the form shows no notes.
///
/// When someone saved since ([`Error::Stale`]), nothing changes, unless the register already
/// holds exactly these marks: the same form sent twice on a slow connection is then a success
/// ([`Saved::AlreadySaved`]), not a clash with oneself.
///
/// The session is read once, locked, before the caller's right to it is checked: a save is
/// the busiest write tutors make, and each statement saved here is a turn shorter for the
/// next tutor (on SQLite, writes take turns).
pub fn save_marks(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    marks: &[(String, AttendanceStatus)],
    seen_version: i32,
    now: DateTime<Utc>,
) -> Result<Saved> {
    let session = attendance::locked_session(conn, session_id)?;
    access::require_staff_of_existing_cohort(conn, caller, &session.cohort_id).map_err(hidden_as_session)?;
    let current = attendance::records(conn, session_id)?;
    if session.register_version != seen_version {
        if session.is_cancelled() {
            return Err(Error::Conflict(
                "This session was cancelled, so its register can no longer be changed.".into(),
            ));
        }
        return if holds_exactly(&current, marks) {
            Ok(Saved::AlreadySaved(session.register_version))
        } else {
            Err(Error::Stale)
        };
    }
    let new_marks: Vec<NewMark> = marks
        .iter()
        .map(|(person_id, status)| NewMark {
            person_id: person_id.clone(),
            status: *status,
            note: current
                .iter()
                .find(|r| &r.person_id == person_id)
                .and_then(|r| r.note.clone()),
        })
        .collect();
    write_marks(
        conn,
        caller,
        &session,
        &current,
        &new_marks,
        Some(seen_version),
        now,
    )
    .map(Saved::Saved)
}

/// Whether a register holds these marks and no others.
fn holds_exactly(records: &[AttendanceRecord], marks: &[(String, AttendanceStatus)]) -> bool {
    let sent: std::collections::HashMap<&str, &str> = marks
        .iter()
        .map(|(person, status)| (person.as_str(), status.as_str()))
        .collect();
    sent.len() == marks.len()
        && records.len() == sent.len()
        && records
            .iter()
            .all(|r| sent.get(r.person_id.as_str()) == Some(&r.status.as_str()))
}

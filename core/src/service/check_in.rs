//! Self check-in by QR code: a tutor's screen shows a code that changes every 30 seconds, and a
//! learner of the session's cohort who scans it during the session marks themselves present (or
//! late). Only themselves: the learner is the caller, and nothing in a check-in names a person.
//!
//! The rules (the code's windows, when check-in is open, when a learner is late) are in
//! [`crate::domain::check_in`]. The tutor's mark wins: a check-in never changes a mark that is
//! there, and a tutor's save that leaves a checked-in learner out keeps the check-in (see
//! [`crate::store::attendance::replace`]). A check-in does not move the register's version (the
//! `ETag` of tutors' saves): it adds a learner's own row that no tutor's save removes, so a
//! tutor taking the register while learners arrive is not told that "someone else saved".

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::json;

use crate::access::{self, Caller};
use crate::domain::check_in::{self as rules, CheckInTimes};
use crate::domain::{utc, AttendanceStatus};
use crate::store::attendance::{self, AttendanceRecord};
use crate::store::check_in::{self as store, Recorded};
use crate::store::cohorts::{self, Session};
use crate::store::{audit, stored, DbConnection};
use crate::{Error, Result};

/// Why a check-in was refused, in words for the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The code is not this session's code of the last minute (old, copied, or mistyped).
    CodeChanged,
    /// The session is not in progress (not started, ended, or cancelled).
    Closed,
    /// The caller is not a learner of the session's cohort (or left it).
    NotOnList,
}

impl Refusal {
    /// What the learner reads.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::CodeChanged => "This code has changed. Please scan the code on the screen again.",
            Refusal::Closed => "Check-in for this session is closed.",
            Refusal::NotOnList => "You are not on this course's list. Please speak to your tutor.",
        }
    }
}

/// A learner's check-in as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIn {
    /// The learner.
    pub person_id: String,
    /// Their name, as they write it.
    pub name: String,
    /// When they checked in.
    pub checked_in_at: DateTime<Utc>,
    /// Their mark now: from the check-in, or the tutor's.
    pub status: AttendanceStatus,
    /// Whether the mark is a tutor's (recorded before the check-in, or changed since).
    pub tutor_marked: bool,
}

impl CheckedIn {
    fn from_record(record: &AttendanceRecord, name: String) -> Result<Self> {
        Ok(CheckedIn {
            person_id: record.person_id.clone(),
            name,
            checked_in_at: utc(record.checked_in_at.unwrap_or(record.recorded_at)),
            status: AttendanceStatus::parse(&record.status)
                .ok_or_else(|| Error::Corrupt(format!("attendance status {:?}", record.status)))?,
            tutor_marked: !record.is_self_check_in(),
        })
    }
}

/// Where a learner stands with a session's check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// They may check in with this code now ([`preview`] only).
    Ready,
    /// They are checked in (now or earlier).
    CheckedIn(CheckedIn),
    /// They cannot check in, and why.
    Refused(Refusal),
}

/// What a learner's check-in page shows: the session, and what checking in does or did.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The session.
    pub session: Session,
    /// Its cohort's name.
    pub cohort_name: String,
    /// Where the learner stands.
    pub outcome: Outcome,
}

/// The session and its cohort's name, and whether the caller (a learner) may check in with
/// `code` at `now`; `Ok(Some(record))` when they checked in already.
fn admit(
    conn: &mut DbConnection,
    person_id: &str,
    session_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(
    Session,
    String,
    std::result::Result<Option<AttendanceRecord>, Refusal>,
)> {
    let session = cohorts::session(conn, session_id)?;
    let cohort_name = cohorts::get(conn, &session.cohort_id)?.name;
    let enrolment = cohorts::enrolment_of(conn, &session.cohort_id, person_id)?;
    let on_list = enrolment.is_some_and(|e| {
        e.withdrawn_at
            .is_none_or(|left| left > session.starts_at && left.and_utc() > now)
    });
    if !on_list {
        return Ok((session, cohort_name, Err(Refusal::NotOnList)));
    }
    // Checking in twice changes nothing, whatever the code: the learner sees their check-in.
    if let Some(record) = store::mark(conn, session_id, person_id)? {
        if record.checked_in_at.is_some() {
            return Ok((session, cohort_name, Ok(Some(record))));
        }
    }
    let times = CheckInTimes::of_session(session.starts_at, session.ends_at);
    if session.is_cancelled() || !times.is_open(now) {
        return Ok((session, cohort_name, Err(Refusal::Closed)));
    }
    let accepted = store::secret(conn, session_id)?
        .is_some_and(|secret| rules::accepts(secret.as_bytes(), session_id, code, now));
    if !accepted {
        return Ok((session, cohort_name, Err(Refusal::CodeChanged)));
    }
    Ok((session, cohort_name, Ok(None)))
}

/// What checking in with `code` at `now` would do, changing nothing (the page a scan opens).
pub fn preview(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    let me = caller.require_person()?;
    let (session, cohort_name, admitted) = admit(conn, me, session_id, code, now)?;
    let outcome = match admitted {
        Err(refusal) => Outcome::Refused(refusal),
        Ok(Some(record)) => Outcome::CheckedIn(CheckedIn::from_record(&record, String::new())?),
        Ok(None) => Outcome::Ready,
    };
    Ok(Attempt {
        session,
        cohort_name,
        outcome,
    })
}

/// Checks the caller in to a session with the code they scanned, in the caller's transaction:
/// present, or late after [`rules::LATE_AFTER_START`]. A mark already there stays (the tutor's
/// mark wins; the check-in time is noted beside it); a second check-in changes nothing.
pub fn check_in(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    let me = caller.require_person()?;
    attendance::lock(conn, session_id)?;
    let (session, cohort_name, admitted) = admit(conn, me, session_id, code, now)?;
    let outcome = match admitted {
        Err(refusal) => Outcome::Refused(refusal),
        Ok(Some(record)) => Outcome::CheckedIn(CheckedIn::from_record(&record, String::new())?),
        Ok(None) => {
            let status = CheckInTimes::of_session(session.starts_at, session.ends_at).mark_at(now);
            let at = stored(now);
            let record = match store::record(conn, session_id, me, status, at)? {
                Recorded::Marked(r) | Recorded::Again(r) | Recorded::TutorMarked(r) => r,
            };
            audit::record(
                conn,
                &caller.actor(),
                "attendance.checked_in",
                ("session", session_id),
                json!({ "person_id": me, "status": record.status, "tutor_marked": !record.is_self_check_in() }),
                at,
            )?;
            Outcome::CheckedIn(CheckedIn::from_record(&record, String::new())?)
        }
    };
    Ok(Attempt {
        session,
        cohort_name,
        outcome,
    })
}

/// The session whose code the caller typed (without the address the QR code carries): among the
/// sessions open for check-in now in the cohorts they learn in, the one whose code it is.
/// [`Refusal::Closed`] when none of their sessions is open, [`Refusal::CodeChanged`] when the
/// code is none of theirs.
pub fn session_for_code(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<String, Refusal>> {
    let me = caller.require_person()?;
    let open = store::open_sessions_of(conn, me, stored(now + rules::OPENS_BEFORE_START), stored(now))?;
    if open.is_empty() {
        return Ok(Err(Refusal::Closed));
    }
    Ok(open
        .into_iter()
        .find(|(id, secret)| rules::accepts(secret.as_bytes(), id, code, now))
        .map(|(id, _)| id)
        .ok_or(Refusal::CodeChanged))
}

/// What the tutor's check-in screen shows now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenState {
    /// Check-in opens at this moment.
    NotYet(DateTime<Utc>),
    /// The code to show, and when the next one comes.
    Open {
        /// The code of this window.
        code: String,
        /// When the screen should show the next one.
        next_code_at: DateTime<Utc>,
    },
    /// The session has ended.
    Ended,
    /// The session was called off.
    Cancelled,
    /// The session has no check-in secret yet: call [`prepare`], then read again.
    Unprepared,
}

/// A session's check-in screen, for its cohort's tutors and administrators.
#[derive(Debug, Clone)]
pub struct Screen {
    /// The session.
    pub session: Session,
    /// Its cohort's name.
    pub cohort_name: String,
    /// When check-in opens and closes.
    pub times: CheckInTimes,
    /// What to show.
    pub state: ScreenState,
    /// Who checked in so far, in the order they did.
    pub checked_in: Vec<CheckedIn>,
    /// How many learners are on the session's register.
    pub on_register: usize,
}

/// Checks that the caller runs the session's cohort; the session.
fn session_for_staff(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Session> {
    let session = cohorts::session(conn, session_id)?;
    access::require_cohort_staff(conn, caller, &session.cohort_id).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("session"),
        other => other,
    })?;
    Ok(session)
}

/// The check-in screen of a session at `now` (read only; see [`ScreenState::Unprepared`]).
pub fn screen(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<Screen> {
    let session = session_for_staff(conn, caller, session_id)?;
    let cohort_name = cohorts::get(conn, &session.cohort_id)?.name;
    let times = CheckInTimes::of_session(session.starts_at, session.ends_at);
    let state = if session.is_cancelled() {
        ScreenState::Cancelled
    } else if now > times.closes_at {
        ScreenState::Ended
    } else {
        match store::secret(conn, session_id)? {
            None => ScreenState::Unprepared,
            Some(_) if now < times.opens_at => ScreenState::NotYet(times.opens_at),
            Some(secret) => ScreenState::Open {
                code: rules::code_at(secret.as_bytes(), session_id, now),
                next_code_at: rules::next_window_starts(now),
            },
        }
    };
    let checked_in = checked_in_unchecked(conn, session_id)?;
    let on_register = cohorts::on_register(conn, &session)?.len();
    Ok(Screen {
        session,
        cohort_name,
        times,
        state,
        checked_in,
        on_register,
    })
}

/// Gives a session its check-in secret if it has none (32 random bytes), in the caller's
/// transaction, for its cohort's tutors and administrators. Every instance then shows the same
/// code.
pub fn prepare(conn: &mut DbConnection, caller: &Caller, session_id: &str, now: DateTime<Utc>) -> Result<()> {
    session_for_staff(conn, caller, session_id)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    store::keep_secret(conn, session_id, &secret, stored(now))?;
    Ok(())
}

/// Who checked themselves in to a session, in the order they did, with their mark as it is now,
/// for its cohort's tutors and administrators (the register shows it).
pub fn checked_in(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Vec<CheckedIn>> {
    session_for_staff(conn, caller, session_id)?;
    checked_in_unchecked(conn, session_id)
}

fn checked_in_unchecked(conn: &mut DbConnection, session_id: &str) -> Result<Vec<CheckedIn>> {
    store::checked_in(conn, session_id)?
        .into_iter()
        .map(|(record, person)| CheckedIn::from_record(&record, person.display_name().to_string()))
        .collect()
}

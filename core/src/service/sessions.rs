//! One session of a cohort: reading it, moving it, and calling it off.
//!
//! A cancelled session stays on the timetable (people can see what happened and why) but
//! counts in nobody's attendance, its register can no longer be written, and no reminder goes
//! out for it. Learners hear when a session moves or is called off.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::json;

use crate::access::{self, Caller, CohortRole};
use crate::domain::input::Checks;
use crate::domain::local_time;
use crate::error::FieldError;
use crate::notify::{self, Email};
use crate::service::cohorts::NewSession;
use crate::store::audit;
use crate::store::cohorts::{self, Session};
use crate::store::{programmes, stored, DbConnection};
use crate::{Error, Result};

/// The longest reason for calling a session off.
pub const REASON_MAX: usize = 1000;

/// A session in a cohort the caller may not know of reads exactly like a missing session.
fn hidden_as_session(error: Error) -> Error {
    match error {
        Error::NotFound(_) => Error::NotFound("session"),
        other => other,
    }
}

/// The session and the caller's role in its cohort; [`Error::NotFound`] for people with none.
fn session_and_role(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> Result<(Session, CohortRole)> {
    let session = cohorts::session(conn, session_id)?;
    let role = access::cohort_role(conn, caller, &session.cohort_id).map_err(hidden_as_session)?;
    Ok((session, role))
}

/// The session, for someone who runs its cohort (an administrator or one of its tutors); its
/// learners may know it exists and get [`Error::NotAllowed`].
fn session_for_staff(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Session> {
    let (session, role) = session_and_role(conn, caller, session_id)?;
    if !role.is_staff() {
        return Err(Error::NotAllowed(
            "Only the cohort's tutors or an administrator can change its sessions.",
        ));
    }
    Ok(session)
}

/// One session, for administrators and its cohort's tutors and learners.
pub fn get(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<Session> {
    Ok(session_and_role(conn, caller, session_id)?.0)
}

/// One session with its cohort, for someone who may change it (an administrator or one of
/// its cohort's tutors); its learners get [`Error::NotAllowed`], anyone else [`Error::NotFound`].
pub fn get_to_change(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> Result<(Session, cohorts::Cohort)> {
    let session = session_for_staff(conn, caller, session_id)?;
    let cohort = cohorts::get(conn, &session.cohort_id)?;
    Ok((session, cohort))
}

/// What a tutor may change about a session; what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct SessionChange {
    /// A new title.
    pub title: Option<String>,
    /// A new module, if `Some`: `Some(None)` says the session teaches no module.
    pub module_code: Option<Option<String>>,
    /// A new start.
    pub starts_at: Option<DateTime<Utc>>,
    /// A new end.
    pub ends_at: Option<DateTime<Utc>>,
}

/// Changes a session's title, module or times (its cohort's tutors and administrators), by
/// the rules a new session meets: it ends after it starts, and lasts at most 24 hours. A
/// cancelled session cannot change ([`Error::Conflict`]). When its time changes, each of the
/// cohort's learners gets a note with the new time.
pub fn change(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    change: &SessionChange,
    now: DateTime<Utc>,
) -> Result<Session> {
    let before = session_for_staff(conn, caller, session_id)?;
    let mut asked = Checks::new();
    asked.require(
        change.title.is_some()
            || change.module_code.is_some()
            || change.starts_at.is_some()
            || change.ends_at.is_some(),
        "title",
        "give the title, module_code, starts_at or ends_at to change",
    );
    asked.finish()?;
    let wanted = NewSession {
        title: change.title.clone().unwrap_or_else(|| before.title.clone()),
        module_code: change
            .module_code
            .clone()
            .unwrap_or_else(|| before.module_code.clone()),
        starts_at: change.starts_at.unwrap_or_else(|| before.starts_at.and_utc()),
        ends_at: change.ends_at.unwrap_or_else(|| before.ends_at.and_utc()),
    };
    wanted.check()?;
    cohorts::lock_session(conn, session_id)?;
    let before = cohorts::session(conn, session_id)?;
    if before.is_cancelled() {
        return Err(Error::Conflict(
            "This session was cancelled, so it can no longer be changed. Add a new session instead.".into(),
        ));
    }
    let cohort = cohorts::get(conn, &before.cohort_id)?;
    if wanted.module_code != before.module_code {
        if let Some(code) = &wanted.module_code {
            let version = programmes::version(conn, &cohort.programme_version_id)?;
            if !version.definition.modules.iter().any(|m| &m.code == code) {
                return Err(Error::invalid(
                    "module_code",
                    "is not a module of this cohort's programme",
                ));
            }
        }
    }
    let after = Session {
        title: wanted.title.trim().to_string(),
        module_code: wanted.module_code,
        starts_at: stored(wanted.starts_at),
        ends_at: stored(wanted.ends_at),
        ..before.clone()
    };
    if after == before {
        return Ok(after);
    }
    let now = stored(now);
    cohorts::update_session(conn, &after)?;
    audit::record(
        conn,
        &caller.actor(),
        "session.changed",
        ("session", &after.id),
        json!({
            "cohort_id": after.cohort_id,
            "from": {"title": before.title, "module_code": before.module_code,
                     "starts_at": before.starts_at, "ends_at": before.ends_at},
            "to": {"title": after.title, "module_code": after.module_code,
                   "starts_at": after.starts_at, "ends_at": after.ends_at},
        }),
        now,
    )?;
    let moved = (after.starts_at, after.ends_at) != (before.starts_at, before.ends_at);
    if moved {
        tell_learners(conn, &after, Email::SessionMoved, now, |learner| {
            json!({
                "name": learner,
                "cohort_name": cohort.name,
                "session_title": after.title,
                "was_starts_at": before.starts_at,
                "was_ends_at": before.ends_at,
                "starts_at": after.starts_at,
                "ends_at": after.ends_at,
            })
        })?;
    }
    Ok(after)
}

/// A session's new day and times as a tutor types them, in UK time (what a clock in the
/// room shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTimes {
    /// The UK day it is on.
    pub date: NaiveDate,
    /// When it starts, by a UK clock.
    pub starts: NaiveTime,
    /// When it ends, by a UK clock, the same day.
    pub ends: NaiveTime,
}

impl LocalTimes {
    /// The change these times make: the instants the clocks show them, the first of two
    /// when the clocks go back. A time the clocks skip when they go forward is refused
    /// ([`Error::Invalid`] on `starts` or `ends`, saying so in a sentence a page can show).
    pub fn to_change(&self) -> Result<SessionChange> {
        let mut refused = Vec::new();
        let mut instant = |field: &str, time: NaiveTime| {
            local_time::to_utc(self.date, time)
                .map_err(|skipped| {
                    refused.push(FieldError {
                        field: field.to_string(),
                        message: skipped.to_string(),
                    })
                })
                .ok()
        };
        let (starts_at, ends_at) = (instant("starts", self.starts), instant("ends", self.ends));
        if !refused.is_empty() {
            return Err(Error::Invalid(refused));
        }
        Ok(SessionChange {
            starts_at,
            ends_at,
            ..SessionChange::default()
        })
    }
}

/// Moves a session to a day and times typed in UK time ([`LocalTimes::to_change`]), by the
/// rules of [`change`].
pub fn move_to(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    times: &LocalTimes,
    now: DateTime<Utc>,
) -> Result<Session> {
    session_for_staff(conn, caller, session_id)?;
    change(conn, caller, session_id, &times.to_change()?, now)
}

/// Calls a session off with a reason (its cohort's tutors and administrators). It then counts
/// in nobody's attendance, its register can no longer be written, and no reminder goes out for
/// it; each of the cohort's learners gets a note. A session already cancelled stays as it was
/// ([`Error::Conflict`]): the first reason and the first notes stand.
pub fn cancel(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Session> {
    session_for_staff(conn, caller, session_id)?;
    Checks::new().reason("reason", reason, REASON_MAX).finish()?;
    let reason = reason.trim();
    let now = stored(now);
    cohorts::lock_session(conn, session_id)?;
    if !cohorts::cancel_session(conn, session_id, reason, now)? {
        return Err(Error::Conflict("This session was already cancelled.".into()));
    }
    let session = cohorts::session(conn, session_id)?;
    let cohort = cohorts::get(conn, &session.cohort_id)?;
    audit::record(
        conn,
        &caller.actor(),
        "session.cancelled",
        ("session", &session.id),
        json!({ "cohort_id": session.cohort_id, "reason": reason }),
        now,
    )?;
    tell_learners(conn, &session, Email::SessionCancelled, now, |learner| {
        json!({
            "name": learner,
            "cohort_name": cohort.name,
            "session_title": session.title,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "reason": reason,
        })
    })?;
    Ok(session)
}

/// Queues `email` to each learner on the session's register (enrolled, and not withdrawn
/// before it), once per change.
fn tell_learners(
    conn: &mut DbConnection,
    session: &Session,
    email: Email,
    now: chrono::NaiveDateTime,
    payload: impl Fn(&str) -> serde_json::Value,
) -> Result<()> {
    for (enrolment, learner) in cohorts::on_register(conn, session)? {
        if enrolment.withdrawn_at.is_some() {
            continue;
        }
        notify::queue_email(
            conn,
            format!(
                "{}:{}:{}:{}",
                email.template(),
                session.id,
                learner.id,
                now.and_utc().timestamp_micros()
            ),
            email,
            &learner,
            payload(learner.display_name()),
            now,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(date: &str, starts: &str, ends: &str) -> LocalTimes {
        let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").unwrap();
        LocalTimes {
            date: date.parse().unwrap(),
            starts: time(starts),
            ends: time(ends),
        }
    }

    #[test]
    fn times_typed_in_uk_time_become_utc() {
        let summer = times("2027-07-06", "10:00", "12:00").to_change().unwrap();
        assert_eq!(
            (
                summer.starts_at.unwrap().to_rfc3339(),
                summer.ends_at.unwrap().to_rfc3339()
            ),
            (
                "2027-07-06T09:00:00+00:00".into(),
                "2027-07-06T11:00:00+00:00".into()
            )
        );
        let winter = times("2027-01-12", "09:00", "11:00").to_change().unwrap();
        assert_eq!(
            winter.starts_at.unwrap().to_rfc3339(),
            "2027-01-12T09:00:00+00:00"
        );
        assert_eq!((winter.title, winter.module_code), (None, None));
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_beside_its_field() {
        let refused = times("2026-03-29", "00:30", "01:30").to_change().unwrap_err();
        let errors = refused.field_errors().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "ends");
        assert_eq!(
            errors[0].message,
            "Clocks go forward at 01:00 on Sunday 29 March 2026, so 01:30 does not happen that day. Choose another time."
        );
        let both = times("2026-03-29", "01:00", "01:45").to_change().unwrap_err();
        let fields: Vec<_> = both
            .field_errors()
            .unwrap()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["starts", "ends"]);
    }
}

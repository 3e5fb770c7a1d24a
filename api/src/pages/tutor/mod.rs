//! A tutor's pages: their cohorts (`/cohorts`), one cohort with its sessions and who is on
//! track (`/cohorts/{id}`), and a session's register on a phone (`/sessions/{id}/register`).
//!
//! Every access decision is core's (`service::cohorts`, `service::attendance`): a learner who
//! opens these pages is refused there, as over the API.

pub mod attendance;
pub mod cohorts;

use chrono::NaiveDateTime;
use peertrack_core::domain::local_time;

/// "Tuesday 3 March 2027, 18:00 to 20:00" in UK time (core's [`local_time::session_span`]).
pub fn session_when(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> String {
    local_time::session_span(starts_at, ends_at)
}

/// "Tuesday 3 March 2027, 18:00" in UK time.
pub fn starts(at: NaiveDateTime) -> String {
    local_time::day_and_time(at)
}

/// "21:14 on 3 March 2027" in UK time.
pub fn moment(at: NaiveDateTime) -> String {
    local_time::moment(at)
}

/// "1 session", "3 sessions".
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

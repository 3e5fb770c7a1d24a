//! A tutor's pages: their cohorts (`/cohorts`), one cohort with its sessions and who is on
//! track (`/cohorts/{id}`), and a session's register on a phone (`/sessions/{id}/register`).
//!
//! Every access decision is core's (`service::cohorts`, `service::attendance`): a learner who
//! opens these pages is refused there, as over the API.

pub mod attendance;
pub mod cohorts;

use chrono::NaiveDateTime;

use super::learner::long_date;

/// "Tuesday 3 March 2027, 18:00 to 20:00 UTC" (times as stored, in UTC, as the other pages
/// show them).
pub fn session_when(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> String {
    let day = starts_at.format("%A").to_string();
    let end = if ends_at.date() == starts_at.date() {
        ends_at.format("%H:%M").to_string()
    } else {
        format!("{} {}", long_date(ends_at.date()), ends_at.format("%H:%M"))
    };
    format!(
        "{day} {}, {} to {end} UTC",
        long_date(starts_at.date()),
        starts_at.format("%H:%M")
    )
}

/// "Tuesday 3 March 2027, 18:00 UTC".
pub fn starts(at: NaiveDateTime) -> String {
    format!(
        "{} {}, {} UTC",
        at.format("%A"),
        long_date(at.date()),
        at.format("%H:%M")
    )
}

/// "21:14 UTC on 3 March 2027".
pub fn moment(at: NaiveDateTime) -> String {
    format!("{} UTC on {}", at.format("%H:%M"), long_date(at.date()))
}

/// "1 session", "3 sessions".
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

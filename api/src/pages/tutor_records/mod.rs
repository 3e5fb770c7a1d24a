//! What a tutor records for a cohort beyond the register: a module's assessments in one grid,
//! moving or cancelling a session, a learner withdrawing, and the cohort's certificates issued
//! in one go. One module a page; every rule and access decision is core's (only the cohort's
//! tutors and administrators may).

pub mod assessments;
pub mod certificates;
pub mod session_change;
pub mod withdraw;

use super::learner::{day_of, long_date};

/// What `/cohorts/{id}` says after one of these pages sent the tutor back there
/// (`?done=...`), for the cohort page to show.
pub fn cohort_notice(done: &str) -> Option<&'static str> {
    match done {
        "session-moved" => Some("The session has moved. Each learner has been emailed the new time."),
        "session-cancelled" => Some(
            "The session is cancelled. Each learner has been emailed your reason; it counts in nobody's attendance.",
        ),
        "learner-withdrawn" => Some(
            "The learner has left the cohort. Their records so far are kept, and they are on no later register.",
        ),
        _ => None,
    }
}

/// A form with only its token.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

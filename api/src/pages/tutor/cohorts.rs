//! `/cohorts` (the cohorts you teach) and `/cohorts/{id}` (one cohort: its sessions, its
//! learners, and who is on track for the attendance rule, in plain words).

use askama::Template;
use peertrack_core::domain::{local_time, AttendanceOutlook};
use peertrack_core::service::cohorts::{self as cohort_service, LearnerStanding};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path, Query};
use poem::{handler, Response};

use super::{count, session_when, starts};
use crate::pages::learner::{day_of, long_date, Done};
use crate::pages::session;
use crate::pages::{ok, Chrome, PageError};
use crate::server::AppState;

/// The most cohorts `/cohorts` lists: every one a tutor teaches; an administrator's list of
/// every cohort stops here, with a note.
const COHORTS_SHOWN: i64 = 100;

/// A cohort in the list.
pub struct CohortItem {
    id: String,
    name: String,
    programme: String,
    dates: String,
    learners: String,
    next_session: String,
}

#[derive(Template)]
#[template(path = "tutor_cohorts.html")]
struct CohortsPage {
    chrome: Chrome,
    cohorts: Vec<CohortItem>,
    /// For administrators: they see every cohort, the most recent first.
    admin: bool,
    /// How many cohorts there are in all, when more than are shown.
    more: Option<i64>,
}

fn dates(starts_on: chrono::NaiveDate, ends_on: chrono::NaiveDate) -> String {
    format!("{} to {}", long_date(starts_on), long_date(ends_on))
}

/// `GET /cohorts`: the cohorts you teach (administrators: every cohort, the most recent first).
#[handler]
pub async fn cohorts(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let admin = caller.is_admin();
    let (found, total) = state
        .db
        .read_async(move |conn| cohort_service::taught(conn, &caller, COHORTS_SHOWN, now))
        .await?;
    let today = local_time::today(now);
    let shown = found.len() as i64;
    let cohorts = found
        .into_iter()
        .map(|c| CohortItem {
            next_session: match c.next_session {
                Some(at) => starts(at),
                None if c.cohort.ends_on < today => "None: the cohort has ended".into(),
                None => "None planned yet".into(),
            },
            learners: count(c.learners, "learner", "learners"),
            dates: dates(c.cohort.starts_on, c.cohort.ends_on),
            programme: c.programme_title,
            id: c.cohort.id,
            name: c.cohort.name,
        })
        .collect();
    Ok(ok(&CohortsPage {
        chrome: Chrome::signed_in("Your cohorts", &visit),
        cohorts,
        admin,
        more: (total > shown).then_some(total),
    }))
}

/// A session in a cohort's list.
pub struct SessionItem {
    id: String,
    title: String,
    when: String,
    /// "Held", "Today", "Upcoming" or "Cancelled".
    status: &'static str,
    /// The CSS class of its status: `good`, `todo` or `bad`.
    tone: &'static str,
    cancelled: bool,
    cancel_reason: Option<String>,
    /// Whether it is on today (its self check-in code can be shown).
    today: bool,
}

/// A learner in a cohort's list.
pub struct LearnerItem {
    id: String,
    name: String,
    withdrawn: bool,
    /// "On track", "At risk", ...
    standing: String,
    /// The CSS class of the standing.
    tone: &'static str,
    words: String,
}

#[derive(Template)]
#[template(path = "tutor_cohort.html")]
struct CohortPage {
    chrome: Chrome,
    id: String,
    name: String,
    programme: String,
    dates: String,
    tutors: String,
    rule: String,
    summary: String,
    sessions: Vec<SessionItem>,
    learners: Vec<LearnerItem>,
    /// What the tutor has just done on another page (moved a session, withdrew a learner).
    notice: Option<&'static str>,
}

/// `GET /cohorts/{id}`: the cohort's sessions and learners, and who is on track.
#[handler]
pub async fn cohort(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let notice = done
        .done
        .as_deref()
        .and_then(crate::pages::tutor_records::cohort_notice);
    let (caller, now) = (visit.caller.clone(), state.now());
    let overview = state
        .db
        .read_async(move |conn| cohort_service::overview(conn, &caller, &id, now))
        .await?;
    let stored_now = now.naive_utc();
    // "Today" is the day on a UK calendar: a session at 00:30 BST is not yesterday's.
    let today = local_time::today(now);
    let sessions = overview
        .sessions
        .iter()
        .map(|s| {
            let (status, tone) = if s.is_cancelled() {
                ("Cancelled", "bad")
            } else if local_time::local_date(s.starts_at) == today {
                ("Today", "todo")
            } else if s.starts_at <= stored_now {
                ("Held", "good")
            } else {
                ("Upcoming", "todo")
            };
            SessionItem {
                id: s.id.clone(),
                title: s.title.clone(),
                when: session_when(s.starts_at, s.ends_at),
                status,
                tone,
                cancelled: s.is_cancelled(),
                cancel_reason: s.cancel_reason.clone(),
                today: !s.is_cancelled() && local_time::local_date(s.starts_at) == today,
            }
        })
        .collect();
    let minimum = overview.min_attendance_percent;
    let (mut on_track, mut at_risk, mut unreachable, mut withdrawn) = (0, 0, 0, 0);
    let learners: Vec<LearnerItem> = overview
        .learners
        .iter()
        .map(|l| {
            let item = learner_item(l, minimum);
            match (item.withdrawn, l.outlook) {
                (true, _) => withdrawn += 1,
                (false, AttendanceOutlook::AtRisk { .. }) => at_risk += 1,
                (false, AttendanceOutlook::Unreachable { .. }) => unreachable += 1,
                (false, _) => on_track += 1,
            }
            item
        })
        .collect();
    let mut parts = vec![format!("{on_track} on track"), format!("{at_risk} at risk")];
    if unreachable > 0 {
        parts.push(format!(
            "{unreachable} cannot reach {}% any more",
            minimum.unwrap_or(0)
        ));
    }
    if withdrawn > 0 {
        parts.push(format!("{withdrawn} withdrawn"));
    }
    let summary = if learners.is_empty() {
        String::new()
    } else {
        format!("{}.", parts.join(", "))
    };
    let rule = match minimum {
        Some(percent) => format!(
            "{} asks each learner to come to at least {percent}% of the sessions held since they joined. Excused absences do not count against them; a session with no mark for them does, until the register is completed.",
            overview.details.programme_title
        ),
        None => format!(
            "{} sets no minimum attendance.",
            overview.details.programme_title
        ),
    };
    let details = overview.details;
    let tutors: Vec<&str> = details.tutors.iter().map(|t| t.display_name()).collect();
    Ok(ok(&CohortPage {
        chrome: Chrome::signed_in(details.cohort.name.clone(), &visit),
        id: details.cohort.id.clone(),
        name: details.cohort.name.clone(),
        programme: format!(
            "{} (version {})",
            details.programme_title, details.programme_version
        ),
        dates: dates(details.cohort.starts_on, details.cohort.ends_on),
        tutors: tutors.join(", "),
        rule,
        summary,
        sessions,
        learners,
        notice,
    }))
}

/// One learner's line: their standing and the plain words behind it.
fn learner_item(l: &LearnerStanding, minimum: Option<u8>) -> LearnerItem {
    let rate = &l.progress.attendance;
    let percent = rate.permille_floor().map(|p| p / 10);
    let so_far = match percent {
        Some(percent) => format!(
            "Has been to {} of {}, {percent}%",
            rate.attended,
            count(rate.counted, "session", "sessions")
        ),
        None => "No sessions held for them yet".to_string(),
    };
    let needs = minimum.map(|m| format!(" (needs {m}%)")).unwrap_or_default();
    let to_come = |n: u32| match n {
        1 => "the 1 still to come".to_string(),
        n => format!("the {n} still to come"),
    };
    let (standing, tone, mut words) = if let Some(left) = l.progress.enrolment.withdrawn_at {
        (
            "Withdrawn".to_string(),
            "bad",
            format!("Withdrew on {}. {so_far}.", day_of(left)),
        )
    } else {
        match l.outlook {
            AttendanceOutlook::NoMinimum => ("No attendance rule".to_string(), "good", format!("{so_far}.")),
            AttendanceOutlook::OnTrack { to_come: 0, .. } => (
                "On track".to_string(),
                "good",
                format!("{so_far}{needs}. No sessions are left to come."),
            ),
            AttendanceOutlook::OnTrack { to_come: n, can_miss } => (
                "On track".to_string(),
                "good",
                format!("{so_far}{needs}; can miss at most {can_miss} of {}.", to_come(n)),
            ),
            AttendanceOutlook::AtRisk {
                to_come: n,
                can_miss: 0,
            } => (
                "At risk".to_string(),
                "todo",
                if n == 0 {
                    format!("{so_far}{needs}, with no sessions left to come.")
                } else if n == 1 {
                    format!("{so_far}{needs}; needs to come to the last session still to come.")
                } else {
                    format!("{so_far}{needs}; needs to come to every one of {}.", to_come(n))
                },
            ),
            AttendanceOutlook::AtRisk { to_come: n, can_miss } => (
                "At risk".to_string(),
                "todo",
                format!(
                    "{so_far}{needs}; can miss at most {can_miss} more of {}.",
                    to_come(n)
                ),
            ),
            AttendanceOutlook::Unreachable { to_come: n } => (
                format!("Cannot reach {}%", minimum.unwrap_or(0)),
                "bad",
                if n == 0 {
                    format!("{so_far}{needs}, and no sessions are left to come. It may help to talk it through with them.")
                } else {
                    format!(
                        "{so_far}{needs}; even coming to all of {} would not be enough. It may help to talk it through with them.",
                        to_come(n)
                    )
                },
            ),
        }
    };
    if l.unmarked > 0 {
        words.push_str(&format!(
            " {} no mark for them yet.",
            count(l.unmarked, "session has", "sessions have")
        ));
    }
    if rate.excused > 0 {
        words.push_str(&format!(
            " {} not counted against them.",
            count(rate.excused, "excused absence is", "excused absences are")
        ));
    }
    LearnerItem {
        id: l.person.id.clone(),
        name: l.person.display_name().to_string(),
        withdrawn: l.progress.enrolment.withdrawn_at.is_some(),
        standing,
        tone,
        words,
    }
}

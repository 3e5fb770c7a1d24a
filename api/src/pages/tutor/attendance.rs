//! `/sessions/{id}/register`: a session's register on a phone. One group per learner, named by
//! the learner, with **Present**, **Late**, **Absent** and **Excused**; the last saved state
//! chosen; **Save register**.
//!
//! The form carries the register's version (core's `If-Match`), so a save that lost a race
//! with a colleague is shown again with this tutor's marks kept and the colleague's beside
//! them, to save again; the same form sent twice is a success (core's `save_marks`).

use std::collections::HashMap;

use askama::Template;
use peertrack_core::domain::{local_time, AttendanceStatus};
use peertrack_core::service::attendance::{self, Marking};
use peertrack_core::Error;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::{count, moment, session_when};
use crate::pages::learner::Done;
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// The choices, in the order a tutor reads them.
const CHOICES: [(AttendanceStatus, &str); 4] = [
    (AttendanceStatus::Present, "Present"),
    (AttendanceStatus::Late, "Late"),
    (AttendanceStatus::Absent, "Absent"),
    (AttendanceStatus::Excused, "Excused"),
];

/// The prefix of each learner's field: `mark-{person id}`.
const MARK_FIELD: &str = "mark-";

fn label(status: AttendanceStatus) -> &'static str {
    CHOICES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("", |(_, label)| label)
}

/// One radio button.
pub struct Choice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// One learner's group of choices.
pub struct LearnerMarks {
    id: String,
    name: String,
    choices: Vec<Choice>,
    /// After a clash: what the saved register holds for them, where it differs from this
    /// tutor's mark.
    theirs: Option<String>,
    /// On a cancelled session: their mark, in words.
    mark: &'static str,
    /// When they checked themselves in with the session's code, if they did.
    checked_in: Option<String>,
}

#[derive(Template)]
#[template(path = "tutor_attendance.html")]
struct RegisterPage {
    chrome: Chrome,
    csrf: String,
    session_id: String,
    title: String,
    when: String,
    cohort_id: String,
    cohort_name: String,
    version: i32,
    saved: bool,
    /// After a save that could not be made: what happened, in plain words.
    clash: Option<Clash>,
    /// Why the register cannot be changed, when the session was cancelled.
    cancelled: Option<String>,
    last_saved: String,
    unmarked: String,
    today: bool,
    learners: Vec<LearnerMarks>,
}

/// Why a save was not made, and what to do.
pub struct Clash {
    heading: &'static str,
    words: String,
}

/// What the page says happened.
enum Said {
    Nothing,
    Saved,
    /// Someone saved meanwhile.
    Clash,
    /// The learners on the register changed meanwhile (one withdrew).
    LearnersChanged,
}

fn render(
    state: &AppState,
    visit: &Visit,
    marking: Marking,
    mine: Option<&HashMap<String, AttendanceStatus>>,
    said: Said,
    status: StatusCode,
) -> Response {
    let me = visit.caller.person_id().unwrap_or_default();
    let recorder = |id: &str| -> String {
        if id == me {
            "you".to_string()
        } else {
            marking
                .recorders
                .get(id)
                .cloned()
                .unwrap_or_else(|| "someone else".to_string())
        }
    };
    let stored: HashMap<&str, (AttendanceStatus, &str)> = marking
        .sheet
        .records
        .iter()
        .filter_map(|r| {
            AttendanceStatus::parse(&r.status).map(|s| (r.person_id.as_str(), (s, r.recorded_by.as_str())))
        })
        .collect();
    let checked_in: HashMap<&str, String> = marking
        .sheet
        .records
        .iter()
        .filter_map(|r| {
            r.checked_in_at.map(|at| {
                (
                    r.person_id.as_str(),
                    format!("Checked themselves in at {}", moment(at)),
                )
            })
        })
        .collect();
    // A learner's own check-in is not a save of the register.
    let latest = marking
        .sheet
        .records
        .iter()
        .filter(|r| !r.is_self_check_in())
        .max_by_key(|r| r.recorded_at);
    let last_saved = match latest {
        Some(r) => format!(
            "Last saved at {} by {}.",
            moment(r.recorded_at),
            recorder(&r.recorded_by)
        ),
        None if marking.sheet.version > 0 => "Last saved with nobody marked.".to_string(),
        None => "Nobody has saved this register yet.".to_string(),
    };
    let clashed = matches!(said, Said::Clash | Said::LearnersChanged);
    let learners: Vec<LearnerMarks> = marking
        .sheet
        .learners
        .iter()
        .map(|person| {
            let saved = stored.get(person.id.as_str()).copied();
            let typed = mine.and_then(|m| m.get(&person.id).copied());
            let chosen = typed.or(saved.map(|(s, _)| s));
            let theirs = match (clashed, saved) {
                (false, _) => None,
                (true, Some((status, by))) if typed != Some(status) => {
                    let by = recorder(by);
                    let by = if by == "you" { "You".to_string() } else { by };
                    Some(format!("{by} saved: {}", label(status)))
                }
                (true, None) if typed.is_some() => Some("Not marked in the saved register".into()),
                _ => None,
            };
            LearnerMarks {
                id: person.id.clone(),
                name: person.display_name().to_string(),
                choices: CHOICES
                    .iter()
                    .map(|&(status, label)| Choice {
                        value: status.as_str(),
                        label,
                        checked: chosen == Some(status),
                    })
                    .collect(),
                theirs,
                mark: saved.map_or("Not marked", |(s, _)| label(s)),
                checked_in: checked_in.get(person.id.as_str()).cloned(),
            }
        })
        .collect();
    let unmarked = learners
        .iter()
        .filter(|l| !l.choices.iter().any(|c| c.checked))
        .count();
    let unmarked = if learners.is_empty() || unmarked == 0 {
        String::new()
    } else {
        format!(
            "Not marked yet: {unmarked} of {}.",
            count(learners.len() as i64, "learner", "learners")
        )
    };
    let who = latest.map_or("Someone else".to_string(), |r| {
        let by = recorder(&r.recorded_by);
        if by == "you" {
            "You (in another window or on another device)".to_string()
        } else {
            by
        }
    });
    let clash = match said {
        Said::Clash => Some(Clash {
            heading: "Someone else saved this register meanwhile",
            words: format!(
                "{who} saved it{} after you opened it, so yours was not saved yet. Nothing you entered is lost: your marks are below, and where the saved register differs it says so under the learner's name. Check them, then press Save register again.",
                latest.map(|r| format!(" at {}", moment(r.recorded_at))).unwrap_or_default()
            ),
        }),
        Said::LearnersChanged => Some(Clash {
            heading: "The learners on this register changed",
            words: "Someone changed who is in this cohort after you opened the register, so nothing was saved yet. Your marks are kept below for everyone still on it. Check them, then press Save register again.".to_string(),
        }),
        Said::Nothing | Said::Saved => None,
    };
    let session = &marking.session;
    let cancelled = session.is_cancelled().then(|| match &session.cancel_reason {
        Some(reason) if !reason.trim().is_empty() => format!(
            "This session was cancelled ({}), so its register can no longer be changed.",
            reason.trim()
        ),
        _ => "This session was cancelled, so its register can no longer be changed.".to_string(),
    });
    let today = !session.is_cancelled()
        && local_time::local_date(session.starts_at) == local_time::today(state.now());
    html(
        status,
        &RegisterPage {
            chrome: Chrome::signed_in(format!("Register: {}", session.title), visit),
            csrf: visit.csrf.clone(),
            session_id: session.id.clone(),
            title: session.title.clone(),
            when: session_when(session.starts_at, session.ends_at),
            cohort_id: marking.cohort.id.clone(),
            cohort_name: marking.cohort.name.clone(),
            version: marking.sheet.version,
            saved: matches!(said, Said::Saved),
            clash,
            cancelled,
            last_saved,
            unmarked,
            today,
            learners,
        },
    )
}

async fn marking(state: &AppState, visit: &Visit, session_id: String) -> Result<Marking, PageError> {
    let caller = visit.caller.clone();
    Ok(state
        .db
        .read_async(move |conn| attendance::marking(conn, &caller, &session_id))
        .await?)
}

/// `GET /sessions/{id}/register`: the register, as last saved.
#[handler]
pub async fn register(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let found = marking(&state, &visit, id).await?;
    let said = match query.0.done.as_deref() {
        Some("saved") => Said::Saved,
        _ => Said::Nothing,
    };
    Ok(render(&state, &visit, found, None, said, StatusCode::OK))
}

/// What the register form sends besides its token: the version it was opened at, and a mark
/// per learner chosen (`mark-{person id}`), read in order as pairs.
fn read_form(fields: Vec<(String, String)>) -> Result<(i32, Vec<(String, AttendanceStatus)>), PageError> {
    let (mut version, mut marks) = (None, Vec::new());
    for (name, value) in fields {
        if name == "version" {
            version = value.trim().parse::<i32>().ok();
        } else if let Some(person_id) = name.strip_prefix(MARK_FIELD) {
            let status = AttendanceStatus::parse(value.trim()).ok_or(PageError::StaleForm)?;
            if marks
                .iter()
                .any(|(p, _): &(String, AttendanceStatus)| p == person_id)
            {
                return Err(PageError::StaleForm);
            }
            marks.push((person_id.to_string(), status));
        }
    }
    Ok((version.ok_or(PageError::StaleForm)?, marks))
}

/// `POST /sessions/{id}/register`: **Save register**.
#[handler]
pub async fn save(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let csrf = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    visit.check(csrf)?;
    let (version, marks) = read_form(fields)?;
    let (caller, now, session_id) = (visit.caller.clone(), state.now(), id.clone());
    let sent = marks.clone();
    let saved = state
        .db
        .write_async(move |conn| attendance::save_marks(conn, &caller, &session_id, &sent, version, now))
        .await;
    let said = match saved {
        Ok(_) => return Ok(see_other(&format!("/sessions/{id}/register?done=saved"))),
        Err(Error::Stale) => Said::Clash,
        Err(Error::NotEnrolled { .. }) => Said::LearnersChanged,
        // A cancelled session: the page says so in place of the form.
        Err(Error::Conflict(_)) => Said::Nothing,
        Err(other) => return Err(other.into()),
    };
    let found = marking(&state, &visit, id).await?;
    let mine: HashMap<String, AttendanceStatus> = marks.into_iter().collect();
    Ok(render(
        &state,
        &visit,
        found,
        Some(&mine),
        said,
        StatusCode::CONFLICT,
    ))
}

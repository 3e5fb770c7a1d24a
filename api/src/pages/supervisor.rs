//! `/supervision`: what a supervisor does in Peertrack. The sessions waiting for them, each
//! with **Verify** and **Decline** (which opens `/supervision/{id}/decline`, asking for the
//! reason the learner reads), and their placements, each of which they can end on a date.
//!
//! Every decision is core's (`service::placements`): a learner or a tutor who sends these
//! forms is refused there, as over the API.

use askama::Template;
use chrono::NaiveDate;
use peertrack_core::domain::{local_time, SupervisionStatus};
use peertrack_core::service::placements;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::learner::supervision::format_words;
use super::learner::{long_date, Done, Problems};
use super::session::{self, Visit};
use super::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// How long after a placement ended its supervisor can still change its last day on this page.
const ENDED_EDITABLE_DAYS: i64 = 90;

/// The most waiting sessions one page shows (oldest first): enough for a sitting, and a page
/// that stays light on a phone (at 200, a supervisor with a long queue was sent 99 KB; at 50,
/// 61 KB; at 30, with Decline's reason on its own page, the demo's longest queue is 43 KB).
const WAITING_SHOWN: i64 = 30;

/// A session waiting for the supervisor.
pub struct WaitingSession {
    id: String,
    learner: String,
    date: String,
    minutes: i32,
    format: &'static str,
    host: String,
    notes: Option<String>,
}

impl WaitingSession {
    fn of(listed: placements::ListedSupervision) -> Self {
        WaitingSession {
            learner: listed.learner_name,
            date: long_date(listed.session.occurred_on),
            minutes: listed.session.duration_minutes,
            format: format_words(&listed.session.format),
            host: listed.host,
            notes: listed.session.notes,
            id: listed.session.id,
        }
    }
}

/// A placement the supervisor supervises.
pub struct SupervisedPlacement {
    id: String,
    learner: String,
    host: String,
    dates: String,
    ended: bool,
    /// Whether its last day can be changed here: not ended, or ended within
    /// [`ENDED_EDITABLE_DAYS`] (older ones are listed without the form, to keep the page light).
    editable: bool,
    /// The value of its "last day" field.
    ended_on: String,
    /// What to change in that field.
    ended_on_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct QueuePage {
    chrome: Chrome,
    csrf: String,
    waiting: Vec<WaitingSession>,
    more_waiting: bool,
    /// How many waiting sessions one page shows.
    shown: i64,
    placements: Vec<SupervisedPlacement>,
    done: Option<&'static str>,
    failed: bool,
}

/// The end-of-placement form that failed, to show again with what was typed and what to
/// change.
struct Failed {
    placement_id: String,
    ended_on: String,
    problem: String,
}

async fn queue_page(
    state: &AppState,
    visit: &Visit,
    done: Option<&'static str>,
    failed: Option<Failed>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let (waiting, supervised) = state
        .db
        .read_async(move |conn| placements::queue_of_caller(conn, &caller, WAITING_SHOWN + 1))
        .await?;
    let today = local_time::today(state.now());
    let more_waiting = waiting.len() as i64 > WAITING_SHOWN;
    let waiting = waiting
        .into_iter()
        .take(WAITING_SHOWN as usize)
        .map(WaitingSession::of)
        .collect();
    let placements = supervised
        .into_iter()
        .map(|(p, learner, host)| {
            let (ended_on, ended_on_problem) = match &failed {
                Some(Failed {
                    placement_id,
                    ended_on,
                    problem,
                }) if *placement_id == p.id => (ended_on.clone(), Some(problem.clone())),
                _ => (p.ends_on.unwrap_or(today).to_string(), None),
            };
            SupervisedPlacement {
                dates: match p.ends_on {
                    Some(end) => format!("{} to {}", long_date(p.starts_on), long_date(end)),
                    None => format!("from {}", long_date(p.starts_on)),
                },
                ended: p.ends_on.is_some_and(|end| end < today),
                editable: ended_on_problem.is_some()
                    || p.ends_on
                        .is_none_or(|end| end >= today - chrono::Duration::days(ENDED_EDITABLE_DAYS)),
                id: p.id,
                learner,
                host,
                ended_on,
                ended_on_problem,
            }
        })
        .collect();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &QueuePage {
            chrome: Chrome::signed_in("Supervision waiting for you", visit),
            csrf: visit.csrf.clone(),
            waiting,
            more_waiting,
            shown: WAITING_SHOWN,
            placements,
            done,
            failed: failed.is_some(),
        },
    ))
}

/// `GET /supervision`: the sessions waiting for you, each with **Verify** and **Decline**, and
/// your placements.
#[handler]
pub async fn queue(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = match query.0.done.as_deref() {
        Some("verified") => {
            Some("Thank you: the session is verified, and it now counts towards the learner's certificate.")
        }
        Some("declined") => {
            Some("The session is declined. We have emailed the learner your reason; it does not count.")
        }
        Some("ended") => Some("The placement's last day is saved. Supervision after it cannot be logged."),
        _ => None,
    };
    queue_page(&state, &visit, done, None).await
}

/// A form with only its token.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /supervision/{id}/verify`: the supervisor verifies a session.
#[handler]
pub async fn verify(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<TokenForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    state
        .db
        .write_async(move |conn| placements::verify(conn, &caller, &id, now))
        .await?;
    Ok(see_other("/supervision?done=verified"))
}

#[derive(Template)]
#[template(path = "supervision_decline.html")]
struct DeclinePage {
    chrome: Chrome,
    csrf: String,
    s: WaitingSession,
    /// What was typed, kept when the form failed.
    reason: String,
    /// What to change in the reason.
    problem: Option<String>,
    /// When the session is no longer waiting: what became of it.
    decided: Option<&'static str>,
}

async fn decline_form(
    state: &AppState,
    visit: &Visit,
    id: String,
    typed: Option<(String, String)>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| placements::to_decide(conn, &caller, &id))
        .await?;
    let decided = match found.session.status() {
        SupervisionStatus::Pending => None,
        SupervisionStatus::Verified => {
            Some("You have verified this session, so it counts and can no longer be declined.")
        }
        SupervisionStatus::Declined => Some("You have declined this session. The learner has your reason."),
    };
    let (status, reason, problem) = match typed {
        Some((reason, problem)) => (StatusCode::UNPROCESSABLE_ENTITY, reason, Some(problem)),
        None => (StatusCode::OK, String::new(), None),
    };
    let s = WaitingSession::of(found);
    Ok(html(
        status,
        &DeclinePage {
            chrome: Chrome::signed_in(format!("Decline {}'s session", s.learner), visit),
            csrf: visit.csrf.clone(),
            s,
            reason,
            problem,
            decided,
        },
    ))
}

/// `GET /supervision/{id}/decline`: the session, and the reason to give for declining it.
#[handler]
pub async fn decline_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    decline_form(&state, &visit, id, None).await
}

/// The Decline form.
#[derive(Debug, serde::Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /supervision/{id}/decline`: the supervisor declines a session with a reason.
#[handler]
pub async fn decline(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<DeclineForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let reason: String = form
        .0
        .reason
        .chars()
        .take(placements::DECLINE_REASON_MAX + 1)
        .collect();
    let (caller, now, supervision_id, typed) =
        (visit.caller.clone(), state.now(), id.clone(), reason.clone());
    let declined = state
        .db
        .write_async(move |conn| placements::decline(conn, &caller, &supervision_id, &typed, now))
        .await;
    match declined {
        Ok(_) => Ok(see_other("/supervision?done=declined")),
        Err(peertrack_core::Error::Conflict(why)) => Err(PageError::NotAllowed(why)),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let problem = if reason.trim().is_empty() {
                "Please tell the learner why you are declining it, in a few words.".to_string()
            } else {
                format!(
                    "The reason {}.",
                    problems.of("reason").unwrap_or("could not be saved")
                )
            };
            decline_form(&state, &visit, id, Some((reason, problem))).await
        }
    }
}

/// The form that ends a placement.
#[derive(Debug, serde::Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ended_on: String,
}

/// `POST /supervision/placements/{id}/end`: the supervisor sets a placement's last day.
#[handler]
pub async fn end_placement(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<EndForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let typed: String = form.0.ended_on.trim().chars().take(40).collect();
    let problem = match typed.parse::<NaiveDate>() {
        Err(_) => Some("Enter the placement's last day, for example 2027-03-31.".to_string()),
        Ok(ended_on) => {
            let (caller, now, placement_id) = (visit.caller.clone(), state.now(), id.clone());
            let ended = state
                .db
                .write_async(move |conn| placements::end(conn, &caller, &placement_id, ended_on, now))
                .await;
            match ended {
                Ok(_) => None,
                Err(error) => {
                    let problems = Problems::from_error(error)?;
                    Some(format!(
                        "The last day {}.",
                        problems.of("ended_on").unwrap_or("could not be saved")
                    ))
                }
            }
        }
    };
    match problem {
        None => Ok(see_other("/supervision?done=ended")),
        Some(problem) => {
            let failed = Failed {
                placement_id: id,
                ended_on: typed,
                problem,
            };
            queue_page(&state, &visit, None, Some(failed)).await
        }
    }
}

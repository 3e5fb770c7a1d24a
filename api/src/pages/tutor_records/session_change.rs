//! `/sessions/{id}/change`: a tutor moves a session to another time, or cancels it with a
//! reason. Core's `sessions::change` and `sessions::cancel` decide who may and what is
//! allowed; learners are emailed either way. Times are UK time, as people read clocks: core
//! turns what the tutor types into instants (`sessions::move_to`) and says when a time does
//! not happen because the clocks go forward; this page shows that beside the field.

use askama::Template;
use chrono::{NaiveDate, NaiveTime};
use peertrack_core::domain::local_time;
use peertrack_core::service::sessions::{self, LocalTimes};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{handler, Response};

use super::day_of;
use crate::pages::learner::Problems;
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// The fields of both forms, as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    /// `move` or `cancel`: which form was sent.
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    reason: String,
}

/// What to change in each field.
#[derive(Debug, Default)]
struct FieldProblems {
    date: Option<String>,
    starts: Option<String>,
    ends: Option<String>,
    reason: Option<String>,
}

impl FieldProblems {
    fn any(&self) -> bool {
        self.date.is_some() || self.starts.is_some() || self.ends.is_some() || self.reason.is_some()
    }
}

#[derive(Template)]
#[template(path = "tutor_session_change.html")]
struct ChangePage {
    chrome: Chrome,
    csrf: String,
    id: String,
    title: String,
    when: String,
    cohort_id: String,
    cohort_name: String,
    /// When and why it was cancelled, if it was.
    cancelled: Option<(String, String)>,
    form: ChangeForm,
    problems: FieldProblems,
}

async fn show(
    state: &AppState,
    visit: &Visit,
    id: String,
    typed: Option<(ChangeForm, FieldProblems)>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let (found, cohort) = state
        .db
        .read_async(move |conn| sessions::get_to_change(conn, &caller, &id))
        .await?;
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (mut form, problems) = typed.unwrap_or_default();
    // The move form shows the session's time unless it was the one sent.
    if form.action != "move" {
        form.date = local_time::local_date(found.starts_at).to_string();
        form.starts = local_time::clock_time(found.starts_at);
        form.ends = local_time::clock_time(found.ends_at);
    }
    let cancelled = found
        .cancelled_at
        .map(|at| (day_of(at), found.cancel_reason.clone().unwrap_or_default()));
    Ok(html(
        status,
        &ChangePage {
            chrome: Chrome::signed_in(format!("Change or cancel {}", found.title), visit),
            csrf: visit.csrf.clone(),
            when: local_time::session_span(found.starts_at, found.ends_at),
            title: found.title,
            id: found.id,
            cohort_id: cohort.id,
            cohort_name: cohort.name,
            cancelled,
            form,
            problems,
        },
    ))
}

/// `GET /sessions/{id}/change`: the session, a form to move it and a form to cancel it.
#[handler]
pub async fn change_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    show(&state, &visit, id, None).await
}

fn time(typed: &str) -> Option<NaiveTime> {
    let typed = typed.trim();
    NaiveTime::parse_from_str(typed, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(typed, "%H:%M:%S"))
        .ok()
}

/// `POST /sessions/{id}/change`: moves or cancels the session; back to its cohort.
#[handler]
pub async fn change(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<ChangeForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let mut form = form.0;
    form.reason = form.reason.chars().take(sessions::REASON_MAX + 1).collect();
    for field in [&mut form.date, &mut form.starts, &mut form.ends] {
        *field = field.trim().chars().take(40).collect();
    }
    let mut problems = FieldProblems::default();
    let (caller, now, session_id) = (visit.caller.clone(), state.now(), id.clone());
    let done = if form.action == "cancel" {
        let reason = form.reason.clone();
        let cancelled = state
            .db
            .write_async(move |conn| sessions::cancel(conn, &caller, &session_id, &reason, now))
            .await;
        match cancelled {
            Ok(session) => Some((session.cohort_id, "session-cancelled")),
            // Cancelled meanwhile: the page says so.
            Err(peertrack_core::Error::Conflict(_)) => return show(&state, &visit, id, None).await,
            Err(error) => {
                let found = Problems::from_error(error)?;
                problems.reason = Some(if form.reason.trim().is_empty() {
                    "Please tell the learners why it is cancelled, in a few words.".to_string()
                } else {
                    format!(
                        "The reason {}.",
                        found.of("reason").unwrap_or("could not be saved")
                    )
                });
                None
            }
        }
    } else {
        let date = form.date.parse::<NaiveDate>().ok();
        let (starts, ends) = (time(&form.starts), time(&form.ends));
        if date.is_none() {
            problems.date = Some("Enter the day of the session, for example 2027-03-15.".into());
        }
        if starts.is_none() {
            problems.starts = Some("Enter the start time, for example 10:00.".into());
        }
        if ends.is_none() {
            problems.ends = Some("Enter the end time, for example 12:00.".into());
        }
        match (date, starts, ends) {
            (Some(date), Some(starts), Some(ends)) => {
                let times = LocalTimes { date, starts, ends };
                let moved = state
                    .db
                    .write_async(move |conn| sessions::move_to(conn, &caller, &session_id, &times, now))
                    .await;
                match moved {
                    Ok(session) => Some((session.cohort_id, "session-moved")),
                    Err(peertrack_core::Error::Conflict(_)) => return show(&state, &visit, id, None).await,
                    Err(error) => {
                        let found = Problems::from_error(error)?;
                        // A time the clocks skip: core's sentence says why and what to do.
                        problems.starts = found.of("starts").map(String::from);
                        problems.ends = found.of("ends").map(String::from);
                        if found.of("starts_at").is_some() {
                            problems.date = Some(
                                "Enter a day between the years 1900 and 2199, for example 2027-03-15.".into(),
                            );
                        }
                        if let Some(why) = found.of("ends_at") {
                            problems.ends = Some(if why.contains("24 hours") {
                                "A session lasts at most 24 hours.".into()
                            } else {
                                "The end time must be after the start time, on the same day.".into()
                            });
                        }
                        if !problems.any() {
                            problems.date = Some("This time could not be saved. Please check it.".into());
                        }
                        None
                    }
                }
            }
            _ => None,
        }
    };
    match done {
        Some((cohort_id, done)) => Ok(see_other(&format!("/cohorts/{cohort_id}?done={done}"))),
        None => show(&state, &visit, id, Some((form, problems))).await,
    }
}

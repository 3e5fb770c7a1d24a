//! `/me/supervision`: supervision logged during placements, and logging more.

use askama::Template;
use chrono::NaiveDate;
use peertrack_core::domain::{SupervisionFormat, SupervisionStatus};
use peertrack_core::service::{me, placements};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Query};
use poem::{handler, Response};

use super::{long_date, Done, Problems};
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// A supervision session and what became of it.
pub struct LoggedSession {
    occurred_on: String,
    minutes: i32,
    format: &'static str,
    status: (&'static str, &'static str),
    /// Why the supervisor declined it, in their words.
    declined_because: Option<String>,
}

/// A placement with its supervision.
pub struct PlacementView {
    id: String,
    host: String,
    supervisor: String,
    dates: String,
    open: bool,
    sessions: Vec<LoggedSession>,
}

#[derive(Template)]
#[template(path = "me_supervision.html")]
struct SupervisionPage {
    chrome: Chrome,
    csrf: String,
    placements: Vec<PlacementView>,
    form: SupervisionForm,
    problems: Problems,
    done: bool,
}

/// How a session was held, in words.
pub(crate) fn format_words(format: &str) -> &'static str {
    match format {
        "group" => "Group",
        "co_reflection" => "Co-reflection",
        "observation" => "Observed practice",
        _ => "One to one",
    }
}

async fn supervision_page(
    state: &AppState,
    visit: &Visit,
    form: SupervisionForm,
    problems: Problems,
    done: bool,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| me::placements(conn, &caller))
        .await?;
    let today = state.now().date_naive();
    let placements = found
        .into_iter()
        .map(|p| PlacementView {
            open: p.placement.starts_on <= today && p.placement.ends_on.is_none_or(|end| end >= today),
            dates: match p.placement.ends_on {
                Some(end) => format!("{} to {}", long_date(p.placement.starts_on), long_date(end)),
                None => format!("from {}", long_date(p.placement.starts_on)),
            },
            id: p.placement.id,
            host: p.host,
            supervisor: p.supervisor.clone(),
            sessions: p
                .supervision
                .into_iter()
                .rev()
                .map(|s| LoggedSession {
                    occurred_on: long_date(s.occurred_on),
                    minutes: s.duration_minutes,
                    format: format_words(&s.format),
                    status: match s.status() {
                        SupervisionStatus::Verified => ("Confirmed", "good"),
                        SupervisionStatus::Pending => ("Waiting for your supervisor", "todo"),
                        SupervisionStatus::Declined => ("Not confirmed by your supervisor", "bad"),
                    },
                    declined_because: s.decline_reason,
                })
                .collect(),
        })
        .collect();
    let status = if problems.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &SupervisionPage {
            chrome: Chrome::signed_in("Your supervision", visit),
            csrf: visit.csrf.clone(),
            placements,
            form,
            problems,
            done,
        },
    ))
}

/// `GET /me/supervision`: your supervision sessions and their status; a form to log one.
#[handler]
pub async fn supervision(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = query.0.done.as_deref() == Some("logged");
    let form = SupervisionForm {
        occurred_on: state.now().date_naive().to_string(),
        duration_minutes: "60".into(),
        format: "individual".into(),
        ..SupervisionForm::default()
    };
    supervision_page(&state, &visit, form, Problems::default(), done).await
}

/// The form to log supervision.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SupervisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    placement_id: String,
    #[serde(default)]
    occurred_on: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    notes: String,
}

/// `POST /me/supervision`: logs a session, which waits for the supervisor to confirm it.
#[handler]
pub async fn log_supervision(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<SupervisionForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let form = form.0;
    let mut problems = Vec::new();
    let occurred_on = form.occurred_on.trim().parse::<NaiveDate>().map_err(|_| {
        problems.push((
            "occurred_on".to_string(),
            "Enter the date the session took place".to_string(),
        ));
    });
    let minutes = form.duration_minutes.trim().parse::<i32>().map_err(|_| {
        problems.push((
            "duration_minutes".to_string(),
            "Enter how long it lasted, in minutes, for example 60".to_string(),
        ));
    });
    let format = SupervisionFormat::parse(&form.format).ok_or_else(|| {
        problems.push((
            "format".to_string(),
            "Choose how the session was held".to_string(),
        ));
    });
    let (Ok(occurred_on), Ok(minutes), Ok(format)) = (occurred_on, minutes, format) else {
        return supervision_page(&state, &visit, form, Problems(problems), false).await;
    };
    let input = placements::NewSupervision {
        occurred_on,
        duration_minutes: minutes,
        format,
        notes: Some(form.notes.clone()),
    };
    let (caller, now, placement_id) = (visit.caller.clone(), state.now(), form.placement_id.clone());
    let logged = state
        .db
        .write_async(move |conn| placements::log(conn, &caller, &placement_id, &input, now))
        .await;
    match logged {
        Ok(_) => Ok(see_other("/me/supervision?done=logged")),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            supervision_page(&state, &visit, form, problems, false).await
        }
    }
}

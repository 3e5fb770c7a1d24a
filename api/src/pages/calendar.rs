//! `/me/calendar`: a learner's or a tutor's sessions in the calendar on their phone, by a
//! private address (`/calendar/{secret}.ics`) that their calendar application reads without a
//! cookie. Core keeps only the secret's hash (`service::calendar`), so the address is shown
//! once, when it is made; **Make a new link** replaces it and **Stop the calendar link** ends it.

use askama::Template;
use peertrack_core::service::calendar;
use poem::http::{header, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, IntoResponse, Response};

use super::learner::{day_of, Done};
use super::session::{self, Visit};
use super::{ok, see_other, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    csrf: String,
    /// The address just made, shown this once.
    address: Option<String>,
    /// The same address for calendar applications (`webcal://`).
    webcal: String,
    /// When the live link was made, if there is one.
    made_on: Option<String>,
    /// What just happened.
    done: Option<&'static str>,
}

async fn page(
    state: &AppState,
    visit: &Visit,
    address: Option<String>,
    done: Option<&'static str>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let made_at = state
        .db
        .read_async(move |conn| calendar::link_made_at(conn, &caller))
        .await?;
    let webcal = address
        .as_deref()
        .map(|a| {
            let rest = a.split_once("://").map_or(a, |(_, rest)| rest);
            format!("webcal://{rest}")
        })
        .unwrap_or_default();
    Ok(ok(&CalendarPage {
        chrome: Chrome::signed_in("Your calendar", visit),
        csrf: visit.csrf.clone(),
        address,
        webcal,
        made_on: made_at.map(day_of),
        done,
    }))
}

/// `GET /me/calendar`: whether you have a calendar link, and buttons to make, replace or stop it.
#[handler]
pub async fn calendar_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = match query.0.done.as_deref() {
        Some("stopped") => {
            Some("Your calendar link is stopped. Your calendar app will no longer get your sessions from it.")
        }
        _ => None,
    };
    page(&state, &visit, None, done).await
}

/// The calendar form: which button was pressed.
#[derive(Debug, serde::Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

/// `POST /me/calendar`: **Make a calendar link** or **Make a new link** (the page with the new
/// address, shown once) or **Stop the calendar link**.
#[handler]
pub async fn change_calendar(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<CalendarForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    if form.action == "stop" {
        state
            .db
            .write_async(move |conn| calendar::stop_link(conn, &caller, now))
            .await?;
        return Ok(see_other("/me/calendar?done=stopped"));
    }
    let secret = state
        .db
        .write_async(move |conn| calendar::make_link(conn, &caller, now))
        .await?;
    let address = format!(
        "{}/calendar/{secret}.ics",
        state.config.public_url.trim_end_matches('/')
    );
    let done = Some("Here is your calendar link. Copy it now: we show it only this once.");
    page(&state, &visit, Some(address), done).await
}

/// `GET /calendar/{secret}.ics`: the feed a calendar application reads. The secret is the
/// only credential; an unknown or stopped one is "not found".
#[handler]
pub async fn feed(state: Data<&AppState>, Path(file): Path<String>) -> Result<Response, PageError> {
    let secret = file.strip_suffix(".ics").ok_or(PageError::NotFound)?.to_string();
    if secret.is_empty() || secret.len() > 100 {
        return Err(PageError::NotFound);
    }
    let (public_url, now) = (state.config.public_url.clone(), state.now());
    let text = state
        .db
        .read_async(move |conn| calendar::feed(conn, &secret, &public_url, now))
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(text
        .with_content_type("text/calendar; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "no-store")
        .with_status(StatusCode::OK)
        .into_response())
}

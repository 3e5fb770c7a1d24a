//! `/me/data`: everything held about the peer worker, and their reminders.

use askama::Template;
use peertrack_core::service::{me, personal_data};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Query};
use poem::{handler, Response};

use super::Done;
use crate::pages::session;
use crate::pages::{download, ok, see_other, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "me_data.html")]
struct DataPage {
    chrome: Chrome,
    csrf: String,
    name: String,
    email: String,
    reminders: bool,
    done: bool,
}

/// `GET /me/data`: download everything held about you; reminders on or off.
#[handler]
pub async fn data_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let person = state
        .db
        .read_async(move |conn| me::profile(conn, &caller))
        .await?;
    Ok(ok(&DataPage {
        chrome: Chrome::signed_in("Your data", &visit),
        csrf: visit.csrf.clone(),
        name: person.display_name().to_string(),
        email: person.email.clone().unwrap_or_default(),
        reminders: person.reminders_enabled,
        done: query.0.done.as_deref() == Some("saved"),
    }))
}

/// The reminders form.
#[derive(Debug, serde::Deserialize)]
pub struct RemindersForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reminders: String,
}

/// `POST /me/data`: turns reminders on or off.
#[handler]
pub async fn change_reminders(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<RemindersForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now, on) = (visit.caller.clone(), state.now(), form.reminders == "on");
    state
        .db
        .write_async(move |conn| me::set_reminders(conn, &caller, on, now))
        .await?;
    Ok(see_other("/me/data?done=saved"))
}

/// `GET /me/data/export.json`: everything held about you, as a file.
#[handler]
pub async fn export(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let data = state
        .db
        .write_async(move |conn| personal_data::my_export(conn, &caller))
        .await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|_| PageError::Internal)?;
    Ok(download(body, "application/json", "peertrack-my-data.json"))
}

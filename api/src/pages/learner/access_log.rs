//! `/me/access-log`: every partner look-up, newest first.

use askama::Template;
use peertrack_core::service::personal_data;
use poem::web::cookie::CookieJar;
use poem::web::Data;
use poem::{handler, Response};

use peertrack_core::domain::local_time::clock_time;

use super::day_of;
use crate::pages::session;
use crate::pages::{ok, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "me_access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    entries: Vec<(String, String)>,
}

/// `GET /me/access-log`: every partner look-up, newest first.
#[handler]
pub async fn access_log(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let found = state
        .db
        .write_async(move |conn| personal_data::my_access_log(conn, &caller, None, 200))
        .await?;
    let entries = found
        .into_iter()
        .map(|e| {
            let how = match e.endpoint.as_str() {
                "register.person" => "looked you up in the register",
                _ => "found you in a search of qualified peer supporters",
            };
            let who = match &e.api_key_name {
                Some(system) => format!("{} (through {system})", e.organisation_name),
                None => e.organisation_name.clone(),
            };
            (
                format!("{} at {}", day_of(e.accessed_at), clock_time(e.accessed_at)),
                format!("{who} {how}."),
            )
        })
        .collect();
    Ok(ok(&AccessLogPage {
        chrome: Chrome::signed_in("Who looked you up", &visit),
        entries,
    }))
}

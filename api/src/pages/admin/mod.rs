//! The administrators' pages under `/admin/`: organisations and their partner API keys,
//! cohorts and their tutors, programmes, emails that failed, and people (finding, correcting,
//! erasing). One module each. Who may do what is decided in core (`service::administration`
//! for what the pages read, each service for what it changes): a learner or a tutor who opens
//! these pages is refused there, as over the API.

pub mod cohorts;
pub mod emails;
pub mod organisations;
pub mod people;
pub mod programmes;

use askama::Template;
use peertrack_core::service::administration;
use poem::web::cookie::CookieJar;
use poem::web::Data;
use poem::{get, handler, post, Response, Route};

use super::session;
use super::{ok, Chrome, PageError};
use crate::server::AppState;

/// Adds the administration pages to `route`.
pub fn add_routes(route: Route) -> Route {
    route
        .at("/admin", get(index))
        .at(
            "/admin/organisations",
            get(organisations::list).post(organisations::add),
        )
        .at("/admin/organisations/:id/keys", post(organisations::make_key))
        .at("/admin/keys/new", get(organisations::new_key))
        .at(
            "/admin/organisations/:id/keys/:key/revoke",
            get(organisations::confirm_revoke).post(organisations::revoke),
        )
        .at("/admin/cohorts", get(cohorts::list).post(cohorts::create))
        .at("/admin/cohorts/:id/tutors", post(cohorts::add_tutor))
        .at("/admin/cohorts/:id/tutors/remove", post(cohorts::remove_tutor))
        .at(
            "/admin/programmes",
            get(programmes::list).post(programmes::publish),
        )
        .at("/admin/emails", get(emails::list))
        .at("/admin/emails/:id/retry", post(emails::retry))
        .at("/admin/people", get(people::find))
        .at("/admin/people/:id", get(people::person).post(people::correct))
        .at(
            "/admin/people/:id/erase",
            get(people::confirm_erase).post(people::erase),
        )
}

#[derive(Template)]
#[template(path = "admin.html")]
struct IndexPage {
    chrome: Chrome,
    failed_emails: i64,
}

/// `GET /admin`: each part of the administration, with a line on what it is for.
#[handler]
pub async fn index(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let overview = state
        .db
        .read_async(move |conn| administration::overview(conn, &caller))
        .await?;
    Ok(ok(&IndexPage {
        chrome: Chrome::signed_in("Administration", &visit),
        failed_emails: overview.failed_emails,
    }))
}

/// A form with only its token.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// Core's words for a field's problem, with the field names it uses said as a person would.
pub(crate) fn plain(message: &str) -> String {
    message
        .replace("starts_on", "the first day")
        .replace("ends_on", "the last day")
}

/// "14:05 on 3 March 2027", in UK time.
pub(crate) fn when(at: chrono::NaiveDateTime) -> String {
    peertrack_core::domain::local_time::moment(at)
}

/// Core's reason as a sentence: a capital first, a full stop last.
pub(crate) fn sentence(why: &str) -> String {
    let mut text = why.trim().trim_end_matches('.').to_string();
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

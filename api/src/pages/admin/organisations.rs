//! `/admin/organisations`: the organisations, each with its partner systems' API keys. A new
//! key's secret is shown once: the form's answer hands it to the next page in a cookie of its
//! own (never in an address), which that page reads and deletes, so reloading it or coming back
//! to it shows the secret no more. Only a fingerprint of the key is stored.

use askama::Template;
use peertrack_core::service::administration::{self, OrganisationKeys};
use peertrack_core::service::organisations;
use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::TokenForm;
use crate::pages::learner::{Done, Problems};
use crate::pages::session::{self, Visit};
use crate::pages::{html, ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// The cookie that carries a new key's secret from the form's answer to the page showing it.
const NEW_KEY_COOKIE: &str = "peertrack_new_key";
/// The page that shows a new key, and the only path its cookie is sent to.
const NEW_KEY_PAGE: &str = "/admin/keys/new";

/// A key as listed.
struct KeyRow {
    id: String,
    name: String,
    made: String,
    revoked: Option<String>,
}

/// An organisation as listed, with its "make a key" field.
struct OrganisationRow {
    id: String,
    name: String,
    keys: Vec<KeyRow>,
    key_name: String,
    key_name_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_organisations.html")]
struct OrganisationsPage {
    chrome: Chrome,
    csrf: String,
    organisations: Vec<OrganisationRow>,
    name: String,
    name_problem: Option<String>,
    done: Option<&'static str>,
    failed: bool,
}

/// A form that failed, to show again with what was typed.
enum Failed {
    Add {
        name: String,
        problem: String,
    },
    Key {
        organisation_id: String,
        name: String,
        problem: String,
    },
}

async fn organisations_page(
    state: &AppState,
    visit: &Visit,
    done: Option<&'static str>,
    failed: Option<Failed>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| administration::organisations(conn, &caller))
        .await?;
    let organisations = found
        .into_iter()
        .map(|OrganisationKeys { organisation, keys }| {
            let (key_name, key_name_problem) = match &failed {
                Some(Failed::Key {
                    organisation_id,
                    name,
                    problem,
                }) if *organisation_id == organisation.id => (name.clone(), Some(problem.clone())),
                _ => (String::new(), None),
            };
            OrganisationRow {
                keys: keys
                    .into_iter()
                    .map(|k| KeyRow {
                        made: super::when(k.created_at),
                        revoked: k.revoked_at.map(super::when),
                        id: k.id,
                        name: k.name,
                    })
                    .collect(),
                id: organisation.id,
                name: organisation.name,
                key_name,
                key_name_problem,
            }
        })
        .collect();
    let (name, name_problem) = match &failed {
        Some(Failed::Add { name, problem }) => (name.clone(), Some(problem.clone())),
        _ => (String::new(), None),
    };
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &OrganisationsPage {
            chrome: Chrome::signed_in("Organisations", visit),
            csrf: visit.csrf.clone(),
            organisations,
            name,
            name_problem,
            done,
            failed: failed.is_some(),
        },
    ))
}

/// `GET /admin/organisations`: every organisation with its API keys.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = match query.0.done.as_deref() {
        Some("added") => Some("The organisation is added. You can make an API key for its systems below."),
        Some("revoked") => Some("The key is revoked: the next request made with it is refused."),
        _ => None,
    };
    organisations_page(&state, &visit, done, None).await
}

/// A form with a name.
#[derive(Debug, serde::Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// A name as typed, cut to what any check would accept and a little more (so it is refused).
fn typed(name: &str) -> String {
    name.chars().take(1000).collect()
}

/// `POST /admin/organisations`: adds an organisation.
#[handler]
pub async fn add(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<NameForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let name = typed(&form.0.name);
    let (caller, now, sent) = (visit.caller.clone(), state.now(), name.clone());
    let added = state
        .db
        .write_async(move |conn| organisations::create(conn, &caller, &sent, now))
        .await;
    let problem = match added {
        Ok(_) => return Ok(see_other("/admin/organisations?done=added")),
        Err(peertrack_core::Error::Conflict(_)) => {
            "Another organisation already has this name. Each needs a name of its own.".to_string()
        }
        Err(error) => {
            let problems = Problems::from_error(error)?;
            if name.trim().is_empty() {
                "Please give the organisation's name.".to_string()
            } else {
                format!(
                    "The name {}.",
                    problems.of("name").unwrap_or("could not be saved")
                )
            }
        }
    };
    organisations_page(&state, &visit, None, Some(Failed::Add { name, problem })).await
}

/// `POST /admin/organisations/{id}/keys`: makes an API key and goes to the page that shows it.
#[handler]
pub async fn make_key(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(organisation_id): Path<String>,
    form: Form<NameForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let name = typed(&form.0.name);
    let (caller, now, sent, id) = (
        visit.caller.clone(),
        state.now(),
        name.clone(),
        organisation_id.clone(),
    );
    let made = state
        .db
        .write_async(move |conn| organisations::create_api_key(conn, &caller, &id, &sent, now))
        .await;
    match made {
        Ok((secret, key)) => {
            let mut cookie = Cookie::new_with_str(NEW_KEY_COOKIE, format!("{}.{secret}", key.id));
            cookie.set_http_only(true);
            cookie.set_same_site(SameSite::Strict);
            cookie.set_secure(session::secure(&state));
            cookie.set_path(NEW_KEY_PAGE);
            cookie.set_max_age(std::time::Duration::from_secs(120));
            jar.add(cookie);
            Ok(see_other(NEW_KEY_PAGE))
        }
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let problem = if name.trim().is_empty() {
                "Please name the key after the system that will use it, for example \"HR system\"."
                    .to_string()
            } else {
                format!(
                    "The name {}.",
                    problems.of("name").unwrap_or("could not be saved")
                )
            };
            let failed = Failed::Key {
                organisation_id,
                name,
                problem,
            };
            organisations_page(&state, &visit, None, Some(failed)).await
        }
    }
}

/// A key just made, as its page shows it.
struct NewKey {
    organisation: String,
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "admin_key_made.html")]
struct NewKeyPage {
    chrome: Chrome,
    key: Option<NewKey>,
}

/// `GET /admin/keys/new`: the new key's secret, once; afterwards a page saying it cannot be
/// shown again.
#[handler]
pub async fn new_key(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let carried = jar.get(NEW_KEY_COOKIE).map(|c| c.value_str().to_string());
    if carried.is_some() {
        let mut spent = Cookie::new_with_str(NEW_KEY_COOKIE, "");
        spent.set_http_only(true);
        spent.set_same_site(SameSite::Strict);
        spent.set_secure(session::secure(&state));
        spent.set_path(NEW_KEY_PAGE);
        spent.set_max_age(std::time::Duration::ZERO);
        jar.add(spent);
    }
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| administration::organisations(conn, &caller))
        .await?;
    let key = carried.and_then(|value| {
        let (key_id, secret) = value.split_once('.')?;
        found.into_iter().find_map(|o| {
            let key = o
                .keys
                .into_iter()
                .find(|k| k.id == key_id && k.revoked_at.is_none())?;
            Some(NewKey {
                organisation: o.organisation.name,
                name: key.name,
                secret: secret.to_string(),
            })
        })
    });
    Ok(ok(&NewKeyPage {
        chrome: Chrome::signed_in("Your new API key", &visit),
        key,
    }))
}

#[derive(Template)]
#[template(path = "admin_revoke_key.html")]
struct RevokePage {
    chrome: Chrome,
    csrf: String,
    organisation_id: String,
    organisation: String,
    key_id: String,
    key: String,
}

/// `GET /admin/organisations/{id}/keys/{key}/revoke`: asks before revoking a key.
#[handler]
pub async fn confirm_revoke(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path((organisation_id, key_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| administration::organisations(conn, &caller))
        .await?;
    let (organisation, key) = found
        .into_iter()
        .filter(|o| o.organisation.id == organisation_id)
        .find_map(|o| {
            let key = o
                .keys
                .into_iter()
                .find(|k| k.id == key_id && k.revoked_at.is_none())?;
            Some((o.organisation.name, key.name))
        })
        .ok_or(PageError::NotFound)?;
    Ok(ok(&RevokePage {
        chrome: Chrome::signed_in(format!("Revoke {key}?"), &visit),
        csrf: visit.csrf.clone(),
        organisation_id,
        organisation,
        key_id,
        key,
    }))
}

/// `POST /admin/organisations/{id}/keys/{key}/revoke`: revokes the key.
#[handler]
pub async fn revoke(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path((organisation_id, key_id)): Path<(String, String)>,
    form: Form<TokenForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    state
        .db
        .write_async(move |conn| {
            organisations::revoke_api_key(conn, &caller, Some(&organisation_id), &key_id, now)
        })
        .await?;
    Ok(see_other("/admin/organisations?done=revoked"))
}

//! `/me/sharing`: which organisations may see that the peer worker is qualified.

use askama::Template;
use peertrack_core::service::{consents, organisations};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Query};
use poem::{handler, Response};

use super::{day_of, Done};
use crate::pages::session;
use crate::pages::{ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// An organisation and whether the person shares with it.
pub struct Organisation {
    id: String,
    name: String,
    since: Option<String>,
}

#[derive(Template)]
#[template(path = "me_sharing.html")]
struct SharingPage {
    chrome: Chrome,
    csrf: String,
    organisations: Vec<Organisation>,
    done: Option<String>,
}

/// `GET /me/sharing`: each organisation, whether you share with it, and a button to change it.
#[handler]
pub async fn sharing(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let (all, mine) = state
        .db
        .read_async(move |conn| {
            Ok((
                organisations::list(conn, &caller, None, 500)?,
                consents::mine(conn, &caller)?,
            ))
        })
        .await?;
    let organisations = all
        .into_iter()
        .map(|o| Organisation {
            since: mine
                .iter()
                .find(|(c, _)| c.organisation_id == o.id && c.withdrawn_at.is_none())
                .map(|(c, _)| day_of(c.granted_at)),
            id: o.id,
            name: o.name,
        })
        .collect();
    let done = match query.0.done.as_deref() {
        Some("shared") => Some("Done: you now share with that organisation.".to_string()),
        Some("stopped") => Some("Done: that organisation can no longer see you.".to_string()),
        _ => None,
    };
    Ok(ok(&SharingPage {
        chrome: Chrome::signed_in("Sharing", &visit),
        csrf: visit.csrf.clone(),
        organisations,
        done,
    }))
}

/// The Share / Stop sharing form.
#[derive(Debug, serde::Deserialize)]
pub struct SharingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    share: String,
}

/// `POST /me/sharing`: **Share** or **Stop sharing** with one organisation.
#[handler]
pub async fn change_sharing(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<SharingForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let (organisation_id, share) = (form.0.organisation_id, form.0.share == "yes");
    state
        .db
        .write_async(move |conn| {
            if share {
                consents::share(conn, &caller, &organisation_id, now).map(|_| ())
            } else {
                consents::stop_sharing(conn, &caller, &organisation_id, now).map(|_| ())
            }
        })
        .await?;
    Ok(see_other(if share {
        "/me/sharing?done=shared"
    } else {
        "/me/sharing?done=stopped"
    }))
}

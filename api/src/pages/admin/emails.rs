//! `/admin/emails`: the emails Peertrack gave up on, each with why, and **Retry**.

use askama::Template;
use peertrack_core::notify::Email;
use peertrack_core::service::{administration, outbox};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::{when, TokenForm};
use crate::pages::session;
use crate::pages::{ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// How many failed emails one page lists, oldest first.
const EMAILS_SHOWN: i64 = 100;

/// A failed email as listed.
struct FailedEmail {
    id: i64,
    recipient: String,
    kind: String,
    queued: String,
    attempts: i32,
    error: String,
    /// Sign-in links are not retried: they expire.
    retryable: bool,
}

#[derive(Template)]
#[template(path = "admin_emails.html")]
struct EmailsPage {
    chrome: Chrome,
    csrf: String,
    emails: Vec<FailedEmail>,
    next: Option<i64>,
    done: bool,
}

/// Which page, and what just happened.
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    after: Option<i64>,
    done: Option<String>,
}

/// `GET /admin/emails`: emails that failed, with **Retry**.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<ListQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, after) = (visit.caller.clone(), query.0.after);
    let found = state
        .db
        .read_async(move |conn| administration::failed_emails(conn, &caller, after, EMAILS_SHOWN + 1))
        .await?;
    let next = (found.len() as i64 > EMAILS_SHOWN)
        .then(|| found.get(EMAILS_SHOWN as usize - 1).map(|m| m.id))
        .flatten();
    let emails = found
        .into_iter()
        .take(EMAILS_SHOWN as usize)
        .map(|m| {
            let kind = Email::from_template(&m.template);
            FailedEmail {
                id: m.id,
                recipient: m.recipient,
                kind: kind.map_or_else(|| m.template.clone(), |k| k.describe().to_string()),
                queued: when(m.created_at),
                attempts: m.attempts,
                error: m
                    .last_error
                    .unwrap_or_else(|| "No reason was recorded.".to_string()),
                retryable: !kind.is_some_and(Email::holds_secret),
            }
        })
        .collect();
    Ok(ok(&EmailsPage {
        chrome: Chrome::signed_in("Emails that failed", &visit),
        csrf: visit.csrf.clone(),
        emails,
        next,
        done: query.0.done.as_deref() == Some("retried"),
    }))
}

/// `POST /admin/emails/{id}/retry`: puts a failed email back in the queue.
#[handler]
pub async fn retry(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<i64>,
    form: Form<TokenForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let retried = state
        .db
        .write_async(move |conn| outbox::retry(conn, &caller, id, now))
        .await;
    match retried {
        Ok(_) => Ok(see_other("/admin/emails?done=retried")),
        Err(peertrack_core::Error::Conflict(why)) => Err(PageError::NotAllowed(format!(
            "This email cannot be sent again: {why}."
        ))),
        Err(error) => Err(error.into()),
    }
}

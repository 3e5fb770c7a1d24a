//! Signing in and out, and the home page: `/`, `/sign-in`, `/sign-out`, `/home`.

use askama::Template;
use peertrack_core::service::{me, placements, sign_in};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Query};
use poem::{handler, Request, Response};

use super::session::{self, Visit};
use super::{ok, see_other, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "welcome.html")]
struct Welcome {
    chrome: Chrome,
    csrf: String,
    email: String,
    problem: Option<&'static str>,
}

/// `GET /`: the welcome page with the email form; signed in, the home page instead.
#[handler]
pub async fn welcome(state: Data<&AppState>, jar: &CookieJar) -> Response {
    if session::visit(&state, jar).await.is_some() {
        return see_other("/home");
    }
    ok(&Welcome {
        chrome: Chrome::public("Welcome"),
        csrf: session::anonymous_token(&state, jar),
        email: String::new(),
        problem: None,
    })
}

/// The email form.
#[derive(Debug, serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "check_email.html")]
struct CheckEmail {
    chrome: Chrome,
    email: String,
}

/// `POST /`: emails a sign-in link if the address is known, and answers the same page
/// whatever the address (nothing tells whether it is registered).
#[handler]
pub async fn ask_for_link(
    state: Data<&AppState>,
    request: &Request,
    jar: &CookieJar,
    form: Form<EmailForm>,
) -> Result<Response, PageError> {
    session::check_anonymous(jar, &form.csrf)?;
    let email = sign_in::normalise_email(form.email.trim());
    if email.chars().count() > 254 || !sign_in::is_email_address(&email) {
        return Ok(super::html(
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
            &Welcome {
                chrome: Chrome::public("Welcome"),
                csrf: session::anonymous_token(&state, jar),
                email: form.email.chars().take(254).collect(),
                problem: Some("Enter an email address, like name@example.org"),
            },
        ));
    }
    if state
        .limits
        .allow_sign_in_link(&crate::rate_limit::client_address(request), &email)
        .await
    {
        crate::routes::sign_in::queue_link_after_answering(&state, email.clone());
    }
    // Past the limit, the page says the same: the earlier link still works.
    Ok(ok(&CheckEmail {
        chrome: Chrome::public("Check your email"),
        email,
    }))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf: String,
    usable: bool,
    token: String,
    problem: &'static str,
}

/// The sign-in link's query.
#[derive(Debug, serde::Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

const USED_OR_EXPIRED: &str =
    "It has been used already, or more than 15 minutes have passed. Ask for a new one below.";

/// `GET /sign-in?token=...`: the page the emailed link opens. Opening it spends nothing (mail
/// scanners open links); pressing **Sign in** does.
#[handler]
pub async fn sign_in_page(state: Data<&AppState>, jar: &CookieJar, query: Query<LinkQuery>) -> Response {
    let token = query.0.token.unwrap_or_default();
    let usable = !token.is_empty() && token.len() <= 200;
    ok(&SignInPage {
        chrome: Chrome::public("Sign in"),
        csrf: session::anonymous_token(&state, jar),
        usable,
        token,
        problem: "This page needs the link from your sign-in email. Ask for a new one below.",
    })
}

/// The Sign in button's form.
#[derive(Debug, serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

/// `POST /sign-in`: spends the link's token, starts a session and goes home (or back to the
/// page that sent the person to sign in, see [`session::remember_return`]).
#[handler]
pub async fn finish_sign_in(
    state: Data<&AppState>,
    request: &Request,
    jar: &CookieJar,
    form: Form<SignInForm>,
) -> Result<Response, PageError> {
    session::check_anonymous(jar, &form.csrf)?;
    let client = crate::rate_limit::client_address(request);
    let refused = |state: &AppState| {
        super::html(
            poem::http::StatusCode::UNAUTHORIZED,
            &SignInPage {
                chrome: Chrome::public("Sign in"),
                csrf: session::anonymous_token(state, jar),
                usable: false,
                token: String::new(),
                problem: USED_OR_EXPIRED,
            },
        )
    };
    if state.limits.sign_in_failures.exhausted(&client).await || form.token.len() > 200 {
        return Ok(refused(&state));
    }
    let token = form.token.trim().to_string();
    let now = state.now();
    let started = state
        .db
        .write_async(move |conn| sign_in::start_session(conn, &token, sign_in::SessionKind::Browser, now))
        .await?;
    match started {
        Some(signed_in) => {
            session::start(&state, jar, &signed_in.access_token, signed_in.expires_at);
            Ok(see_other(&session::take_return(jar)))
        }
        None => {
            state.limits.sign_in_failures.hit(&client).await;
            Ok(refused(&state))
        }
    }
}

/// Any signed-in form's token alone.
#[derive(Debug, serde::Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: ends this browser's session, here and on every instance, and goes to `/`.
#[handler]
pub async fn sign_out(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<TokenOnly>,
) -> Result<Response, PageError> {
    if let Some(visit) = session::visit(&state, jar).await {
        visit.check(&form.csrf)?;
        let now = state.now();
        state
            .db
            .write_async(move |conn| sign_in::sign_out(conn, &visit.caller, now))
            .await?;
    }
    session::end(jar);
    Ok(see_other("/"))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    name: String,
    roles: me::Roles,
    /// Supervision sessions waiting for this person to verify or decline.
    waiting: i64,
}

/// `GET /home`: what this person can do, by what they are.
#[handler]
pub async fn home(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit: Visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let (person, roles, waiting) = state
        .db
        .read_async(move |conn| {
            let (person, roles) = me::roles(conn, &caller)?;
            let waiting = if roles.supervisor {
                placements::waiting_for_caller(conn, &caller)?
            } else {
                0
            };
            Ok((person, roles, waiting))
        })
        .await?;
    Ok(ok(&Home {
        chrome: Chrome::signed_in("Home", &visit),
        name: person.display_name().to_string(),
        roles,
        waiting,
    }))
}

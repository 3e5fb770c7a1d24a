//! The page an emailed sign-in link opens. Opening it spends nothing (mail scanners open
//! links); the person presses a button, and the page shows their access token.

use peertrack_core::service::sign_in;
use poem::web::Data;
use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::payload::{Form, Html};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::verify::{escape, page};
use super::Tag;
use crate::server::AppState;

const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The sign-in form.
#[derive(Debug, Object, serde::Deserialize)]
pub struct SignInForm {
    /// The token from the emailed link.
    #[oai(validator(max_length = 200))]
    pub token: String,
}

/// Answers of the sign-in page.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "unreadable_form")]
pub enum SignInPage {
    /// The form could not be read (no token).
    #[oai(status = 400)]
    BadRequest(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// The page.
    #[oai(status = 200)]
    Ok(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// The link was used already, has expired, or is not one of ours.
    #[oai(status = 401)]
    Unauthorized(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// Too many links that did not work from here; try again later.
    #[oai(status = 429)]
    TooManyRequests(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// Signing in is not possible just now.
    #[oai(status = 503)]
    Unavailable(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
}

fn unreadable_form(_: poem::Error) -> SignInPage {
    let (csp, frame, cache, referrer) = headers();
    SignInPage::BadRequest(
        Html(page(
            "Sign in",
            "<h1>Sign in</h1>\n<p>This page needs the link from your sign-in email. \
             Please open the link again, or ask for a new one.</p>",
        )),
        csp,
        frame,
        cache,
        referrer,
    )
}

fn headers() -> (String, String, String, String) {
    (CSP.into(), "DENY".into(), "no-store".into(), "no-referrer".into())
}

fn ok(html: String) -> SignInPage {
    let (csp, frame, cache, referrer) = headers();
    SignInPage::Ok(Html(html), csp, frame, cache, referrer)
}

/// The sign-in page operations.
pub struct SignInPageApi;

#[OpenApi(tag = "Tag::SignIn")]
impl SignInPageApi {
    /// Sign-in page
    ///
    /// Where the emailed sign-in link leads. Opening it uses nothing up: the person presses
    /// "Sign in", which exchanges the one-time token for an access token.
    #[oai(path = "/sign-in", method = "get")]
    async fn show(
        &self,
        /// The one-time token from the emailed link.
        token: Query<Option<String>>,
    ) -> SignInPage {
        let Some(token) = token.0.filter(|t| !t.trim().is_empty() && t.len() <= 200) else {
            return ok(page(
                "Sign in",
                "<h1>Sign in</h1>\n<p>This page needs the link from your sign-in email. \
                 If it has expired, please ask for a new one.</p>",
            ));
        };
        ok(page(
            "Sign in",
            &format!(
                r#"<h1>Sign in to Peertrack</h1>
<p>Press the button to finish signing in. The link works once, for 15 minutes.</p>
<form method="post" action="/sign-in">
<input type="hidden" name="token" value="{}">
<button type="submit" style="font-size:1.1rem;padding:0.6rem 1.2rem;border-radius:0.5rem;border:2px solid #14532d;background:#e3f2e6;color:#14532d;font-weight:700">Sign in</button>
</form>"#,
                escape(&token)
            ),
        ))
    }

    /// Finish signing in
    ///
    /// Exchanges the one-time token (sent as a form field) for an access token and shows it,
    /// with how to use it. A used, expired or unknown token gets a kind explanation (401).
    #[oai(path = "/sign-in", method = "post")]
    async fn finish(&self, state: Data<&AppState>, request: &Request, form: Form<SignInForm>) -> SignInPage {
        let (csp, frame, cache, referrer) = headers();
        let client = crate::rate_limit::client_address(request);
        if state.limits.sign_in_failures.exhausted(&client) {
            return SignInPage::TooManyRequests(
                Html(page(
                    "Please wait a moment",
                    "<h1>Please wait a moment</h1>\n<p>Several sign-in links from here did not work. \
                     Please wait 15 minutes and try again.</p>",
                )),
                csp,
                frame,
                cache,
                referrer,
            );
        }
        let token = form.0.token.trim().to_string();
        let now = state.now();
        match state
            .db
            .write_async(move |conn| sign_in::exchange(conn, &token, now))
            .await
        {
            Ok(Some(session)) => ok(page(
                "You are signed in",
                &format!(
                    r#"<h1>You are signed in</h1>
<p>Your access token works until {until} (UTC). Keep it private, like a password.</p>
<p><code style="word-break:break-all;display:block;background:#fff;border:1px solid #ccc;padding:0.75rem;border-radius:0.5rem">{token}</code></p>
<p>Apps send it with every request as <code>Authorization: Bearer</code> followed by the token.</p>"#,
                    until = session.expires_at.format("%-d %B %Y at %H:%M"),
                    token = escape(&session.access_token),
                ),
            )),
            Ok(None) => {
                state.limits.sign_in_failures.hit(&client);
                SignInPage::Unauthorized(
                    Html(page(
                        "This link has expired",
                        "<h1>This link has already been used or has expired</h1>\n<p>Sign-in links work once, \
                         for 15 minutes. Please ask for a new one; it only takes a moment.</p>",
                    )),
                    csp,
                    frame,
                    cache,
                    referrer,
                )
            }
            Err(_) => SignInPage::Unavailable(
                Html(page(
                    "Please try again shortly",
                    "<h1>Please try again shortly</h1>\n<p>We could not sign you in just now. \
                     Your link still works if it has not expired.</p>",
                )),
                csp,
                frame,
                cache,
                referrer,
            ),
        }
    }
}

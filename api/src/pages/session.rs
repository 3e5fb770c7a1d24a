//! A browser's session and the forms it sends: the session cookie, and the token every form
//! that changes something must carry (CSRF).
//!
//! The session cookie holds a random secret; the server keeps only its hash (core's
//! `sign_in::start_session`), so signing out or `peertrack admin revoke-token` ends it on every
//! instance at once. The cookie is `HttpOnly` and `SameSite=Lax`, and `Secure` when the browser
//! uses `https` (see [`secure`]).
//!
//! Form tokens, written here rather than with poem's `Csrf` middleware because that one needs
//! an encryption key shared by every instance behind a load balancer, which this needs none of:
//! a signed-in person's forms carry a token derived from their session secret (only their
//! browser and the server can compute it); the two forms shown before signing in (the email
//! form, the Sign in button) use a random cookie repeated in the form (double submit), which a
//! page on another site can neither read nor set.

use peertrack_core::access::Caller;
use peertrack_core::service::sign_in;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use sha2::{Digest, Sha256};

use super::PageError;
use crate::server::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "peertrack_session";
/// The cookie that backs the forms shown before signing in.
pub const FORM_COOKIE: &str = "peertrack_form";

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Who is signed in.
    pub caller: Caller,
    /// The token this person's forms carry.
    pub csrf: String,
}

impl Visit {
    /// Refuses a form whose token is not this session's.
    pub fn check(&self, sent: &str) -> Result<(), PageError> {
        if same(sent, &self.csrf) {
            Ok(())
        } else {
            Err(PageError::StaleForm)
        }
    }
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The form token of a session: a hash of its secret under a label of its own.
fn csrf_for(secret: &str) -> String {
    let digest = Sha256::digest(format!("peertrack form token\0{secret}").as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

/// The signed-in person of this browser, if any (an expired or ended session is no session).
pub async fn visit(state: &AppState, jar: &CookieJar) -> Option<Visit> {
    let secret = jar.get(SESSION_COOKIE)?.value_str().to_string();
    if secret.is_empty() || secret.len() > 200 {
        return None;
    }
    let now = state.now();
    let lookup = secret.clone();
    let caller = state
        .db
        .read_async(move |conn| sign_in::caller_for_browser(conn, &lookup, now))
        .await
        .ok()
        .flatten()?;
    Some(Visit {
        caller,
        csrf: csrf_for(&secret),
    })
}

/// The signed-in person, or [`PageError::NotSignedIn`].
pub async fn require(state: &AppState, jar: &CookieJar) -> Result<Visit, PageError> {
    visit(state, jar).await.ok_or(PageError::NotSignedIn)
}

/// Whether cookies must be `Secure`: the browser reached the service over `https`, as a trusted
/// proxy's `X-Forwarded-Proto` (or `Forwarded: proto=`) says; when no trusted proxy says, as the
/// public address says.
pub(crate) fn secure(state: &AppState) -> bool {
    crate::forwarded::current_https().unwrap_or_else(|| state.config.public_url.starts_with("https://"))
}

/// Starts a browser session: sets the cookie, valid until `expires_at`.
pub fn start(state: &AppState, jar: &CookieJar, secret: &str, expires_at: chrono::DateTime<chrono::Utc>) {
    let mut cookie = Cookie::new_with_str(SESSION_COOKIE, secret);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure(state));
    cookie.set_path("/");
    let left = (expires_at - state.now()).num_seconds().max(0);
    cookie.set_max_age(std::time::Duration::from_secs(left as u64));
    jar.add(cookie);
}

/// Forgets the session cookie in this browser.
pub fn end(jar: &CookieJar) {
    jar.remove(SESSION_COOKIE);
}

/// The token for the forms shown before signing in, setting its cookie if the browser has none.
pub fn anonymous_token(state: &AppState, jar: &CookieJar) -> String {
    if let Some(existing) = jar.get(FORM_COOKIE) {
        let value = existing.value_str().to_string();
        if value.len() == 43 {
            return value;
        }
    }
    let token = peertrack_core::store::tokens::new_secret("f")[2..].to_string();
    let mut cookie = Cookie::new_with_str(FORM_COOKIE, &token);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_secure(secure(state));
    cookie.set_path("/");
    jar.add(cookie);
    token
}

/// Refuses a form shown before signing in whose token does not match this browser's cookie.
pub fn check_anonymous(jar: &CookieJar, sent: &str) -> Result<(), PageError> {
    match jar.get(FORM_COOKIE) {
        Some(cookie) if same(cookie.value_str(), sent) => Ok(()),
        _ => Err(PageError::StaleForm),
    }
}

/// The cookie that remembers where to go back to after signing in (a page that asked for it).
pub const RETURN_COOKIE: &str = "peertrack_return";

/// Whether `path` is a path on this site that signing in may return to: relative to the site's
/// root, with no scheme, host or backslash that a browser could read as another site (and
/// nothing a cookie cannot hold).
pub fn is_safe_return(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 600
        && !path.contains(['\\', ';', ',', '"'])
        && path.chars().all(|c| c.is_ascii_graphic())
}

/// Remembers `path` (see [`is_safe_return`]) as where to go after signing in, for an hour.
pub fn remember_return(state: &AppState, jar: &CookieJar, path: &str) {
    if !is_safe_return(path) {
        return;
    }
    let mut cookie = Cookie::new_with_str(RETURN_COOKIE, path);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure(state));
    cookie.set_path("/");
    cookie.set_max_age(std::time::Duration::from_secs(3600));
    jar.add(cookie);
}

/// Where to go after signing in: the remembered page (forgotten now), or `/home`.
pub fn take_return(jar: &CookieJar) -> String {
    let remembered = jar.get(RETURN_COOKIE).map(|c| c.value_str().to_string());
    if remembered.is_some() {
        jar.remove(RETURN_COOKIE);
    }
    remembered
        .filter(|path| is_safe_return(path))
        .unwrap_or_else(|| "/home".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_belong_to_their_session() {
        let a = csrf_for("pts_one");
        assert_eq!(a, csrf_for("pts_one"));
        assert_ne!(a, csrf_for("pts_two"));
        assert_eq!(a.len(), 40);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &csrf_for("pts_two")));
        assert!(!same(&a, ""));
    }

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        assert!(is_safe_return("/check-in?session=a&code=1"));
        for unsafe_path in [
            "https://elsewhere.example",
            "//elsewhere.example/x",
            "/\\elsewhere.example",
            "check-in",
            "/a b",
            "",
        ] {
            assert!(!is_safe_return(unsafe_path), "{unsafe_path}");
        }
    }
}

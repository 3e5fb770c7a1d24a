//! Signing in by email link: a person asks for a link, Peertrack emails a one-time token that
//! works for 15 minutes, and the token is exchanged once for a bearer token.
//!
//! Asking never tells whether the address is known: the caller answers the same either way.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::notify;
use crate::store::access::{self, TokenPurpose};
use crate::store::audit::{self, Actor};
use crate::store::{people, stored, utc, DbConnection};
use crate::Result;

/// How long a sign-in link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);
/// How long the bearer token from a sign-in link works.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// The address a sign-in link points to: the sign-in page with the token.
pub fn link(public_url: &str, token: &str) -> String {
    format!("{}/sign-in?token={token}", public_url.trim_end_matches('/'))
}

/// If a person has this address, makes a one-time token (stored hashed) and queues the email
/// carrying the link, in the caller's transaction; otherwise does nothing. Returns whether an
/// email was queued, which the caller must not reveal.
pub fn request_link(
    conn: &mut DbConnection,
    email: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<bool> {
    let Some(person) = people::by_email(conn, email)? else {
        return Ok(false);
    };
    if person.erased_at.is_some() {
        return Ok(false);
    }
    let expires_at = stored(now + LINK_LIFETIME);
    let (secret, token) =
        access::create_token(conn, &person.id, TokenPurpose::SignIn, expires_at, stored(now))?;
    // The email is worth nothing once the link has expired, so delivery gives up then.
    notify::queue_email_until(
        conn,
        format!("sign_in:{}", token.id),
        notify::SIGN_IN,
        &person,
        json!({
            "name": person.display_name(),
            "link": link(public_url, &secret),
            "minutes": LINK_LIFETIME.num_minutes(),
        }),
        stored(now),
        expires_at,
    )
}

/// A signed-in session: the bearer token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub person_id: String,
    /// The bearer token, shown once.
    pub access_token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Exchanges a sign-in link token for a bearer token, once; `None` when the token is unknown,
/// used or expired, or its person's details were erased.
pub fn exchange(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> Result<Option<SignedIn>> {
    let Some(person_id) = access::consume_token(conn, token, TokenPurpose::SignIn, stored(now))? else {
        return Ok(None);
    };
    let person = people::get(conn, &person_id)?;
    if person.erased_at.is_some() {
        return Ok(None);
    }
    let expires_at = stored(now + SESSION_LIFETIME);
    let (access_token, _) =
        access::create_token(conn, &person.id, TokenPurpose::Access, expires_at, stored(now))?;
    audit::record(
        conn,
        &Actor::Person(person.id.clone()),
        "person.signed_in",
        ("person", &person.id),
        json!({ "by": "email_link" }),
        stored(now),
    )?;
    Ok(Some(SignedIn {
        person_id: person.id,
        access_token,
        expires_at: utc(expires_at),
    }))
}

//! Signing in by email link: a person asks for a link, Peertrack emails a one-time token that
//! works for 15 minutes, and the token is exchanged once for a bearer token.
//!
//! Asking never tells whether the address is known: the caller answers the same either way.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::access::{Caller, Partner};
use crate::notify;
use crate::store::audit::{self, Actor};
use crate::store::tokens::{self, TokenPurpose};
use crate::store::{people, stored, utc, DbConnection};
use crate::Result;

pub use crate::domain::input::is_email_address;
pub use crate::store::people::normalise_email;

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
        tokens::create_token(conn, &person.id, TokenPurpose::SignIn, expires_at, stored(now))?;
    // The email is worth nothing once the link has expired, so delivery gives up then.
    notify::queue_email_until(
        conn,
        format!("sign_in:{}", token.id),
        notify::Email::SignIn,
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

/// A signed-in session: its secret (a bearer token, or a browser's session cookie), shown
/// once, and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub person_id: String,
    /// The bearer token, shown once.
    pub access_token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// What a sign-in link is exchanged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A bearer token for apps (`POST /v1/auth/session`).
    Bearer,
    /// A browser's session, kept in a cookie.
    Browser,
}

/// Exchanges a sign-in link token for a bearer token, once; `None` when the token is unknown,
/// used or expired, or its person's details were erased.
pub fn exchange(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> Result<Option<SignedIn>> {
    start_session(conn, token, SessionKind::Bearer, now)
}

/// Exchanges a sign-in link token for a session of `kind`, once (see [`exchange`]). Sessions
/// are stored hashed, so signing out or `peertrack admin revoke-token` ends them on every
/// instance at once.
pub fn start_session(
    conn: &mut DbConnection,
    token: &str,
    kind: SessionKind,
    now: DateTime<Utc>,
) -> Result<Option<SignedIn>> {
    let Some(person_id) = tokens::consume_token(conn, token, TokenPurpose::SignIn, stored(now))? else {
        return Ok(None);
    };
    let person = people::get(conn, &person_id)?;
    if person.erased_at.is_some() {
        return Ok(None);
    }
    let expires_at = stored(now + SESSION_LIFETIME);
    let purpose = match kind {
        SessionKind::Bearer => TokenPurpose::Access,
        SessionKind::Browser => TokenPurpose::Web,
    };
    let (access_token, _) = tokens::create_token(conn, &person.id, purpose, expires_at, stored(now))?;
    audit::record(
        conn,
        &Actor::Person(person.id.clone()),
        "person.signed_in",
        ("person", &person.id),
        json!({ "by": "email_link", "session": match kind { SessionKind::Bearer => "bearer", SessionKind::Browser => "browser" } }),
        stored(now),
    )?;
    Ok(Some(SignedIn {
        person_id: person.id,
        access_token,
        expires_at: utc(expires_at),
    }))
}

/// The signed-in person a browser's session belongs to, if it is usable.
pub fn caller_for_browser(
    conn: &mut DbConnection,
    session: &str,
    now: DateTime<Utc>,
) -> Result<Option<Caller>> {
    caller_for(conn, session, TokenPurpose::Web, now)
}

/// The signed-in person a bearer token belongs to, if it is usable: not expired, not revoked,
/// and its person's details not erased.
pub fn caller_for_token(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> Result<Option<Caller>> {
    caller_for(conn, token, TokenPurpose::Access, now)
}

fn caller_for(
    conn: &mut DbConnection,
    secret: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Option<Caller>> {
    Ok(tokens::holder_of_token(conn, secret, purpose, stored(now))?
        .map(|(token_id, person_id, is_admin)| Caller::person(person_id, is_admin, token_id)))
}

/// The partner an API key belongs to, if the key is usable.
pub fn partner_for_key(conn: &mut DbConnection, key: &str) -> Result<Option<Partner>> {
    Ok(tokens::api_key(conn, key)?.map(|k| Partner {
        organisation_id: k.organisation_id,
        api_key_id: k.id,
    }))
}

/// Ends the session the caller signed in with; their other sessions carry on.
pub fn sign_out(conn: &mut DbConnection, caller: &Caller, now: DateTime<Utc>) -> Result<()> {
    let Caller::Person {
        person_id,
        session_id,
        ..
    } = caller
    else {
        return Ok(());
    };
    if tokens::revoke_token(conn, session_id, stored(now))? {
        audit::record(
            conn,
            &caller.actor(),
            "person.signed_out",
            ("person", person_id),
            json!({}),
            stored(now),
        )?;
    }
    Ok(())
}

/// How long a token from `peertrack admin token` lasts unless told otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 30;

/// Makes a bearer token for the person with this email, for `days` days; the operator at the
/// command line may. Returns the secret.
pub fn issue_token(
    conn: &mut DbConnection,
    caller: &Caller,
    email: &str,
    days: i64,
    now: DateTime<Utc>,
) -> Result<String> {
    caller.require_admin()?;
    let person = person_with_email(conn, email)?;
    let token = token_for(conn, &person.id, Duration::days(days), now)?;
    audit::record(
        conn,
        &caller.actor(),
        "token.issued",
        ("person", &person.id),
        json!({ "days": days }),
        stored(now),
    )?;
    Ok(token)
}

fn person_with_email(conn: &mut DbConnection, email: &str) -> Result<people::Person> {
    people::by_email(conn, email)?
        .ok_or_else(|| crate::Error::invalid("email", "no person has that email address here"))
}

/// Makes a bearer token for a person, lasting `lifetime`; returns the secret. For the command
/// line (through [`issue_token`]) and for tests that need a signed-in person.
pub fn token_for(
    conn: &mut DbConnection,
    person_id: &str,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> Result<String> {
    let (secret, _) = tokens::create_token(
        conn,
        person_id,
        TokenPurpose::Access,
        stored(now + lifetime),
        stored(now),
    )?;
    Ok(secret)
}

/// Revokes every token of the person with this email; the operator may. Returns how many.
pub fn revoke_tokens(
    conn: &mut DbConnection,
    caller: &Caller,
    email: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    caller.require_admin()?;
    let person = person_with_email(conn, email)?;
    let revoked = tokens::revoke_tokens_of(conn, &person.id, stored(now))?;
    audit::record(
        conn,
        &caller.actor(),
        "token.revoked",
        ("person", &person.id),
        json!({ "count": revoked }),
        stored(now),
    )?;
    Ok(revoked)
}

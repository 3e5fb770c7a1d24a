//! Credentials: people's bearer tokens (and sign-in link tokens) and partner API keys.
//! Only a SHA-256 hash of each secret is stored; the secret is shown once.

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::schema::{access_tokens, api_keys, people};
use super::{new_id, DbConnection, FoundOr};
use crate::Result;

/// A new random secret with a readable prefix, e.g. `pt_…` (256 bits of randomness).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a secret. The secrets are random and long, so a fast hash is enough.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    crate::credential::hex(&digest)
}

/// What a person's token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// A bearer token for the API.
    Access,
    /// A one-time sign-in link token, exchanged for an access token or a web session.
    SignIn,
    /// A browser's session, carried in a cookie.
    Web,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Access => "access",
            TokenPurpose::SignIn => "sign_in",
            TokenPurpose::Web => "web",
        }
    }
}

/// A stored token (its hash, never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct AccessToken {
    /// Its id.
    pub id: String,
    /// Whose it is.
    pub person_id: String,
    /// `access` or `sign_in`.
    pub purpose: String,
    /// SHA-256 of the secret.
    pub token_hash: String,
    /// When it stops working.
    pub expires_at: NaiveDateTime,
    /// When a single-use token was used.
    pub used_at: Option<NaiveDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<NaiveDateTime>,
    /// When it was made.
    pub created_at: NaiveDateTime,
}

/// Makes a token for a person; returns the secret (shown once) and the stored row.
pub fn create_token(
    conn: &mut DbConnection,
    person_id: &str,
    purpose: TokenPurpose,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(String, AccessToken)> {
    let secret = new_secret(match purpose {
        TokenPurpose::Access => "pt",
        TokenPurpose::SignIn => "ptl",
        TokenPurpose::Web => "pts",
    });
    let token = AccessToken {
        id: new_id(),
        person_id: person_id.to_string(),
        purpose: purpose.as_str().to_string(),
        token_hash: hash_secret(&secret),
        expires_at,
        used_at: None,
        revoked_at: None,
        created_at: now,
    };
    diesel::insert_into(access_tokens::table)
        .values(&token)
        .execute(conn)?;
    Ok((secret, token))
}

/// The token whose secret hashes to `hash`, if it is usable for `purpose`: not expired, not
/// revoked, not used. The one definition of a usable token, for both look-ups below.
#[diesel::dsl::auto_type]
fn usable<'a>(hash: &'a str, purpose: &'a str, now: NaiveDateTime) -> _ {
    access_tokens::token_hash
        .eq(hash)
        .and(access_tokens::purpose.eq(purpose))
        .and(access_tokens::expires_at.gt(now))
        .and(access_tokens::revoked_at.is_null())
        .and(access_tokens::used_at.is_null())
}

/// The person a usable token of this purpose belongs to: not expired, not revoked, not used.
pub fn person_for_token(
    conn: &mut DbConnection,
    secret: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> Result<Option<AccessToken>> {
    let hash = hash_secret(secret);
    Ok(access_tokens::table
        .filter(usable(&hash, purpose.as_str(), now))
        .select(AccessToken::as_select())
        .first(conn)
        .optional()?)
}

/// Who holds a usable token of this purpose, in one statement: the token's id, and its
/// person's id and whether they administer, unless their details were erased.
pub fn holder_of_token(
    conn: &mut DbConnection,
    secret: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> Result<Option<(String, String, bool)>> {
    let hash = hash_secret(secret);
    Ok(access_tokens::table
        .inner_join(people::table)
        .filter(usable(&hash, purpose.as_str(), now))
        .filter(people::erased_at.is_null())
        .select((access_tokens::id, people::id, people::is_admin))
        .first(conn)
        .optional()?)
}

/// Uses a single-use token: succeeds for exactly one caller, even under concurrency.
pub fn consume_token(
    conn: &mut DbConnection,
    secret: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> Result<Option<String>> {
    let Some(token) = person_for_token(conn, secret, purpose, now)? else {
        return Ok(None);
    };
    let changed = diesel::update(
        access_tokens::table
            .filter(access_tokens::id.eq(&token.id))
            .filter(access_tokens::used_at.is_null()),
    )
    .set(access_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok((changed == 1).then_some(token.person_id))
}

/// Revokes one token (signing out); returns whether it was live until now.
pub fn revoke_token(conn: &mut DbConnection, token_id: &str, now: NaiveDateTime) -> Result<bool> {
    let changed = diesel::update(
        access_tokens::table
            .filter(access_tokens::id.eq(token_id))
            .filter(access_tokens::revoked_at.is_null()),
    )
    .set(access_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Revokes every token of a person; returns how many.
pub fn revoke_tokens_of(conn: &mut DbConnection, person_id: &str, now: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        access_tokens::table
            .filter(access_tokens::person_id.eq(person_id))
            .filter(access_tokens::revoked_at.is_null()),
    )
    .set(access_tokens::revoked_at.eq(now))
    .execute(conn)?)
}

/// A partner organisation's API key (its hash).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = api_keys, treat_none_as_default_value = false)]
pub struct ApiKey {
    /// Its id.
    pub id: String,
    /// The organisation.
    pub organisation_id: String,
    /// A name to tell keys apart, e.g. "HR system".
    pub name: String,
    /// SHA-256 of the key.
    pub key_hash: String,
    /// When made.
    pub created_at: NaiveDateTime,
    /// When revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Makes an API key for an organisation; returns the key (shown once) and the stored row.
pub fn create_api_key(
    conn: &mut DbConnection,
    organisation_id: &str,
    name: &str,
    now: NaiveDateTime,
) -> Result<(String, ApiKey)> {
    let secret = new_secret("ptk");
    let key = ApiKey {
        id: new_id(),
        organisation_id: organisation_id.to_string(),
        name: name.to_string(),
        key_hash: hash_secret(&secret),
        created_at: now,
        revoked_at: None,
    };
    diesel::insert_into(api_keys::table).values(&key).execute(conn)?;
    Ok((secret, key))
}

/// The live API key matching this secret, if any.
pub fn api_key(conn: &mut DbConnection, secret: &str) -> Result<Option<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(hash_secret(secret)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

/// One API key by id (its hash, never the key).
pub fn api_key_by_id(conn: &mut DbConnection, id: &str) -> Result<ApiKey> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .found_or("API key")
}

/// An organisation's API keys, revoked ones included, oldest first.
pub fn api_keys_of(conn: &mut DbConnection, organisation_id: &str) -> Result<Vec<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::organisation_id.eq(organisation_id))
        .order((api_keys::created_at, api_keys::id))
        .select(ApiKey::as_select())
        .load(conn)?)
}

/// Revokes an API key; the next request made with it is refused. Revoking a revoked key
/// keeps the time it was first revoked.
pub fn revoke_api_key(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<()> {
    let changed = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    if changed == 0 {
        // Already revoked is fine; no such key is not.
        api_key_by_id(conn, id)?;
    }
    Ok(())
}

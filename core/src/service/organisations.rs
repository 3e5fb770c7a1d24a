//! Organisations (course providers, placement hosts, partner employers) and their partner
//! systems' API keys. Administrators keep them, over the API or at the command line.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::Caller;
use crate::domain::input::{Checks, NAME_MAX};
use crate::store::organisations;
pub use crate::store::organisations::Organisation;
use crate::store::tokens;
pub use crate::store::tokens::ApiKey;
use crate::store::{audit, stored, DbConnection};
use crate::{Error, Result};

/// Adds an organisation; names are unique. Administrators only.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Organisation> {
    caller.require_admin()?;
    Checks::new().name("name", name, NAME_MAX).finish()?;
    let now = stored(now);
    let organisation = organisations::create(conn, name.trim(), now)?;
    audit::record(
        conn,
        &caller.actor(),
        "organisation.created",
        ("organisation", &organisation.id),
        json!({ "name": organisation.name }),
        now,
    )?;
    Ok(organisation)
}

/// Organisations by name after `after`, for anyone signed in (to choose whom to share with).
pub fn list(
    conn: &mut DbConnection,
    _caller: &Caller,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Organisation>> {
    organisations::list(conn, after, limit)
}

/// Every API key an organisation's systems have had, revoked ones included. Administrators.
pub fn api_keys(conn: &mut DbConnection, caller: &Caller, organisation_id: &str) -> Result<Vec<ApiKey>> {
    caller.require_admin()?;
    organisations::get(conn, organisation_id)?;
    tokens::api_keys_of(conn, organisation_id)
}

/// Makes an API key for one of an organisation's systems; returns the key (shown once) and
/// its record. Administrators.
pub fn create_api_key(
    conn: &mut DbConnection,
    caller: &Caller,
    organisation_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiKey)> {
    caller.require_admin()?;
    Checks::new().name("name", name, NAME_MAX).finish()?;
    let now = stored(now);
    organisations::get(conn, organisation_id)?;
    let (secret, key) = tokens::create_api_key(conn, organisation_id, name.trim(), now)?;
    audit::record(
        conn,
        &caller.actor(),
        "api_key.created",
        ("api_key", &key.id),
        json!({ "organisation_id": organisation_id, "name": key.name }),
        now,
    )?;
    Ok((secret, key))
}

/// Revokes an API key: the next request made with it is refused. With `organisation_id`,
/// another organisation's key reads exactly like no key at all. Revoking twice changes
/// nothing. Administrators.
pub fn revoke_api_key(
    conn: &mut DbConnection,
    caller: &Caller,
    organisation_id: Option<&str>,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<ApiKey> {
    caller.require_admin()?;
    if let Some(organisation_id) = organisation_id {
        organisations::get(conn, organisation_id)?;
    }
    let key = tokens::api_key_by_id(conn, key_id)?;
    if organisation_id.is_some_and(|o| o != key.organisation_id) {
        return Err(Error::NotFound("API key"));
    }
    if key.revoked_at.is_none() {
        let now = stored(now);
        tokens::revoke_api_key(conn, &key.id, now)?;
        audit::record(
            conn,
            &caller.actor(),
            "api_key.revoked",
            ("api_key", &key.id),
            json!({ "organisation_id": key.organisation_id }),
            now,
        )?;
    }
    tokens::api_key_by_id(conn, key_id)
}

//! Sharing: a person chooses which organisations may see that they are qualified. Every change
//! goes to the partner's change feed and webhooks, and to the audit trail.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::Caller;
use crate::service::webhooks;
use crate::store::audit::{self, Actor};
use crate::store::changes::{self, kind};
use crate::store::consents;
use crate::store::organisations::{self, Organisation};
use crate::store::{stored, DbConnection};
use crate::Result;

/// Starts sharing the caller's qualification status with an organisation (no change if
/// already sharing). Returns the consent, the organisation, and whether it is new.
pub fn share(
    conn: &mut DbConnection,
    caller: &Caller,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<(Consent, Organisation, bool)> {
    let person_id = caller.require_person()?;
    let organisation = organisations::get(conn, organisation_id)?;
    let (consent, created) = grant_consent(conn, person_id, organisation_id, now)?;
    Ok((consent, organisation, created))
}

/// Stops sharing the caller's status with an organisation, from the partner's next request.
pub fn stop_sharing(
    conn: &mut DbConnection,
    caller: &Caller,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let person_id = caller.require_person()?;
    withdraw_consent(conn, person_id, organisation_id, now)
}

/// Every organisation the caller shares (or shared) with, and when, with its name.
pub fn mine(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<(Consent, Organisation)>> {
    let person_id = caller.require_person()?;
    let mut found = Vec::new();
    for consent in consents::history(conn, person_id)? {
        let organisation = organisations::get(conn, &consent.organisation_id)?;
        found.push((consent, organisation));
    }
    Ok(found)
}

/// Starts sharing with an organisation (no change if already sharing). Returns whether new.
pub(crate) fn grant_consent(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<(Consent, bool)> {
    organisations::get(conn, organisation_id)?;
    let (consent, created) = consents::grant(conn, person_id, organisation_id, stored(now))?;
    if created {
        announce_consent_change(
            conn,
            kind::CONSENT_GRANTED,
            "consent.granted",
            person_id,
            organisation_id,
            now,
        )?;
    }
    Ok((consent, created))
}

/// Stops sharing with an organisation; effective on the partner's next request.
pub(crate) fn withdraw_consent(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    organisations::get(conn, organisation_id)?;
    let withdrawn = consents::withdraw(conn, person_id, organisation_id, stored(now))?;
    if withdrawn {
        announce_consent_change(
            conn,
            kind::CONSENT_WITHDRAWN,
            "consent.withdrawn",
            person_id,
            organisation_id,
            now,
        )?;
    }
    Ok(withdrawn)
}

/// A consent change goes to the feed, the partner's webhooks and the audit trail.
fn announce_consent_change(
    conn: &mut DbConnection,
    event_kind: &str,
    action: &str,
    person_id: &str,
    organisation_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let event = changes::consent_changed(conn, event_kind, person_id, organisation_id, stored(now))?;
    webhooks::announce(conn, &event, stored(now))?;
    audit::record(
        conn,
        &Actor::Person(person_id.to_string()),
        action,
        ("organisation", organisation_id),
        json!({}),
        stored(now),
    )
}

pub use crate::store::consents::Consent;

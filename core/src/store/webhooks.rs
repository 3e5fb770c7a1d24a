//! Webhooks partners register to be told of register changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{consents, webhooks};
use super::{DbConnection, FoundOr};
use crate::Result;

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The partner organisation.
    pub organisation_id: String,
    /// Where events are posted.
    pub url: String,
    /// The HMAC-SHA256 key that signs each delivery.
    pub secret: String,
    /// When registered.
    pub created_at: NaiveDateTime,
    /// When removed.
    pub disabled_at: Option<NaiveDateTime>,
}

/// Registers a webhook.
pub fn create(conn: &mut DbConnection, webhook: &Webhook) -> Result<()> {
    diesel::insert_into(webhooks::table)
        .values(webhook)
        .execute(conn)?;
    Ok(())
}

/// One webhook by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Webhook> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .found_or("webhook")
}

/// An organisation's active webhooks.
pub fn of_organisation(conn: &mut DbConnection, organisation_id: &str) -> Result<Vec<Webhook>> {
    Ok(webhooks::table
        .filter(webhooks::organisation_id.eq(organisation_id))
        .filter(webhooks::disabled_at.is_null())
        .order(webhooks::created_at)
        .select(Webhook::as_select())
        .load(conn)?)
}

/// Active webhooks of the organisations a person currently shares with.
pub fn of_organisations_shared_with(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Webhook>> {
    let sharing = consents::table
        .filter(consents::person_id.eq(person_id.to_string()))
        .filter(consents::withdrawn_at.is_null())
        .select(consents::organisation_id);
    Ok(webhooks::table
        .filter(webhooks::organisation_id.eq_any(sharing))
        .filter(webhooks::disabled_at.is_null())
        .select(Webhook::as_select())
        .load(conn)?)
}

/// Stops deliveries to a webhook.
pub fn disable(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<()> {
    diesel::update(webhooks::table.find(id))
        .set(webhooks::disabled_at.eq(now))
        .execute(conn)?;
    Ok(())
}

//! Consent: a person shares their qualification status with an organisation, until they stop.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::consents;
use super::{new_id, DbConnection};
use crate::{Error, Result};

/// A consent, current or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = consents, treat_none_as_default_value = false)]
pub struct Consent {
    /// Its id.
    pub id: String,
    /// The person sharing.
    pub person_id: String,
    /// The organisation shared with.
    pub organisation_id: String,
    /// When given.
    pub granted_at: NaiveDateTime,
    /// When withdrawn; `None` while current.
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// Shares with an organisation; returns the current consent (existing or new).
pub fn grant(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: NaiveDateTime,
) -> Result<(Consent, bool)> {
    if let Some(current) = current(conn, person_id, organisation_id)? {
        return Ok((current, false));
    }
    let consent = Consent {
        id: new_id(),
        person_id: person_id.to_string(),
        organisation_id: organisation_id.to_string(),
        granted_at: now,
        withdrawn_at: None,
    };
    // A grant at the same moment (a second click) may win the race for the one current
    // consent: DO NOTHING keeps this transaction usable on PostgreSQL, and theirs is returned.
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(consents::table)
            .values(&consent)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(consents::table)
            .values(&consent)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    if inserted == 0 {
        let current = current(conn, person_id, organisation_id)?
            .ok_or_else(|| Error::Conflict("the consent changed at the same time; try again".into()))?;
        return Ok((current, false));
    }
    Ok((consent, true))
}

/// Stops sharing; returns whether there was a current consent to withdraw.
pub fn withdraw(
    conn: &mut DbConnection,
    person_id: &str,
    organisation_id: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        consents::table
            .filter(consents::person_id.eq(person_id))
            .filter(consents::organisation_id.eq(organisation_id))
            .filter(consents::withdrawn_at.is_null()),
    )
    .set(consents::withdrawn_at.eq(now))
    .execute(conn)?;
    Ok(changed > 0)
}

/// The current consent to this organisation, if any.
pub fn current(conn: &mut DbConnection, person_id: &str, organisation_id: &str) -> Result<Option<Consent>> {
    Ok(consents::table
        .filter(consents::person_id.eq(person_id))
        .filter(consents::organisation_id.eq(organisation_id))
        .filter(consents::withdrawn_at.is_null())
        .select(Consent::as_select())
        .first(conn)
        .optional()?)
}

/// Every consent a person has given, withdrawn ones included, oldest first.
pub fn history(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Consent>> {
    Ok(consents::table
        .filter(consents::person_id.eq(person_id))
        .order((consents::granted_at, consents::id))
        .select(Consent::as_select())
        .load(conn)?)
}

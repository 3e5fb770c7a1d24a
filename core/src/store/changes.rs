//! The change feed partners sync from: certificates issued, renewed, revoked or expired,
//! consents given or withdrawn, and people's names corrected. Written in the transaction that makes the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::change_events;
use super::DbConnection;
use crate::Result;

/// Kinds of change.
pub mod kind {
    /// A certificate was issued.
    pub const CERTIFICATE_ISSUED: &str = "certificate.issued";
    /// A certificate's expiry moved on.
    pub const CERTIFICATE_RENEWED: &str = "certificate.renewed";
    /// A certificate was revoked.
    pub const CERTIFICATE_REVOKED: &str = "certificate.revoked";
    /// A certificate reached its expiry date.
    pub const CERTIFICATE_EXPIRED: &str = "certificate.expired";
    /// A person began sharing with an organisation.
    pub const CONSENT_GRANTED: &str = "consent.granted";
    /// A person stopped sharing with an organisation.
    pub const CONSENT_WITHDRAWN: &str = "consent.withdrawn";
    /// A person's name was corrected (the contract spells this kind with an underscore).
    pub const PERSON_RENAMED: &str = "person_renamed";
}

/// A change in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = change_events)]
pub struct ChangeEvent {
    /// Position in the feed.
    pub id: i64,
    /// What happened (see [`kind`]).
    pub kind: String,
    /// The person it is about.
    pub person_id: String,
    /// The certificate, for certificate events.
    pub certificate_id: Option<String>,
    /// The organisation, for consent events.
    pub organisation_id: Option<String>,
    /// The programme, for certificate events.
    pub programme_id: Option<String>,
    /// When.
    pub occurred_at: NaiveDateTime,
}

/// A change to add to the feed (its position is given on insert).
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = change_events, treat_none_as_default_value = false)]
pub struct NewChange {
    /// What happened (see [`kind`]).
    pub kind: String,
    /// The person it is about.
    pub person_id: String,
    /// The certificate, for certificate events.
    pub certificate_id: Option<String>,
    /// The organisation, for consent events.
    pub organisation_id: Option<String>,
    /// The programme, for certificate events.
    pub programme_id: Option<String>,
    /// When.
    pub occurred_at: NaiveDateTime,
}

/// Keeps feed positions in commit order on PostgreSQL: a reader that has seen position N must
/// never later find a smaller position appear. Changes are rare, so taking turns costs little.
/// (SQLite has one writer at a time already.)
fn in_commit_order(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7341)").execute(c)?;
    }
    Ok(())
}

/// Records a certificate change; returns the new event.
pub fn certificate_changed(
    conn: &mut DbConnection,
    kind: &str,
    person_id: &str,
    certificate_id: &str,
    programme_id: &str,
    now: NaiveDateTime,
) -> Result<ChangeEvent> {
    in_commit_order(conn)?;
    let row = (
        change_events::kind.eq(kind),
        change_events::person_id.eq(person_id),
        change_events::certificate_id.eq(certificate_id),
        change_events::programme_id.eq(programme_id),
        change_events::occurred_at.eq(now),
    );
    insert_returning(conn, row)
}

/// Inserts an event and reads it back.
fn insert_returning<R>(conn: &mut DbConnection, row: R) -> Result<ChangeEvent>
where
    R: diesel::Insertable<change_events::table> + Clone,
    diesel::query_builder::InsertStatement<change_events::table, R::Values>:
        diesel::query_dsl::methods::ExecuteDsl<DbConnection>,
{
    diesel::insert_into(change_events::table)
        .values(row)
        .execute(conn)?;
    // Inserts into the feed take turns (see `in_commit_order`), so the newest row is ours.
    Ok(change_events::table
        .order(change_events::id.desc())
        .select(ChangeEvent::as_select())
        .first(conn)?)
}

/// Records a consent change; returns the new event.
pub fn consent_changed(
    conn: &mut DbConnection,
    kind: &str,
    person_id: &str,
    organisation_id: &str,
    now: NaiveDateTime,
) -> Result<ChangeEvent> {
    in_commit_order(conn)?;
    let row = (
        change_events::kind.eq(kind),
        change_events::person_id.eq(person_id),
        change_events::organisation_id.eq(organisation_id),
        change_events::occurred_at.eq(now),
    );
    insert_returning(conn, row)
}

/// Records a change to a person themselves (their name); returns the new event.
pub fn person_changed(
    conn: &mut DbConnection,
    kind: &str,
    person_id: &str,
    now: NaiveDateTime,
) -> Result<ChangeEvent> {
    in_commit_order(conn)?;
    let row = (
        change_events::kind.eq(kind),
        change_events::person_id.eq(person_id),
        change_events::occurred_at.eq(now),
    );
    insert_returning(conn, row)
}

/// Changes after position `after`, oldest first.
pub fn after(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<ChangeEvent>> {
    Ok(change_events::table
        .filter(change_events::id.gt(after))
        .order(change_events::id)
        .limit(limit)
        .select(ChangeEvent::as_select())
        .load(conn)?)
}

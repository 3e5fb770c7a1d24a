//! The audit trail: who changed what, and when. Written in the same transaction as the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_events;
use super::DbConnection;
use crate::Result;

/// Who did something: a person, or the system itself (the command line, the scheduler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    Person(String),
    /// Peertrack itself, e.g. `cli` or `scheduler`.
    System(&'static str),
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    /// Position in the trail.
    pub id: i64,
    /// The person who acted, if a person.
    pub actor_id: Option<String>,
    /// The person's id or the system part that acted.
    pub actor_label: String,
    /// What was done, e.g. `attendance.replaced`.
    pub action: String,
    /// The kind of thing changed, e.g. `session`.
    pub entity_kind: String,
    /// Its id.
    pub entity_id: String,
    /// Details as JSON.
    pub details: String,
    /// When.
    pub occurred_at: NaiveDateTime,
}

/// Records a change.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    entity: (&str, &str),
    details: serde_json::Value,
    now: NaiveDateTime,
) -> Result<()> {
    let (actor_id, label) = match actor {
        Actor::Person(id) => (Some(id.clone()), id.clone()),
        Actor::System(part) => (None, (*part).to_string()),
    };
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::actor_id.eq(actor_id),
            audit_events::actor_label.eq(label),
            audit_events::action.eq(action),
            audit_events::entity_kind.eq(entity.0),
            audit_events::entity_id.eq(entity.1),
            audit_events::details.eq(details.to_string()),
            audit_events::occurred_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Audit events in trail order after position `after`, optionally for one entity.
pub fn list(
    conn: &mut DbConnection,
    entity: Option<(&str, &str)>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id)
        .limit(limit)
        .into_boxed();
    if let Some((kind, id)) = entity {
        query = query
            .filter(audit_events::entity_kind.eq(kind.to_string()))
            .filter(audit_events::entity_id.eq(id.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after));
    }
    Ok(query.load(conn)?)
}

//! The audit trail, as administrators read it.

use crate::access::Caller;
use crate::store::audit::{self, AuditEvent};
use crate::store::DbConnection;
use crate::{Error, Result};

/// Events in trail order after position `after`, optionally only those about one thing
/// (`entity_kind` and `entity_id` together). Administrators only.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    entity_kind: Option<&str>,
    entity_id: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    caller.require_admin()?;
    let entity = match (entity_kind, entity_id) {
        (Some(kind), Some(id)) => Some((kind, id)),
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                "entity_id",
                "give entity_kind and entity_id together",
            ))
        }
    };
    audit::list(conn, entity, after, limit)
}

//! Organisations: course providers, placement hosts and partner employers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::organisations;
use super::{is_unique_violation, new_id, DbConnection, FoundOr};
use crate::{Error, Result};

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    /// Its id.
    pub id: String,
    /// Its name, unique.
    pub name: String,
    /// When it was added.
    pub created_at: NaiveDateTime,
}

/// Adds an organisation; names are unique.
pub fn create(conn: &mut DbConnection, name: &str, now: NaiveDateTime) -> Result<Organisation> {
    let organisation = Organisation {
        id: new_id(),
        name: name.trim().to_string(),
        created_at: now,
    };
    match diesel::insert_into(organisations::table)
        .values(&organisation)
        .execute(conn)
    {
        Ok(_) => Ok(organisation),
        Err(e) if is_unique_violation(&e) => Err(Error::Conflict(format!(
            "an organisation called {:?} already exists",
            organisation.name
        ))),
        Err(e) => Err(e.into()),
    }
}

/// One organisation by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Organisation> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .found_or("organisation")
}

/// The names of these organisations, by id, in one query (ids not found are left out).
pub fn names(conn: &mut DbConnection, ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
    let mut found = std::collections::HashMap::new();
    // Well under either database's limit on bound parameters.
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(String, String)> = organisations::table
            .filter(organisations::id.eq_any(chunk))
            .select((organisations::id, organisations::name))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// Organisations in name order, after the name `after`.
pub fn list(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> Result<Vec<Organisation>> {
    let mut query = organisations::table
        .select(Organisation::as_select())
        .order(organisations::name)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(organisations::name.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

//! Programmes and their immutable published versions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{programme_versions, programmes};
use super::{new_id, DbConnection, FoundOr};
use crate::domain::ProgrammeDefinition;
use crate::{Error, Result};

/// One published version of a programme, with its full definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeVersion {
    /// The programme's id.
    pub programme_id: String,
    /// This version's id; cohorts point here.
    pub version_id: String,
    /// The definition as published (modules, rule).
    pub definition: ProgrammeDefinition,
    /// When this version was published.
    pub published_at: NaiveDateTime,
}

/// What publishing a definition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// A new programme, at its first version.
    NewProgramme,
    /// A new version of an existing programme.
    NewVersion,
    /// That exact version was already published.
    Unchanged,
}

type VersionRow = (String, String, String, NaiveDateTime);

fn from_row((programme_id, version_id, definition, published_at): VersionRow) -> Result<ProgrammeVersion> {
    let definition: ProgrammeDefinition = serde_json::from_str(&definition)
        .map_err(|e| Error::Corrupt(format!("programme definition: {e}")))?;
    Ok(ProgrammeVersion {
        programme_id,
        version_id,
        definition,
        published_at,
    })
}

fn version_columns() -> (
    programme_versions::programme_id,
    programme_versions::id,
    programme_versions::definition,
    programme_versions::published_at,
) {
    (
        programme_versions::programme_id,
        programme_versions::id,
        programme_versions::definition,
        programme_versions::published_at,
    )
}

/// Publishes a programme definition. A published version never changes: publishing different
/// content under an existing version number is refused; raise the version instead.
pub fn publish(
    conn: &mut DbConnection,
    definition: &ProgrammeDefinition,
    now: NaiveDateTime,
) -> Result<Published> {
    definition
        .check()
        .map_err(|e| Error::invalid("definition", e.to_string()))?;
    let existing: Option<String> = programmes::table
        .filter(programmes::code.eq(&definition.code))
        .select(programmes::id)
        .first(conn)
        .optional()?;
    let (programme_id, outcome) = match existing {
        Some(id) => {
            let latest = current_of(conn, &id)?;
            if latest.definition.version == definition.version {
                if latest.definition == *definition {
                    return Ok(Published::Unchanged);
                }
                return Err(Error::Conflict(format!(
                    "version {} of {} is already published with different content; raise the version number",
                    definition.version, definition.code
                )));
            }
            if definition.version < latest.definition.version {
                return Ok(Published::Unchanged);
            }
            (id, Published::NewVersion)
        }
        None => {
            let id = new_id();
            diesel::insert_into(programmes::table)
                .values((
                    programmes::id.eq(&id),
                    programmes::code.eq(&definition.code),
                    programmes::created_at.eq(now),
                ))
                .execute(conn)?;
            (id, Published::NewProgramme)
        }
    };
    let json = serde_json::to_string(definition).map_err(|e| Error::Corrupt(e.to_string()))?;
    diesel::insert_into(programme_versions::table)
        .values((
            programme_versions::id.eq(new_id()),
            programme_versions::programme_id.eq(&programme_id),
            programme_versions::version.eq(definition.version as i32),
            programme_versions::title.eq(&definition.title),
            programme_versions::definition.eq(json),
            programme_versions::published_at.eq(now),
        ))
        .execute(conn)?;
    Ok(outcome)
}

fn current_of(conn: &mut DbConnection, programme_id: &str) -> Result<ProgrammeVersion> {
    let row: VersionRow = programme_versions::table
        .filter(programme_versions::programme_id.eq(programme_id))
        .order(programme_versions::version.desc())
        .select(version_columns())
        .first(conn)
        .found_or("programme")?;
    from_row(row)
}

/// The id of the programme with this code, if there is one: one indexed look-up, without
/// reading its definition.
pub fn id_of(conn: &mut DbConnection, code: &str) -> Result<Option<String>> {
    Ok(programmes::table
        .filter(programmes::code.eq(code))
        .select(programmes::id)
        .first(conn)
        .optional()?)
}

/// The current (latest) version of the programme with this code.
pub fn current(conn: &mut DbConnection, code: &str) -> Result<ProgrammeVersion> {
    let id: String = programmes::table
        .filter(programmes::code.eq(code))
        .select(programmes::id)
        .first(conn)
        .found_or("programme")?;
    current_of(conn, &id)
}

/// Every published version of the programme with this code, newest first.
pub fn versions_of(conn: &mut DbConnection, code: &str) -> Result<Vec<ProgrammeVersion>> {
    let id: String = programmes::table
        .filter(programmes::code.eq(code))
        .select(programmes::id)
        .first(conn)
        .found_or("programme")?;
    let rows: Vec<VersionRow> = programme_versions::table
        .filter(programme_versions::programme_id.eq(id))
        .order(programme_versions::version.desc())
        .select(version_columns())
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// Versions already read, by id. A published version never changes and its id is random, so
/// what was read once is the same on every instance and for ever: a learner's progress page
/// read and parsed its programme's definition twice on every request. A few hundred versions
/// are published in a service's life, so the map is only emptied when it is unexpectedly
/// large (written here because a map behind a lock is all it takes).
static READ_VERSIONS: std::sync::LazyLock<std::sync::RwLock<HashMap<String, ProgrammeVersion>>> =
    std::sync::LazyLock::new(Default::default);

/// The most versions [`READ_VERSIONS`] keeps.
const VERSIONS_KEPT: usize = 1_000;

/// One version by its id.
pub fn version(conn: &mut DbConnection, version_id: &str) -> Result<ProgrammeVersion> {
    let read = READ_VERSIONS.read().unwrap_or_else(|p| p.into_inner());
    if let Some(version) = read.get(version_id) {
        return Ok(version.clone());
    }
    drop(read);
    let row: VersionRow = programme_versions::table
        .find(version_id)
        .select(version_columns())
        .first(conn)
        .found_or("programme version")?;
    let version = from_row(row)?;
    let mut kept = READ_VERSIONS.write().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= VERSIONS_KEPT {
        kept.clear();
    }
    kept.insert(version.version_id.clone(), version.clone());
    Ok(version)
}

/// The titles of these programme versions, by version id: for lists that name a cohort's
/// programme and need nothing else of it (no definition read or parsed).
pub fn titles(conn: &mut DbConnection, version_ids: &[String]) -> Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    // Well under either database's limit on bound parameters.
    for chunk in version_ids.chunks(1_000) {
        let rows: Vec<(String, String)> = programme_versions::table
            .filter(programme_versions::id.eq_any(chunk))
            .select((programme_versions::id, programme_versions::title))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// The current version of every programme, by code.
pub fn list_current(conn: &mut DbConnection) -> Result<Vec<ProgrammeVersion>> {
    let ids: Vec<String> = programmes::table
        .order(programmes::code)
        .select(programmes::id)
        .load(conn)?;
    ids.iter().map(|id| current_of(conn, id)).collect()
}

/// Every published version of every programme.
pub fn all_versions(conn: &mut DbConnection) -> Result<Vec<ProgrammeVersion>> {
    let rows: Vec<VersionRow> = programme_versions::table
        .order((programme_versions::programme_id, programme_versions::version))
        .select(version_columns())
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

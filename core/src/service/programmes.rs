//! Programmes and their versions: read by anyone signed in, published by administrators at
//! run time (through the API or `peertrack admin publish-programme`), checked the same way.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::access::Caller;
use crate::domain::ProgrammeDefinition;
use crate::error::FieldError;
use crate::store::programmes::{self, ProgrammeVersion, Published};
use crate::store::{audit, stored, DbConnection};
use crate::{Error, Result};

/// Every programme at its current version.
pub fn list(conn: &mut DbConnection, _caller: &Caller) -> Result<Vec<ProgrammeVersion>> {
    programmes::list_current(conn)
}

/// A programme at its current version, by code.
pub fn current(conn: &mut DbConnection, _caller: &Caller, code: &str) -> Result<ProgrammeVersion> {
    programmes::current(conn, code)
}

/// Every published version of a programme, newest first.
pub fn versions(conn: &mut DbConnection, _caller: &Caller, code: &str) -> Result<Vec<ProgrammeVersion>> {
    programmes::versions_of(conn, code)
}

/// Reads a definition from JSON, naming the field at fault by its path (`rule.validity_months`,
/// `modules[1].core`) when it does not fit, then checks what it says.
pub fn definition_from_json(value: Value) -> Result<ProgrammeDefinition> {
    let definition: ProgrammeDefinition = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Error::Invalid(vec![field_error(&path, &error.into_inner().to_string())])
    })?;
    let faults = definition.field_errors();
    if faults.is_empty() {
        Ok(definition)
    } else {
        Err(Error::Invalid(faults))
    }
}

/// Reads a definition from a programme file's TOML (the shape of `core/programmes/*.toml`),
/// with the same checks and field names as [`definition_from_json`].
pub fn definition_from_toml(text: &str) -> Result<ProgrammeDefinition> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|e| Error::invalid("file", format!("is not a valid TOML file: {}", e.message())))?;
    let value = serde_json::to_value(table).map_err(|e| Error::invalid("file", e.to_string()))?;
    definition_from_json(value)
}

/// serde's complaint at `path`, as a field and plain words.
fn field_error(path: &str, message: &str) -> FieldError {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |text: &str| text.split('`').nth(1).map(str::to_string);
    if let Some(rest) = message.strip_prefix("missing field ") {
        return FieldError {
            field: join(&quoted(rest).unwrap_or_else(|| rest.to_string())),
            message: "is required".into(),
        };
    }
    if message.starts_with("unknown field ") {
        let name = quoted(message).unwrap_or_default();
        let field = if path.rsplit('.').next() == Some(name.as_str()) {
            path.to_string()
        } else {
            join(&name)
        };
        return FieldError {
            field,
            message: "is not a field of a programme definition; check its spelling".into(),
        };
    }
    let field = if path.is_empty() {
        "definition".to_string()
    } else {
        path.to_string()
    };
    let message = match message.split_once(", expected ") {
        Some((_, expected)) if expected.starts_with('u') || expected.starts_with('i') => {
            "must be a whole number in range".to_string()
        }
        _ => message.to_string(),
    };
    FieldError { field, message }
}

/// Publishes a programme definition; administrators only. A new code is a new programme at
/// the version given; an existing code needs a version higher than its current one. New
/// cohorts take the new version; running cohorts keep theirs. Audited. Returns the version.
pub fn publish(
    conn: &mut DbConnection,
    caller: &Caller,
    definition: &ProgrammeDefinition,
    now: DateTime<Utc>,
) -> Result<(ProgrammeVersion, Published)> {
    caller.require_admin()?;
    let faults = definition.field_errors();
    if !faults.is_empty() {
        return Err(Error::Invalid(faults));
    }
    match programmes::current(conn, &definition.code) {
        Ok(current) if definition.version <= current.definition.version => {
            return Err(Error::invalid(
                "version",
                format!(
                    "must be higher than {}, the version of {} published now",
                    current.definition.version, definition.code
                ),
            ))
        }
        Ok(_) | Err(Error::NotFound(_)) => {}
        Err(other) => return Err(other),
    }
    let outcome = programmes::publish(conn, definition, stored(now))?;
    let version = programmes::current(conn, &definition.code)?;
    audit::record(
        conn,
        &caller.actor(),
        "programme.published",
        ("programme", &version.programme_id),
        json!({ "code": definition.code, "version": definition.version, "version_id": version.version_id }),
        stored(now),
    )?;
    Ok((version, outcome))
}

/// Publishes a definition sent as JSON (see [`publish`]); who may publish is asked before
/// what is wrong with the definition.
pub fn publish_json(
    conn: &mut DbConnection,
    caller: &Caller,
    definition: Value,
    now: DateTime<Utc>,
) -> Result<(ProgrammeVersion, Published)> {
    caller.require_admin()?;
    let definition = definition_from_json(definition)?;
    publish(conn, caller, &definition, now)
}

/// Publishes a programme file's TOML (see [`publish`]), as `peertrack admin publish-programme`
/// reads it.
pub fn publish_toml(
    conn: &mut DbConnection,
    caller: &Caller,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(ProgrammeVersion, Published)> {
    caller.require_admin()?;
    let definition = definition_from_toml(text)?;
    publish(conn, caller, &definition, now)
}

/// Publishes an uploaded programme file (see [`publish`]): JSON when `json`, otherwise TOML as
/// `peertrack admin publish-programme` reads it. A file that is not valid JSON is named
/// `file`, like a file that is not valid TOML.
pub fn publish_file(
    conn: &mut DbConnection,
    caller: &Caller,
    text: &str,
    json: bool,
    now: DateTime<Utc>,
) -> Result<(ProgrammeVersion, Published)> {
    caller.require_admin()?;
    if !json {
        return publish_toml(conn, caller, text, now);
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid("file", format!("is not a valid JSON file: {e}")))?;
    publish_json(conn, caller, value, now)
}

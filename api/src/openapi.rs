//! The OpenAPI document that partners' code generators read (`peertrack openapi`,
//! `/openapi.json`, `openapi/openapi.json`): poem-openapi's document, written the way standard
//! tools expect where poem-openapi does not, with each operation's error answers narrowed to
//! the ones it can give.
//!
//! Which errors an operation can give follows mostly from its shape (see [`error_answers`]);
//! the rest comes from its own rules and is declared in [`RULE_ANSWERS`]. The end-to-end
//! harness checks every answer the tests see against the document, so a rule that gains an
//! answer without a row here fails a test.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

/// Error answers that come from an operation's own rules rather than from its shape, by
/// method and path template: 401 where a sign-in token is checked without a security scheme,
/// 403 for an access rule, 409 for a clash with what is stored (including two requests that
/// create the same person at once), 422 for a rule the request breaks, 429 for a rate limit.
pub const RULE_ANSWERS: &[(&str, &str, &[u16])] = &[
    ("POST", "/v1/auth/magic-link", &[422, 429]),
    ("POST", "/v1/auth/session", &[401, 429]),
    ("GET", "/v1/audit-events", &[403, 422]),
    ("POST", "/v1/certificates", &[403, 409, 422]),
    ("GET", "/v1/certificates", &[403, 422]),
    ("GET", "/v1/certificates/{id}/credential", &[403]),
    ("GET", "/v1/certificates/{id}/pdf", &[403]),
    ("POST", "/v1/certificates/{id}/reissue", &[403, 409]),
    ("POST", "/v1/certificates/{id}/renew", &[403, 409, 422]),
    ("POST", "/v1/certificates/{id}/revoke", &[403, 409, 422]),
    ("POST", "/v1/cohorts", &[403, 409, 422]),
    ("PATCH", "/v1/cohorts/{id}", &[403, 409, 422]),
    (
        "PUT",
        "/v1/cohorts/{id}/assessments/{person_id}/{module_code}",
        &[403],
    ),
    ("GET", "/v1/cohorts/{id}/enrolments", &[403]),
    ("POST", "/v1/cohorts/{id}/enrolments", &[403, 409, 422]),
    (
        "POST",
        "/v1/cohorts/{id}/enrolments/{person_id}/withdraw",
        &[403, 409, 422],
    ),
    ("GET", "/v1/cohorts/{id}/progress", &[403]),
    ("POST", "/v1/cohorts/{id}/sessions", &[403, 422]),
    ("PATCH", "/v1/me", &[422]),
    ("PUT", "/v1/me/consents/{organisation_id}", &[409]),
    ("POST", "/v1/me/cpd", &[422]),
    ("POST", "/v1/organisations", &[403, 409, 422]),
    ("GET", "/v1/organisations/{id}/api-keys", &[403]),
    ("POST", "/v1/organisations/{id}/api-keys", &[403, 422]),
    ("DELETE", "/v1/organisations/{id}/api-keys/{key_id}", &[403]),
    ("GET", "/v1/outbox", &[403]),
    ("POST", "/v1/outbox/{id}/retry", &[403, 409]),
    ("GET", "/v1/people", &[403, 422]),
    ("PATCH", "/v1/people/{id}", &[403, 409, 422]),
    ("GET", "/v1/people/{id}/eligibility", &[422]),
    ("POST", "/v1/people/{id}/erase", &[403, 409, 422]),
    ("POST", "/v1/placements", &[403, 409, 422]),
    ("POST", "/v1/placements/{id}/end", &[403, 422]),
    ("POST", "/v1/placements/{id}/supervision", &[403, 422]),
    ("POST", "/v1/programmes", &[403, 422]),
    ("GET", "/v1/register/peer-supporters", &[422]),
    ("PATCH", "/v1/sessions/{id}", &[403, 409, 422]),
    ("POST", "/v1/sessions/{id}/cancel", &[403, 409, 422]),
    ("PUT", "/v1/sessions/{id}/attendance", &[403, 409, 422]),
    ("GET", "/v1/sessions/{id}/attendance", &[403]),
    ("POST", "/v1/supervision/{id}/decline", &[403, 409, 422]),
    ("POST", "/v1/supervision/{id}/verify", &[403]),
    ("GET", "/v1/verify/{code}", &[429]),
    ("GET", "/verify/{code}", &[429]),
    ("POST", "/v1/webhooks", &[422]),
];

/// Operations that never wait on the database, so never answer 500 or 503 for it.
pub const WITHOUT_DATABASE: &[(&str, &str)] = &[
    ("GET", "/.well-known/jwks.json"),
    // The link is queued after the answer, so that its timing tells nobody who has an account.
    ("POST", "/v1/auth/magic-link"),
];

/// Optional fields that answers leave out rather than send as `null`, by schema and property.
pub const LEFT_OUT_WHEN_ABSENT: &[(&str, &str)] = &[("Problem", "errors")];

/// The error statuses an operation can answer: from its shape, and from [`RULE_ANSWERS`].
///
/// - a security scheme: 401 (no credentials, or credentials that do not work);
/// - any parameter or a body: 400 (unreadable, or outside the declared bounds);
/// - a body: 408 (it did not arrive in time), 413 (over 1 MiB) and 415 (not the declared
///   media type);
/// - a path parameter: 404 (nothing there, or nothing the caller may know of);
/// - an `If-Match` header: 412 (stale);
/// - the database, unless in [`WITHOUT_DATABASE`]: 500 and 503.
pub fn error_answers(method: &str, path: &str, operation: &Value) -> BTreeSet<u16> {
    let mut answers = BTreeSet::new();
    let parameters = operation["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let has_body = operation.get("requestBody").is_some();
    if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
        answers.insert(401);
    }
    if has_body || !parameters.is_empty() {
        answers.insert(400);
    }
    if has_body {
        answers.extend([408, 413, 415]);
    }
    if parameters.iter().any(|p| p["in"] == "path") {
        answers.insert(404);
    }
    if parameters.iter().any(|p| {
        p["in"] == "header"
            && p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("if-match"))
    }) {
        answers.insert(412);
    }
    if !WITHOUT_DATABASE.contains(&(method, path)) {
        answers.extend([500, 503]);
    }
    for (rule_method, rule_path, statuses) in RULE_ANSWERS {
        if rule_method.eq_ignore_ascii_case(method) && *rule_path == path {
            answers.extend(statuses.iter().copied());
        }
    }
    answers
}

/// The document as published: poem-openapi's, with the changes described in this module.
pub fn document(spec: &str) -> String {
    let mut spec: Value = serde_json::from_str(spec).expect("poem-openapi writes JSON");
    standard_formats(&mut spec);
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let enums: Map<String, Value> = schemas
            .iter()
            .filter(|(_, schema)| schema.get("enum").is_some())
            .map(|(name, schema)| (name.clone(), schema.clone()))
            .collect();
        for (name, schema) in schemas.iter_mut() {
            fields_as_generators_read_them(name, schema, &enums);
        }
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, operations) in paths.iter_mut() {
            let Some(operations) = operations.as_object_mut() else {
                continue;
            };
            for (method, operation) in operations.iter_mut() {
                let answers = error_answers(&method.to_ascii_uppercase(), path, operation);
                narrow_errors(operation, &answers);
            }
        }
    }
    serde_json::to_string_pretty(&spec).expect("JSON")
}

/// poem-openapi names dates after chrono's types (`naive-date`); OpenAPI's word is `date`.
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(format) = object.get_mut("format") {
                let standard = match format.as_str() {
                    Some("naive-date") => Some("date"),
                    Some("naive-time") => Some("time"),
                    _ => None,
                };
                if let Some(standard) = standard {
                    *format = Value::from(standard);
                }
            }
            object.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// Rewrites one schema's properties:
///
/// - poem-openapi writes a referenced field with a description as
///   `allOf: [{$ref}, {description}]`, which generators refuse around an enum: it becomes a
///   plain `$ref` (the referenced schema carries its own description);
/// - an optional field is sent as `null` when it has no value, so it says `nullable`. In
///   OpenAPI 3.0 `nullable` beside a `$ref` means nothing: an enum is written out in place
///   with `nullable`, an object as `allOf: [{$ref}]` with `nullable`.
fn fields_as_generators_read_them(name: &str, schema: &mut Value, enums: &Map<String, Value>) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (field, property) in properties.iter_mut() {
        if let Some(reference) = wrapped_reference(property) {
            *property = json!({ "$ref": reference });
        }
        let optional = !required.contains(field) && !LEFT_OUT_WHEN_ABSENT.contains(&(name, field.as_str()));
        if !optional {
            continue;
        }
        match property.get("$ref").and_then(Value::as_str).map(str::to_string) {
            Some(reference) => {
                let target = reference.rsplit('/').next().unwrap_or_default();
                *property = match enums.get(target) {
                    Some(enum_schema) => {
                        let mut inline = enum_schema.clone();
                        inline["nullable"] = Value::Bool(true);
                        inline
                    }
                    _ => json!({ "allOf": [{ "$ref": reference }], "nullable": true }),
                };
            }
            None => {
                if let Some(object) = property.as_object_mut() {
                    object.insert("nullable".into(), Value::Bool(true));
                }
            }
        }
    }
}

/// The reference in poem-openapi's `allOf: [{$ref}, {description}]`, if `property` is one.
fn wrapped_reference(property: &Value) -> Option<String> {
    let parts = property.get("allOf")?.as_array()?;
    let (first, rest) = parts.split_first()?;
    let reference = first.get("$ref")?.as_str()?;
    let only_words = rest.iter().all(|part| {
        part.as_object()
            .is_some_and(|p| p.keys().all(|k| k == "description" || k == "title"))
    });
    only_words.then(|| reference.to_string())
}

/// Error answers that the framework gives before an operation runs, whatever the operation's
/// own answer type lists: 400 for a parameter that cannot be read (when the operation has no
/// handler of its own for that), 408 and 413 from reading the body.
const BEFORE_THE_OPERATION: &[(u16, &str)] = &[
    (400, "The request could not be read: a parameter is malformed."),
    (408, "The body did not arrive in time; the connection is closed."),
    (413, "The body is larger than 1 MiB."),
];

/// Keeps the error answers in `answers` that the operation's own answer type lists, adds
/// those of [`BEFORE_THE_OPERATION`] in `answers` that it does not, and removes every other
/// error answer.
fn narrow_errors(operation: &mut Value, answers: &BTreeSet<u16>) {
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    responses.retain(|status, _| match status.parse::<u16>() {
        Ok(code) if code >= 400 => answers.contains(&code),
        _ => true,
    });
    for (status, description) in BEFORE_THE_OPERATION {
        if answers.contains(status) {
            responses.entry(status.to_string()).or_insert_with(|| {
                json!({
                    "description": description,
                    "content": { "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" } } }
                })
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_of_an_operation_gives_its_answers() {
        let operation = json!({
            "security": [{ "PersonToken": [] }],
            "parameters": [
                { "name": "id", "in": "path" },
                { "name": "If-Match", "in": "header" }
            ],
            "requestBody": {}
        });
        let answers: Vec<u16> = error_answers("PUT", "/v1/made-up/{id}", &operation)
            .into_iter()
            .collect();
        assert_eq!(answers, vec![400, 401, 404, 408, 412, 413, 415, 500, 503]);
        let bare: Vec<u16> = error_answers("GET", "/.well-known/jwks.json", &json!({}))
            .into_iter()
            .collect();
        assert!(bare.is_empty(), "{bare:?}");
    }

    #[test]
    fn an_optional_enum_is_written_out_nullable_and_a_required_one_is_a_plain_reference() {
        let spec = json!({
            "paths": {},
            "components": { "schemas": {
                "Mark": { "type": "string", "enum": ["present", "absent"], "description": "A mark." },
                "Entry": {
                    "type": "object",
                    "required": ["mark"],
                    "properties": {
                        "mark": { "allOf": [{ "$ref": "#/components/schemas/Mark" }, { "description": "The mark." }] },
                        "earlier": { "allOf": [{ "$ref": "#/components/schemas/Mark" }, { "description": "Before." }] },
                        "on": { "type": "string", "format": "naive-date" }
                    }
                }
            } }
        });
        let written: Value = serde_json::from_str(&document(&spec.to_string())).unwrap();
        let properties = &written["components"]["schemas"]["Entry"]["properties"];
        assert_eq!(properties["mark"], json!({ "$ref": "#/components/schemas/Mark" }));
        assert_eq!(
            properties["earlier"],
            json!({ "type": "string", "enum": ["present", "absent"], "description": "A mark.", "nullable": true })
        );
        assert_eq!(
            properties["on"],
            json!({ "type": "string", "format": "date", "nullable": true })
        );
    }
}

//! Names the field at fault in a JSON body that poem-openapi could not read.
//!
//! poem-openapi reports an unreadable body as one sentence about types
//! (`Expected input type "Mark", found "sleeping". (occurred while parsing "MarkInput") ...`)
//! and loses the path to the value. Here the body is walked against the operation's schema in
//! the OpenAPI document instead, which yields `records[0].status` and a plain message. The walk
//! is a pure function of the document, the method, the path and the body.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{Map, Value};

use crate::problem::FieldError;

/// What a field that the request does not have is told.
pub const NOT_A_FIELD: &str = "is not a field of this request; remove it";

/// At most this many fields are named in one answer.
const MAX_ERRORS: usize = 20;

/// `$ref`s are followed at most this deep, so a self-referencing schema cannot loop forever.
const MAX_DEPTH: usize = 64;

/// The service's OpenAPI document, parsed once.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(crate::server::openapi_json()).unwrap_or(Value::Null))
}

/// The first field in `body` that does not fit the JSON request body of the operation at
/// `method` and `path`; `None` when everything fits or there is no such operation.
///
/// A body that is wrong as a whole (e.g. a list where an object belongs) comes back with an
/// empty `field`.
pub fn locate(spec: &Value, method: &str, path: &str, body: &Value) -> Option<FieldError> {
    locate_all(spec, method, path, body).into_iter().next()
}

/// Every field in `body` that does not fit (up to 20), in the order they were found.
pub fn locate_all(spec: &Value, method: &str, path: &str, body: &Value) -> Vec<FieldError> {
    let Some(schema) = request_schema(spec, method, path) else {
        return Vec::new();
    };
    let mut walk = Walk {
        spec,
        errors: Vec::new(),
    };
    walk.check(schema, body, &mut Vec::new(), 0);
    walk.errors
}

/// The `application/json` request body schema of the operation at `method` and `path`, found
/// by matching `path` against the document's templates (`/v1/sessions/{id}/attendance`).
pub fn request_schema<'a>(spec: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    let method = method.to_ascii_lowercase();
    let (_, operation) = spec
        .get("paths")?
        .as_object()?
        .iter()
        .filter_map(|(template, item)| Some((literal_segments(template, path)?, item.get(&method)?)))
        // `/v1/cohorts/mine` beats `/v1/cohorts/{id}`.
        .max_by_key(|(literals, _)| *literals)?;
    let content = operation.get("requestBody")?.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media_type, _)| is_json_media_type(media_type))
        .and_then(|(_, media)| media.get("schema"))
}

/// Whether a `Content-Type` is JSON: `application/json` or `application/...+json`, with any
/// parameters.
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// How many literal segments `template` shares with `path`, when it matches it at all.
fn literal_segments(template: &str, path: &str) -> Option<usize> {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    if template.len() != path.len() {
        return None;
    }
    let mut literals = 0;
    for (expected, actual) in template.iter().zip(&path) {
        if expected.starts_with('{') && expected.ends_with('}') {
            if actual.is_empty() {
                return None;
            }
        } else if expected == actual {
            literals += 1;
        } else {
            return None;
        }
    }
    Some(literals)
}

/// The plain message for a poem-openapi validator, e.g. `("minLength", "1")`.
pub fn rule_message(rule: &str, value: &str) -> Option<String> {
    Some(match rule {
        "minLength" => format!("must be at least {value} character(s) long"),
        "maxLength" => format!("must be at most {value} characters long"),
        "minimum" => format!("must be at least {value}"),
        "maximum" => format!("must be at most {value}"),
        "exclusiveMinimum" => format!("must be more than {value}"),
        "exclusiveMaximum" => format!("must be less than {value}"),
        "minItems" => format!("must have at least {value} item(s)"),
        "maxItems" => format!("must have at most {value} items"),
        "pattern" => "is not in the expected format".to_string(),
        _ => return None,
    })
}

/// One step on the way to a value: a property or a list position.
enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

/// `records[0].status` from its steps.
fn field_path(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Field(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

struct Walk<'a> {
    spec: &'a Value,
    errors: Vec<FieldError>,
}

impl<'a> Walk<'a> {
    fn refuse(&mut self, steps: &[Step], message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError {
                field: field_path(steps),
                message: message.into(),
            });
        }
    }

    /// `#/components/schemas/Mark` -> that schema.
    fn resolve(&self, schema: &'a Value) -> Option<&'a Value> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.spec.pointer(reference.strip_prefix('#')?),
            None => Some(schema),
        }
    }

    /// Whether `null` is a fitting value for `schema`.
    fn allows_null(&self, schema: &'a Value, depth: usize) -> bool {
        let Some(schema) = self.resolve(schema) else {
            return true;
        };
        if depth > MAX_DEPTH || schema.get("nullable") == Some(&Value::Bool(true)) {
            return true;
        }
        match schema.get("type") {
            Some(Value::String(kind)) if kind == "null" => return true,
            Some(Value::Array(kinds)) if kinds.iter().any(|k| k == "null") => return true,
            _ => {}
        }
        let any_branch_allows = |key: &str| {
            schema
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(|b| self.allows_null(b, depth + 1)))
        };
        let all_parts_allow = schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|parts| parts.iter().all(|p| self.allows_null(p, depth + 1)));
        any_branch_allows("anyOf") || any_branch_allows("oneOf") || all_parts_allow
    }

    fn check(&mut self, schema: &'a Value, value: &'a Value, steps: &mut Vec<Step<'a>>, depth: usize) {
        if depth > MAX_DEPTH || self.errors.len() >= MAX_ERRORS {
            return;
        }
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        if value.is_null() && self.allows_null(schema, depth) {
            return;
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            // poem-openapi writes a referenced field as `allOf: [{$ref}, {description}]`;
            // stop at the first part that refuses, so one bad value is named once.
            for part in parts {
                let before = self.errors.len();
                self.check(part, value, steps, depth + 1);
                if self.errors.len() > before {
                    return;
                }
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                if !self.check_branches(branches, value, steps, depth) {
                    return;
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect();
                self.refuse(steps, format!("must be one of {}", names.join(", ")));
            }
            return;
        }
        let format = schema.get("format").and_then(Value::as_str).unwrap_or_default();
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => self.check_string(schema, format, value, steps),
            Some("integer") => self.check_integer(schema, format, value, steps),
            Some("number") => match value.as_f64() {
                Some(number) => self.check_bounds(schema, number, steps),
                None => self.refuse(steps, "must be a number"),
            },
            Some("boolean") if !value.is_boolean() => self.refuse(steps, "must be true or false"),
            Some("array") => self.check_array(schema, value, steps, depth),
            Some("object") => self.check_object(schema, value, steps, depth),
            _ if schema.get("properties").is_some() => self.check_object(schema, value, steps, depth),
            _ => {}
        }
    }

    /// `anyOf` / `oneOf`: fits when one branch fits. Returns whether to go on checking the
    /// schema's other keywords.
    fn check_branches(
        &mut self,
        branches: &'a [Value],
        value: &'a Value,
        steps: &mut Vec<Step<'a>>,
        depth: usize,
    ) -> bool {
        let not_null: Vec<&Value> = branches
            .iter()
            .filter(|b| self.resolve(b).and_then(|b| b.get("type")) != Some(&Value::from("null")))
            .collect();
        if let [only] = not_null.as_slice() {
            // `T or null`: name the field inside T that is at fault.
            let before = self.errors.len();
            self.check(only, value, steps, depth + 1);
            return self.errors.len() == before;
        }
        let fits = |branch: &&'a Value| {
            let mut trial = Walk {
                spec: self.spec,
                errors: Vec::new(),
            };
            trial.check(branch, value, &mut Vec::new(), depth + 1);
            trial.errors.is_empty()
        };
        if not_null.is_empty() || not_null.iter().any(fits) {
            return true;
        }
        self.refuse(steps, "does not match any of the accepted forms");
        false
    }

    fn check_string(&mut self, schema: &Value, format: &str, value: &Value, steps: &[Step]) {
        let expected = match format {
            "date" | "naive-date" => "must be a date like 2027-03-01",
            "date-time" => "must be a date and time like 2027-03-01T10:00:00Z",
            "naive-date-time" => "must be a date and time like 2027-03-01T10:00:00",
            "time" | "naive-time" => "must be a time like 10:00:00",
            "uuid" => "must be an id like 67e55044-10b1-426f-9247-bb680e5fe0c8",
            _ => "must be text",
        };
        let Some(text) = value.as_str() else {
            self.refuse(steps, expected);
            return;
        };
        // The same parsers poem-openapi uses, so what passes here passes there.
        let readable = match format {
            "date" | "naive-date" => text.parse::<NaiveDate>().is_ok(),
            "date-time" => text.parse::<DateTime<Utc>>().is_ok(),
            "naive-date-time" => text.parse::<NaiveDateTime>().is_ok(),
            "time" | "naive-time" => text.parse::<NaiveTime>().is_ok(),
            "uuid" => uuid::Uuid::parse_str(text).is_ok(),
            _ => true,
        };
        if !readable {
            self.refuse(steps, expected);
            return;
        }
        // `Text` refuses NUL as unreadable: PostgreSQL can neither store nor compare one.
        if text.contains('\0') {
            self.refuse(steps, "must not contain a NUL character");
            return;
        }
        let length = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if length < min {
                self.refuse_rule(steps, "minLength", min as f64);
                return;
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if length > max {
                self.refuse_rule(steps, "maxLength", max as f64);
            }
        }
    }

    fn check_integer(&mut self, schema: &Value, format: &str, value: &Value, steps: &[Step]) {
        let whole = value.as_i64().map(i128::from).or(value.as_u64().map(i128::from));
        let Some(number) = whole else {
            self.refuse(steps, "must be a whole number");
            return;
        };
        let range: Option<(i128, i128)> = match format {
            "int8" => Some((i8::MIN.into(), i8::MAX.into())),
            "int16" => Some((i16::MIN.into(), i16::MAX.into())),
            "int32" => Some((i32::MIN.into(), i32::MAX.into())),
            "int64" => Some((i64::MIN.into(), i64::MAX.into())),
            "uint8" => Some((0, u8::MAX.into())),
            "uint16" => Some((0, u16::MAX.into())),
            "uint32" => Some((0, u32::MAX.into())),
            "uint64" => Some((0, u64::MAX.into())),
            _ => None,
        };
        if let Some((min, max)) = range {
            if number < min || number > max {
                self.refuse(steps, format!("must be a whole number from {min} to {max}"));
                return;
            }
        }
        self.check_bounds(schema, number as f64, steps);
    }

    fn check_bounds(&mut self, schema: &Value, number: f64, steps: &[Step]) {
        let exclusive = |key: &str| schema.get(key) == Some(&Value::Bool(true));
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if exclusive("exclusiveMinimum") && number <= min {
                return self.refuse_rule(steps, "exclusiveMinimum", min);
            }
            if number < min {
                return self.refuse_rule(steps, "minimum", min);
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if exclusive("exclusiveMaximum") && number >= max {
                return self.refuse_rule(steps, "exclusiveMaximum", max);
            }
            if number > max {
                self.refuse_rule(steps, "maximum", max);
            }
        }
    }

    fn check_array(&mut self, schema: &'a Value, value: &'a Value, steps: &mut Vec<Step<'a>>, depth: usize) {
        let Some(items) = value.as_array() else {
            self.refuse(steps, "must be a list");
            return;
        };
        if let Some(item_schema) = schema.get("items") {
            let before = self.errors.len();
            for (index, item) in items.iter().enumerate() {
                steps.push(Step::Index(index));
                self.check(item_schema, item, steps, depth + 1);
                steps.pop();
            }
            // poem-openapi reads the items before it counts them.
            if self.errors.len() > before {
                return;
            }
        }
        let count = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if count < min {
                return self.refuse_rule(steps, "minItems", min as f64);
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if count > max {
                self.refuse_rule(steps, "maxItems", max as f64);
            }
        }
    }

    fn check_object(&mut self, schema: &'a Value, value: &'a Value, steps: &mut Vec<Step<'a>>, depth: usize) {
        let Some(object) = value.as_object() else {
            self.refuse(steps, "must be a JSON object");
            return;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let required = |name: &str| {
            schema
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|names| names.iter().any(|n| n == name))
        };
        for (name, property) in properties.into_iter().flatten() {
            steps.push(Step::Field(name));
            match object.get(name) {
                // poem-openapi reads a null optional field as absent.
                None | Some(Value::Null) if !required(name) => {}
                None => self.refuse(steps, "is required"),
                Some(Value::Null) if !self.allows_null(property, depth + 1) => {
                    self.refuse(steps, "is required")
                }
                Some(field) => self.check(property, field, steps, depth + 1),
            }
            steps.pop();
        }
        let extras = object
            .iter()
            .filter(|(name, _)| !properties.is_some_and(|p| p.contains_key(*name)));
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => {}
            Some(extra_schema @ Value::Object(_)) => {
                for (name, field) in extras {
                    steps.push(Step::Field(name));
                    self.check(extra_schema, field, steps, depth + 1);
                    steps.pop();
                }
            }
            // The document does not say `additionalProperties: false`, but every request
            // object here is `deny_unknown_fields`; a free-form object has no properties.
            _ if properties.is_none_or(Map::is_empty) => {}
            _ => {
                for (name, _) in extras {
                    steps.push(Step::Field(name));
                    self.refuse(steps, NOT_A_FIELD);
                    steps.pop();
                }
            }
        }
    }

    fn refuse_rule(&mut self, steps: &[Step], rule: &str, bound: f64) {
        // 480.0 reads as 480.
        let bound = if bound.fract() == 0.0 && bound.abs() < 1e15 {
            format!("{}", bound as i64)
        } else {
            bound.to_string()
        };
        let message = rule_message(rule, &bound).unwrap_or_else(|| format!("is not allowed ({rule})"));
        self.refuse(steps, message);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A small document in the shape poem-openapi writes.
    fn spec() -> Value {
        json!({
            "openapi": "3.0.0",
            "paths": {
                "/v1/sessions/{id}/attendance": {
                    "put": {"requestBody": {"content": {"application/json; charset=utf-8": {
                        "schema": {"$ref": "#/components/schemas/RegisterInput"}
                    }}}},
                    "get": {}
                },
                "/v1/cohorts": {
                    "post": {"requestBody": {"content": {"application/json; charset=utf-8": {
                        "schema": {"$ref": "#/components/schemas/NewCohort"}
                    }}}}
                },
                "/v1/cohorts/{id}": {
                    "patch": {"requestBody": {"content": {"application/json": {
                        "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
                    }}}}
                },
                "/v1/cohorts/mine": {
                    "patch": {"requestBody": {"content": {"application/json": {
                        "schema": {"type": "object", "properties": {"colour": {"type": "string"}}}
                    }}}}
                },
                "/v1/settings": {
                    "put": {"requestBody": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Settings"}
                    }}}}
                },
                "/v1/upload": {
                    "post": {"requestBody": {"content": {"application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}
                    }}}}
                }
            },
            "components": {"schemas": {
                "Mark": {"type": "string", "enum": ["present", "late", "absent", "excused"]},
                "MarkInput": {
                    "type": "object",
                    "required": ["person_id", "status"],
                    "properties": {
                        "person_id": {"type": "string", "minLength": 1, "maxLength": 64},
                        "status": {"allOf": [
                            {"$ref": "#/components/schemas/Mark"},
                            {"description": "`present`, `late`, `absent` or `excused`."}
                        ]},
                        "note": {"type": "string", "maxLength": 5}
                    }
                },
                "RegisterInput": {
                    "type": "object",
                    "required": ["records"],
                    "properties": {"records": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/MarkInput"},
                        "maxItems": 2
                    }}
                },
                "NewCohort": {
                    "type": "object",
                    "required": ["name", "starts_on", "tutor_emails"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "starts_on": {"type": "string", "format": "naive-date"},
                        "first_session": {"type": "string", "format": "date-time"},
                        "places": {"type": "integer", "format": "uint8", "minimum": 1.0, "maximum": 30.0},
                        "fee": {"type": "number", "format": "double"},
                        "public": {"type": "boolean"},
                        "tutor_emails": {"type": "array", "items": {"type": "string"}}
                    }
                },
                "Settings": {
                    "type": "object",
                    "properties": {
                        "reminder": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Reminder"}]},
                        "contact": {"anyOf": [{"$ref": "#/components/schemas/Reminder"}, {"type": "null"}]},
                        "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "extra": {"type": "object"}
                    }
                },
                "Reminder": {
                    "type": "object",
                    "required": ["days_before"],
                    "properties": {"days_before": {"type": "integer", "format": "int32"}}
                }
            }}
        })
    }

    fn locate_in(method: &str, path: &str, body: Value) -> Option<(String, String)> {
        locate(&spec(), method, path, &body).map(|e| (e.field, e.message))
    }

    fn error(field: &str, message: &str) -> Option<(String, String)> {
        Some((field.to_string(), message.to_string()))
    }

    #[test]
    fn an_unknown_mark_is_named_with_its_position_and_the_choices() {
        let body = json!({"records": [
            {"person_id": "a", "status": "present"},
            {"person_id": "b", "status": "sleeping"}
        ]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error(
                "records[1].status",
                "must be one of present, late, absent, excused"
            )
        );
    }

    #[test]
    fn a_missing_required_field_is_required_and_a_missing_optional_one_is_fine() {
        let body = json!({"records": [{"status": "late"}]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records[0].person_id", "is required")
        );
        let body = json!({"records": [{"person_id": "a", "status": "late", "note": null}]});
        assert_eq!(locate_in("PUT", "/v1/sessions/s1/attendance", body), None);
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", json!({})),
            error("records", "is required")
        );
    }

    #[test]
    fn null_for_a_required_field_is_required() {
        let body = json!({"records": [{"person_id": null, "status": "late"}]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records[0].person_id", "is required")
        );
    }

    #[test]
    fn a_number_where_text_belongs_must_be_text() {
        let body = json!({"name": 5, "starts_on": "2027-03-01", "tutor_emails": []});
        assert_eq!(
            locate_in("POST", "/v1/cohorts", body),
            error("name", "must be text")
        );
    }

    #[test]
    fn list_items_are_named_by_position() {
        let body = json!({"name": "A", "starts_on": "2027-03-01", "tutor_emails": ["a@x", "b@x", 3]});
        assert_eq!(
            locate_in("POST", "/v1/cohorts", body),
            error("tutor_emails[2]", "must be text")
        );
        let body = json!({"name": "A", "starts_on": "2027-03-01", "tutor_emails": "a@x"});
        assert_eq!(
            locate_in("POST", "/v1/cohorts", body),
            error("tutor_emails", "must be a list")
        );
    }

    #[test]
    fn dates_and_times_must_read_as_such() {
        let cohort = |extra: Value| {
            let mut body = json!({"name": "A", "starts_on": "2027-03-01", "tutor_emails": []});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            locate_in("POST", "/v1/cohorts", body)
        };
        assert_eq!(cohort(json!({})), None);
        assert_eq!(
            cohort(json!({"starts_on": "yesterday"})),
            error("starts_on", "must be a date like 2027-03-01")
        );
        assert_eq!(
            cohort(json!({"starts_on": "2027-02-30"})),
            error("starts_on", "must be a date like 2027-03-01")
        );
        assert_eq!(
            cohort(json!({"starts_on": 20270301})),
            error("starts_on", "must be a date like 2027-03-01")
        );
        assert_eq!(
            cohort(json!({"first_session": "2027-03-01T10:00:00+01:00"})),
            None
        );
        assert_eq!(
            cohort(json!({"first_session": "2027-03-01 10:00"})),
            error(
                "first_session",
                "must be a date and time like 2027-03-01T10:00:00Z"
            )
        );
    }

    #[test]
    fn text_with_a_nul_character_is_refused() {
        let body = json!({"records": [{"person_id": "a\u{0}b", "status": "late"}]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records[0].person_id", "must not contain a NUL character")
        );
    }

    #[test]
    fn numbers_and_booleans_are_checked_by_kind_and_range() {
        let cohort = |extra: Value| {
            let mut body = json!({"name": "A", "starts_on": "2027-03-01", "tutor_emails": []});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            locate_in("POST", "/v1/cohorts", body)
        };
        assert_eq!(cohort(json!({"places": 12, "fee": 99.5, "public": true})), None);
        assert_eq!(
            cohort(json!({"places": 2.5})),
            error("places", "must be a whole number")
        );
        assert_eq!(
            cohort(json!({"places": "12"})),
            error("places", "must be a whole number")
        );
        assert_eq!(
            cohort(json!({"places": 300})),
            error("places", "must be a whole number from 0 to 255")
        );
        assert_eq!(
            cohort(json!({"places": 0})),
            error("places", "must be at least 1")
        );
        assert_eq!(
            cohort(json!({"places": 31})),
            error("places", "must be at most 30")
        );
        assert_eq!(cohort(json!({"fee": "free"})), error("fee", "must be a number"));
        assert_eq!(
            cohort(json!({"public": "yes"})),
            error("public", "must be true or false")
        );
    }

    #[test]
    fn unknown_fields_are_named_wherever_they_are() {
        let body = json!({"records": [{"person_id": "a", "status": "late", "mood": "ok"}]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records[0].mood", NOT_A_FIELD)
        );
        // A free-form object and a map take any names.
        let body = json!({"labels": {"a": 1}, "extra": {"anything": true}});
        assert_eq!(locate_in("PUT", "/v1/settings", body), None);
        assert_eq!(
            locate_in("PUT", "/v1/settings", json!({"labels": {"a": "one"}})),
            error("labels.a", "must be a whole number")
        );
    }

    #[test]
    fn lengths_and_counts_are_checked_with_the_full_path() {
        let body = json!({"records": [{"person_id": "", "status": "late"}]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records[0].person_id", "must be at least 1 character(s) long")
        );
        // Characters, not bytes, as poem-openapi counts them.
        let body = json!({"records": [{"person_id": "a", "status": "late", "note": "ééééé"}]});
        assert_eq!(locate_in("PUT", "/v1/sessions/s1/attendance", body), None);
        let mark = json!({"person_id": "a", "status": "late"});
        let body = json!({"records": [mark, mark, mark]});
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", body),
            error("records", "must have at most 2 items")
        );
    }

    #[test]
    fn nullable_and_any_of_null_accept_null_and_name_fields_inside() {
        assert_eq!(
            locate_in("PUT", "/v1/settings", json!({"reminder": null, "contact": null})),
            None
        );
        assert_eq!(
            locate_in("PUT", "/v1/settings", json!({"reminder": {"days_before": "two"}})),
            error("reminder.days_before", "must be a whole number")
        );
        assert_eq!(
            locate_in("PUT", "/v1/settings", json!({"contact": {}})),
            error("contact.days_before", "is required")
        );
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_refused_as_a_whole() {
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", json!([])),
            error("", "must be a JSON object")
        );
        assert_eq!(
            locate_in("PUT", "/v1/sessions/s1/attendance", json!({"records": {}})),
            error("records", "must be a list")
        );
    }

    #[test]
    fn paths_match_templates_segment_by_segment() {
        assert!(request_schema(&spec(), "put", "/v1/sessions/abc/attendance").is_some());
        assert!(request_schema(&spec(), "put", "/v1/sessions/abc/attendance/x").is_none());
        assert!(request_schema(&spec(), "put", "/v1/sessions//attendance").is_none());
        // The operation exists but reads no body; and a body that is not JSON.
        assert!(request_schema(&spec(), "get", "/v1/sessions/abc/attendance").is_none());
        assert!(request_schema(&spec(), "post", "/v1/upload").is_none());
        // A literal segment beats a template.
        assert_eq!(
            locate_in("PATCH", "/v1/cohorts/mine", json!({"name": "x"})),
            error("name", NOT_A_FIELD)
        );
        assert_eq!(
            locate_in("PATCH", "/v1/cohorts/c1", json!({"colour": "x"})),
            error("colour", NOT_A_FIELD)
        );
        assert_eq!(locate_in("POST", "/v1/nowhere", json!({"name": 1})), None);
    }

    #[test]
    fn every_fault_is_listed_in_order() {
        let body = json!({"records": [
            {"person_id": 1, "status": "present"},
            {"person_id": "b", "status": "sleeping", "mood": "ok"}
        ]});
        let fields: Vec<String> = locate_all(&spec(), "PUT", "/v1/sessions/s1/attendance", &body)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["records[0].person_id", "records[1].status", "records[1].mood"]
        );
    }

    #[test]
    fn a_self_referencing_schema_does_not_loop() {
        let spec = json!({
            "paths": {"/loop": {"post": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Loop"}
            }}}}}},
            "components": {"schemas": {"Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}}}
        });
        assert_eq!(locate(&spec, "POST", "/loop", &json!({"a": 1})), None);
    }

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
    }

    /// The real document, as the service serves it.
    fn real(method: &str, path: &str, body: Value) -> Option<(String, String)> {
        locate(super::spec(), method, path, &body).map(|e| (e.field, e.message))
    }

    #[test]
    fn the_real_register_names_an_unknown_mark() {
        let body = json!({"records": [{"person_id": "x", "status": "sleeping"}]});
        assert_eq!(
            real("PUT", "/v1/sessions/s1/attendance", body),
            error(
                "records[0].status",
                "must be one of present, late, absent, excused"
            )
        );
        let body = json!({"records": [{"person_id": "x", "status": "excused", "note": null}]});
        assert_eq!(real("PUT", "/v1/sessions/s1/attendance", body), None);
    }

    #[test]
    fn the_real_cohort_and_session_name_dates_types_and_missing_fields() {
        let cohort = json!({
            "programme_code": "P2P", "organisation_id": "o1", "name": "Dundee",
            "starts_on": "yesterday", "ends_on": "2027-06-01", "tutor_emails": []
        });
        assert_eq!(
            real("POST", "/v1/cohorts", cohort),
            error("starts_on", "must be a date like 2027-03-01")
        );
        let session =
            json!({"title": 5, "starts_at": "2027-03-01T10:00:00Z", "ends_at": "2027-03-01T12:00:00Z"});
        assert_eq!(
            real("POST", "/v1/cohorts/c1/sessions", session),
            error("title", "must be text")
        );
        let session = json!({"title": "Week 1", "starts_at": "10am", "ends_at": "2027-03-01T12:00:00Z"});
        assert_eq!(
            real("POST", "/v1/cohorts/c1/sessions", session),
            error("starts_at", "must be a date and time like 2027-03-01T10:00:00Z")
        );
        assert_eq!(
            real(
                "POST",
                "/v1/cohorts/c1/enrolments",
                json!({"email": "a@example.org"})
            ),
            error("name", "is required")
        );
    }

    #[test]
    fn every_json_body_in_the_real_document_can_be_found() {
        let paths = super::spec()["paths"].as_object().unwrap();
        let mut found = 0;
        for (template, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let json_body = operation["requestBody"]["content"]
                    .as_object()
                    .is_some_and(|c| c.keys().any(|k| k.starts_with("application/json")));
                if json_body {
                    let path = template.replace('{', "x").replace('}', "");
                    assert!(
                        request_schema(super::spec(), method, &path).is_some(),
                        "{method} {template}"
                    );
                    found += 1;
                }
            }
        }
        assert!(found >= 8, "{found}");
    }
}

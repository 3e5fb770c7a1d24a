//! The committed `openapi/openapi.json` is what `peertrack openapi` prints.

#[test]
fn committed_spec_matches_the_code() {
    let generated = peertrack_api::server::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    if std::env::var_os("PEERTRACK_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, format!("{generated}\n")).expect("write openapi/openapi.json");
    }
    let committed = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json` \
         (or this test with PEERTRACK_UPDATE_OPENAPI=1) and commit it"
    );
}

#[test]
fn every_operation_has_a_summary_a_description_and_a_tag() {
    let spec: serde_json::Value = serde_json::from_str(peertrack_api::server::openapi_json()).unwrap();
    let paths = spec["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, methods) in paths {
        for (method, operation) in methods.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                operation["description"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no description"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
        }
    }
}

fn document() -> serde_json::Value {
    serde_json::from_str(peertrack_api::server::openapi_json()).expect("the document is JSON")
}

fn statuses(document: &serde_json::Value, method: &str, path: &str) -> Vec<u16> {
    document["paths"][path][method.to_ascii_lowercase()]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is in the document"))
        .keys()
        .map(|s| s.parse().expect("a status"))
        .collect()
}

#[test]
fn listing_cohorts_declares_only_what_it_can_answer() {
    let listed = statuses(&document(), "GET", "/v1/cohorts");
    for never in [403, 404, 409, 412, 413, 415, 422, 429] {
        assert!(
            !listed.contains(&never),
            "GET /v1/cohorts lists {never}: {listed:?}"
        );
    }
    assert_eq!(listed, vec![200, 400, 401, 500, 503]);
}

#[test]
fn each_operation_declares_the_answers_of_its_shape_and_rules() {
    let document = document();
    // A body, a path parameter and If-Match each bring their answers; the rules add 403, 409
    // (a cancelled session's register is closed) and 422.
    assert_eq!(
        statuses(&document, "PUT", "/v1/sessions/{id}/attendance"),
        vec![200, 400, 401, 403, 404, 408, 409, 412, 413, 415, 422, 500, 503]
    );
    // No credentials, no database.
    assert_eq!(statuses(&document, "GET", "/.well-known/jwks.json"), vec![200]);
    // The page's own answer type lists no 500; a path it cannot read is still a 400.
    assert_eq!(
        statuses(&document, "GET", "/verify/{code}"),
        vec![200, 400, 404, 429, 503]
    );
}

#[test]
fn every_rule_names_an_operation_that_lists_its_answers() {
    let document = document();
    for (method, path, rule_statuses) in peertrack_api::openapi::RULE_ANSWERS {
        let listed = statuses(&document, method, path);
        for status in *rule_statuses {
            assert!(
                listed.contains(status),
                "{method} {path}: its answer type does not list {status}, which the rules give it"
            );
        }
    }
    for (method, path) in peertrack_api::openapi::WITHOUT_DATABASE {
        statuses(&document, method, path);
    }
}

/// Every `allOf` in the document, with where it is.
fn all_ofs<'a>(value: &'a serde_json::Value, at: String, found: &mut Vec<(String, &'a serde_json::Value)>) {
    match value {
        serde_json::Value::Object(object) => {
            if let Some(parts) = object.get("allOf") {
                found.push((at.clone(), parts));
            }
            for (key, inner) in object {
                all_ofs(inner, format!("{at}/{key}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                all_ofs(inner, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn dates_and_enums_are_written_as_generators_read_them() {
    let text = peertrack_api::server::openapi_json();
    assert!(!text.contains("naive-date"), "a date is not `format: date`");
    let document = document();
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["Cohort"]["properties"]["starts_on"]["format"], "date");
    let mut found = Vec::new();
    all_ofs(&document, String::new(), &mut found);
    for (at, parts) in found {
        for part in parts.as_array().expect("allOf is a list") {
            let target = part["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .unwrap_or_default();
            assert!(
                schemas[target].get("enum").is_none(),
                "{at}: allOf around the enum {target}"
            );
        }
    }
    assert_eq!(
        schemas["MarkInput"]["properties"]["status"],
        serde_json::json!({ "$ref": "#/components/schemas/Mark" })
    );
}

#[test]
fn optional_fields_say_whether_they_can_be_null() {
    let document = document();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["CohortList"]["properties"]["next_cursor"]["nullable"],
        true
    );
    assert_eq!(
        schemas["Rule"]["properties"]["renewal"],
        serde_json::json!({ "allOf": [{ "$ref": "#/components/schemas/Renewal" }], "nullable": true })
    );
    // Left out rather than sent as null.
    assert!(schemas["Problem"]["properties"]["errors"]
        .get("nullable")
        .is_none());
    let problem = peertrack_api::problem::Problem::new(poem::http::StatusCode::NOT_FOUND, "Nothing here");
    let written = poem_openapi::types::ToJSON::to_json(&problem).expect("a problem is JSON");
    assert!(written.get("errors").is_none(), "{written}");
}

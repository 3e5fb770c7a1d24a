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

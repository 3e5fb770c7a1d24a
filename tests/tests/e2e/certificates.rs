//! Certification over HTTP on both databases: issuing to eligible learners only, public
//! verification, revocation, the signed credential checked with an independent JWS library
//! against the published keys, the PDF read back with pdftotext, and renewal by continuing
//! development.

use chrono::{Duration, Utc};
use peertrack_core::domain::ProgrammeDefinition;
use peertrack_core::store::{self, programmes};
use peertrack_e2e::scenario::{eligible_learner, eligible_learner_named, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

async fn an_eligible_learner_is_certified_and_anyone_can_verify_it(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "a").await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let year = Utc::now().format("%Y").to_string();
    assert_eq!(certificate["number"], format!("P2P-{year}-000001"));
    assert_eq!(certificate["status"], "valid");
    assert_eq!(certificate["holder_name"], "Learner a");
    assert_eq!(certificate["programme_code"], "P2P");
    assert_eq!(
        certificate["expires_on"],
        Value::Null,
        "Peer2Peer certificates do not expire"
    );
    let code = certificate["verification_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 14);

    // Issuing again while it is valid is a conflict.
    let (status, _) = learner.certify(server).await;
    assert_eq!(status, 409);

    // Anyone can verify it, with the code typed in any case and without dashes.
    let typed = code.replace('-', "").to_lowercase();
    let verified: Value = server.get_json(&format!("/v1/verify/{typed}")).await;
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["number"], certificate["number"]);
    assert_eq!(verified["holder_name"], "Learner a");
    let page = server
        .http
        .get(server.url(&format!("/verify/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("Valid") && html.contains("Learner a") && html.contains("lang=\"en\""));

    // The holder sees it among their own.
    let (_, mine) = server
        .call(&learner.learner, Method::GET, "/v1/me/certificates", None)
        .await;
    assert_eq!(mine["items"][0]["number"], certificate["number"]);

    // Revocation by an administrator shows everywhere at once.
    let id = certificate["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            &learner.tutor,
            Method::POST,
            &format!("/v1/certificates/{id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(status, 403, "tutors cannot revoke");
    let (status, revoked) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/certificates/{id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_reason"], "Issued in error");
    let verified: Value = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["status"], "revoked");
    let html = server
        .http
        .get(server.url(&format!("/verify/{code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Revoked"));
}

async fn an_ineligible_learner_gets_422_naming_each_unmet_requirement(server: &TestServer) {
    let organisation_id = organisation(server, "Provider b").await;
    let today = Utc::now().date_naive();
    let (_, cohort) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({"programme_code": "P2P", "organisation_id": organisation_id, "name": "B", "starts_on": today, "ends_on": today + Duration::days(60), "tutor_emails": []})),
        )
        .await;
    let cohort_id = cohort["id"].as_str().unwrap();
    let (_, enrolment) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": "new@example.org", "name": "New Learner"})),
        )
        .await;
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/certificates",
            Some(json!({"person_id": enrolment["person_id"], "cohort_id": cohort_id})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let unmet: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(unmet, ["core_modules", "supervision_sessions"]);
    assert!(problem["errors"][1]["message"]
        .as_str()
        .unwrap()
        .contains("6 more verified supervision sessions are needed"));
    let stored = server
        .database
        .db
        .read_async(|conn| store::certificates::of_person(conn, "nobody"))
        .await
        .unwrap();
    assert!(stored.is_empty());
}

async fn the_credential_verifies_against_the_published_keys(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "c").await;
    let (_, certificate) = learner.certify(server).await;
    let id = certificate["id"].as_str().unwrap();
    let response = server
        .http
        .get(server.url(&format!("/v1/certificates/{id}/credential")))
        .bearer_auth(&learner.learner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let jws = response.text().await.unwrap();
    assert_eq!(jws.split('.').count(), 3, "a compact JWS");

    // Verify with an independent library against the JWKS the service publishes.
    let jwks: Value = server.get_json("/.well-known/jwks.json").await;
    let header = jsonwebtoken::decode_header(&jws).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let kid = header.kid.expect("a kid");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the key is published");
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(&jws, &decoding, &validation)
        .expect("the signature verifies")
        .claims;
    // OB 3.0 §8.2.4.1: the payload is the credential, with the registered claims beside it.
    assert!(claims.get("vc").is_none(), "{claims}");
    let vc = &claims;
    assert_eq!(vc["iss"], vc["issuer"]["id"]);
    assert_eq!(vc["jti"], vc["id"]);
    assert_eq!(vc["sub"], vc["credentialSubject"]["id"]);
    assert!(vc["nbf"].is_i64());
    let types: Vec<&str> = vc["type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(types.contains(&"VerifiableCredential") && types.contains(&"OpenBadgeCredential"));
    let contexts = vc["@context"].to_string();
    assert!(contexts.contains("https://www.w3.org/ns/credentials/v2"));
    assert!(contexts.contains("purl.imsglobal.org/spec/ob/v3p0"));
    assert_eq!(
        vc["credentialSchema"][0]["id"],
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
    );
    let subject = &vc["credentialSubject"];
    assert!(subject["type"].to_string().contains("AchievementSubject"));
    assert!(subject["achievement"]["name"]
        .as_str()
        .unwrap()
        .contains("Peer2Peer"));
    assert!(subject["achievement"]["criteria"]["narrative"]
        .as_str()
        .unwrap()
        .contains("80%"));
    assert!(
        vc.get("validUntil").is_none() && vc.get("exp").is_none(),
        "P2P does not expire"
    );

    // Its status entry points into a list the server publishes, signed with the same keys;
    // the bit is clear while the certificate is valid.
    let status = &vc["credentialStatus"];
    assert_eq!(status["type"], "BitstringStatusListEntry");
    assert_eq!(status["statusPurpose"], "revocation");
    let list_url = status["statusListCredential"].as_str().unwrap();
    assert_eq!(list_url, server.url("/v1/credentials/status/1"));
    let index: usize = status["statusListIndex"].as_str().unwrap().parse().unwrap();
    let list = server.http.get(list_url).send().await.unwrap();
    assert_eq!(list.status(), 200);
    assert_eq!(list.headers()["content-type"], "application/vc+jwt");
    let list_jws = list.text().await.unwrap();
    let list_claims = jsonwebtoken::decode::<Value>(&list_jws, &decoding, &validation)
        .expect("the status list is signed with the published keys")
        .claims;
    assert_eq!(list_claims["issuer"], vc["iss"]);
    assert_eq!(
        list_claims["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    let bits = peertrack_e2e::credentials::status_bits(&list_claims);
    assert_eq!(bits.len(), 16_384, "131,072 entries");
    assert!(!peertrack_e2e::credentials::bit(&bits, index));
    assert_eq!(
        server
            .http
            .get(server.url("/v1/credentials/status/99"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A tampered payload does not verify.
    let mut parts: Vec<String> = jws.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(jsonwebtoken::decode::<Value>(&parts.join("."), &decoding, &validation).is_err());

    // Only the holder and administrators may download it.
    let (status, _) = server
        .call(
            &learner.tutor,
            Method::GET,
            &format!("/v1/certificates/{id}/credential"),
            None,
        )
        .await;
    assert_eq!(status, 403);
}

async fn the_pdf_opens_in_a_standard_reader(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "d").await;
    let (_, certificate) = learner.certify(server).await;
    let id = certificate["id"].as_str().unwrap();
    let response = server
        .http
        .get(server.url(&format!("/v1/certificates/{id}/pdf")))
        .bearer_auth(&learner.learner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    let output = match std::process::Command::new("pdftotext")
        .args(["-layout", file.path().to_str().unwrap(), "-"])
        .output()
    {
        Ok(output) => output,
        // CI must read the PDF back with a standard reader; elsewhere, say what was skipped.
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: install poppler-utils (pdftotext) to read the certificate PDF back");
            return;
        }
        Err(error) => panic!("pdftotext (poppler-utils) must be installed in CI: {error}"),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Learner d"), "{text}");
    assert!(text.contains("Peer2Peer"), "{text}");
    assert!(text.contains(certificate["number"].as_str().unwrap()), "{text}");
    let issued = Utc::now().date_naive().format("%-d %B %Y").to_string();
    assert!(text.contains(&issued), "{text}");
}

const RENEWABLE: &str = r#"
code = "CPS"
title = "Certified Peer Specialist"
description = "A peer specialist certificate valid for 24 months, renewed by continuing education."
awarding_body = "Peer Specialist Board"
version = 1

[rule]
all_core_modules = true
validity_months = 24

[rule.renewal]
period_months = 24
min_hours = 20
categories = [{ category = "ethics", hours = 6 }]

[[modules]]
code = "CORE"
title = "Peer Specialist Core Training"
core = true
planned_hours = 40
assessment_kind = "portfolio"
"#;

async fn a_24_month_certificate_is_renewed_by_continuing_development(server: &TestServer) {
    server
        .database
        .db
        .write_async(|conn| {
            let definition = ProgrammeDefinition::from_toml(RENEWABLE).unwrap();
            programmes::publish(conn, &definition, store::stored(Utc::now()))
        })
        .await
        .unwrap();
    let learner = eligible_learner(server, "CPS", "e").await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let today = Utc::now().date_naive();
    let expiry = today.checked_add_months(chrono::Months::new(24)).unwrap();
    assert_eq!(certificate["expires_on"], expiry.to_string());
    let id = certificate["id"].as_str().unwrap();
    // Its credential is valid until the day it expires.
    let first = server.credential_claims(&learner.learner, id).await;
    assert_eq!(first["validUntil"], format!("{expiry}T00:00:00Z"));
    assert_eq!(
        first["exp"],
        expiry.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
    );

    // 16 hours, only 2 of them in ethics: not yet.
    for (hours, category) in [(10.0, "peer recovery"), (4.0, "advocacy"), (2.0, "ethics")] {
        let (status, body) = server
            .call(
                &learner.learner,
                Method::POST,
                "/v1/me/cpd",
                Some(
                    json!({"completed_on": today, "hours": hours, "category": category, "title": "Workshop"}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, problem) = server
        .call(
            &learner.tutor,
            Method::POST,
            &format!("/v1/certificates/{id}/renew"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let unmet: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(unmet, ["cpd_hours", "cpd_hours:ethics"]);
    assert!(
        problem["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("4 hours more"),
        "{problem}"
    );

    // 4 more hours of ethics: 20 in all, 6 in ethics.
    server
        .call(&learner.learner, Method::POST, "/v1/me/cpd", Some(json!({"completed_on": today, "hours": 4, "category": "Ethics", "title": "Boundaries and ethics"})))
        .await;
    let (status, renewed) = server
        .call(
            &learner.tutor,
            Method::POST,
            &format!("/v1/certificates/{id}/renew"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["number"], certificate["number"], "same number");
    let new_expiry = expiry.checked_add_months(chrono::Months::new(24)).unwrap();
    assert_eq!(renewed["expires_on"], new_expiry.to_string());
    assert_eq!(renewed["renewals"][0]["previous_expires_on"], expiry.to_string());
    assert_eq!(renewed["status"], "valid");

    // Renewal makes a new credential: its own id, valid until the new expiry, the same status
    // entry (the certificate is the same).
    let second = server.credential_claims(&learner.learner, id).await;
    assert_eq!(second["validUntil"], format!("{new_expiry}T00:00:00Z"));
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["jti"], second["id"]);
    assert_eq!(second["credentialStatus"], first["credentialStatus"]);
}

const ACCREDITED: &str = r#"
code = "ACC"
title = "Award in Peer Support Practice"
description = "An accredited award in peer support practice."
awarding_body = "SQA, with the Scottish Recovery Network"
version = 1
credits = 16
level = 7

[rule]
all_core_modules = true

[[modules]]
code = "CORE"
title = "Peer Support Practice"
core = true
planned_hours = 40
assessment_kind = "portfolio"
"#;

async fn the_verification_page_shows_what_employers_ask_for(server: &TestServer) {
    server
        .database
        .db
        .write_async(|conn| {
            let definition = ProgrammeDefinition::from_toml(ACCREDITED).unwrap();
            programmes::publish(conn, &definition, store::stored(Utc::now()))
        })
        .await
        .unwrap();
    let learner = eligible_learner(server, "ACC", "v").await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let code = certificate["verification_code"].as_str().unwrap();
    let today = Utc::now().date_naive();
    let verified: Value = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["programme_level"], 7);
    assert_eq!(verified["programme_credits"], 16);
    assert_eq!(
        verified["awarding_body"],
        "SQA, with the Scottish Recovery Network"
    );
    assert_eq!(verified["issued_on"], today.to_string());
    assert_eq!(verified["revoked_on"], Value::Null);
    let page = |server: &TestServer| {
        let request = server.http.get(server.url(&format!("/verify/{code}")));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let html = page(server).await;
    let in_words = today.format("%-d %B %Y").to_string();
    for expected in [
        "Award in Peer Support Practice (SCQF level 7, 16 SCQF credit points)",
        "<dt>Awarded by</dt><dd>SQA, with the Scottish Recovery Network</dd>",
        &format!("<dt>Issued on</dt><dd>{in_words}</dd>"),
        "<dt>Valid until</dt>",
    ] {
        assert!(html.contains(expected), "{expected:?} is missing: {html}");
    }

    // Revoked: the page says from when it stopped being valid.
    let id = certificate["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/certificates/{id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(status, 200);
    let html = page(server).await;
    assert!(
        html.contains(&format!(
            "<dt>No longer valid from</dt><dd>{in_words} (withdrawn)</dd>"
        )),
        "{html}"
    );
    let verified: Value = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["revoked_on"], today.to_string());
}

async fn every_name_prints_exactly_in_the_pdf(server: &TestServer) {
    for (suffix, name) in [
        ("pl", "Łukasz Wójcik-Żółć"),
        ("el", "Σοφία Παπαδοπούλου"),
        ("uk", "Олена Коваленко"),
        ("ar", "فاطمة الزهراء"),
        ("zh", "王小明"),
        ("ga", "Niamh Ní Bhriain"),
    ] {
        let learner = eligible_learner_named(server, "P2P", suffix, name).await;
        let (status, certificate) = learner.certify(server).await;
        assert_eq!(status, 201, "{name}: {certificate}");
        assert_eq!(certificate["holder_name"], name);
        let id = certificate["id"].as_str().unwrap();
        let Some((bytes, text)) = server.pdf_text(&learner.learner, id).await else {
            return;
        };
        assert!(text.contains(name), "{name} is not read back exactly: {text}");
        assert!(!text.contains("cannot show"), "{name}: {text}");
        assert!(bytes.len() < 250 * 1024, "{name}: {} bytes", bytes.len());
        println!("PDF for {name}: {} bytes", bytes.len());
    }
}

/// Two requests to certify the same learner at the same moment (a partner system retrying, two
/// tutors): one certificate, and the other request is told it exists.
async fn two_requests_at_once_issue_one_certificate(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "twice").await;
    for _ in 0..3 {
        let ((first, _), (second, _)) = tokio::join!(learner.certify(server), learner.certify(server));
        let mut statuses = [first.as_u16(), second.as_u16()];
        statuses.sort();
        if statuses == [409, 409] {
            continue;
        }
        assert_eq!(statuses, [201, 409]);
    }
    let person_id = learner.person_id.clone();
    let held = server
        .database
        .db
        .read_async(move |conn| peertrack_core::store::certificates::of_person(conn, &person_id))
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
}

e2e_on_both_backends!(
    two_requests_at_once_issue_one_certificate,
    every_name_prints_exactly_in_the_pdf,
    an_eligible_learner_is_certified_and_anyone_can_verify_it,
    an_ineligible_learner_gets_422_naming_each_unmet_requirement,
    the_credential_verifies_against_the_published_keys,
    the_pdf_opens_in_a_standard_reader,
    a_24_month_certificate_is_renewed_by_continuing_development,
    the_verification_page_shows_what_employers_ask_for,
);

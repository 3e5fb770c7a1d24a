//! Signing a credential as a compact JWS (VC-JWT, EdDSA) and checking one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use serde_json::{json, Map, Value};

use super::badge::midnight_utc;
use super::status_list::status_list_credential;
use super::{open_badge_credential, BadgeFacts, CredentialError, KeyRing};

/// The certificate as a signed credential (OB 3.0 §8.2 "JSON Web Token Proof Format"): a
/// compact JWS, EdDSA, signed with the active key, whose payload IS the credential's JSON with
/// the registered claims `iss`, `jti`, `sub`, `nbf`, `iat` and `exp` beside its properties
/// (§8.2.4.1). `now` becomes `iat`; `exp` is `validUntil` when there is one.
pub fn credential_jws(
    keys: &KeyRing,
    facts: &BadgeFacts,
    now: DateTime<Utc>,
) -> Result<String, CredentialError> {
    let Value::Object(mut claims) = open_badge_credential(facts) else {
        unreachable!("a credential is a JSON object");
    };
    claims.insert("iss".into(), json!(facts.issuer_id()));
    claims.insert("jti".into(), json!(facts.credential_id()));
    claims.insert("sub".into(), json!(facts.subject_id()));
    claims.insert("nbf".into(), json!(midnight_utc(facts.issued_on).timestamp()));
    claims.insert("iat".into(), json!(now.timestamp()));
    if let Some(until) = facts.valid_until() {
        claims.insert("exp".into(), json!(until.timestamp()));
    }
    Ok(sign_claims(keys, &claims))
}

/// A status list credential (see [`super::status_list`]) signed like a credential: the
/// payload is the list credential with `iss`, `jti`, `nbf` and `iat`.
pub fn status_list_jws(
    keys: &KeyRing,
    list_url: &str,
    issuer_id: &str,
    encoded_list: &str,
    now: DateTime<Utc>,
) -> Result<String, CredentialError> {
    let list = status_list_credential(list_url, &json!(issuer_id), encoded_list, now);
    let Value::Object(mut claims) = list else {
        unreachable!("a credential is a JSON object");
    };
    claims.insert("iss".into(), json!(issuer_id));
    claims.insert("jti".into(), json!(list_url));
    claims.insert("nbf".into(), json!(now.timestamp()));
    claims.insert("iat".into(), json!(now.timestamp()));
    Ok(sign_claims(keys, &claims))
}

/// `claims` as a compact JWS signed with the active key.
fn sign_claims(keys: &KeyRing, claims: &Map<String, Value>) -> String {
    let key = keys.active();
    let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": key.kid });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signature = key.signing.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Checks a compact JWS signed by one of our keys (found by its `kid`) and returns its claims.
///
/// Only the signature is checked: expiry (`exp`) and revocation are the caller's to judge.
pub fn verify_compact(keys: &KeyRing, jws: &str) -> Result<Value, CredentialError> {
    let malformed = |what: &str| CredentialError::Malformed(what.to_string());
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(malformed("a compact JWS has three parts separated by dots"));
    };
    let decode_json = |part: &str, what: &str| -> Result<Value, CredentialError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| malformed(&format!("the {what} is not base64url")))?;
        serde_json::from_slice(&bytes).map_err(|_| malformed(&format!("the {what} is not JSON")))
    };
    let header = decode_json(header_b64, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(malformed("the algorithm is not EdDSA"));
    }
    if header.get("crit").is_some() {
        return Err(malformed("the header names critical extensions we do not know"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the header names no key (kid)"))?;
    let key = keys
        .find(kid)
        .ok_or_else(|| CredentialError::UnknownKey(kid.to_string()))?;

    let signature_bytes = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| malformed("the signature is not base64url"))?;
    let signature = Signature::from_slice(&signature_bytes).map_err(|_| CredentialError::BadSignature)?;
    let verifying: VerifyingKey = key.signing.verifying_key();
    let signing_input = &jws.trim()[..header_b64.len() + 1 + payload_b64.len()];
    verifying
        .verify_strict(signing_input.as_bytes(), &signature)
        .map_err(|_| CredentialError::BadSignature)?;

    let claims = decode_json(payload_b64, "payload")?;
    if !claims.is_object() {
        return Err(malformed("the payload is not a JSON object"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::fixtures::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::SecondsFormat;
    use jsonwebtoken::{decode_header, Algorithm};

    #[test]
    fn the_jws_verifies_with_an_independent_library_and_the_published_keys() {
        let (_temp, keys) = ring();
        let facts = expiring_now();
        let now = Utc::now();
        let jws = credential_jws(&keys, &facts, now).unwrap();

        let header = decode_header(&jws).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), Some(keys.active_kid().as_str()));

        let claims = verify_independently(&keys.jwks(), &jws).unwrap();
        let vc = &claims;
        // The claims repeat the credential as OB 3.0 requires.
        assert_eq!(claims["iss"], vc["issuer"]["id"]);
        assert_eq!(claims["jti"], vc["id"]);
        assert_eq!(claims["sub"], vc["credentialSubject"]["id"]);
        assert_eq!(claims["iat"], now.timestamp());
        let nbf = DateTime::from_timestamp(claims["nbf"].as_i64().unwrap(), 0).unwrap();
        assert_eq!(nbf.to_rfc3339_opts(SecondsFormat::Secs, true), vc["validFrom"]);
        let exp = DateTime::from_timestamp(claims["exp"].as_i64().unwrap(), 0).unwrap();
        assert_eq!(exp.to_rfc3339_opts(SecondsFormat::Secs, true), vc["validUntil"]);
        assert_eq!(
            vc["id"], "urn:uuid:7d3b2a10-2222-4c3d-8e4f-0a1b2c3d4e5f",
            "the credential id is the certificate's"
        );

        assert_eq!(verify_compact(&keys, &jws).unwrap(), claims);
    }

    #[test]
    fn a_tampered_payload_or_signature_fails() {
        let (_temp, keys) = ring();
        let jws = sign(&keys, &expiring_now());
        let jwks = keys.jwks();
        let parts: Vec<&str> = jws.split('.').collect();

        let mut claims = payload(&jws);
        claims["credentialSubject"]["achievement"]["name"] = json!("Something grander");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert!(verify_independently(&jwks, &forged).is_err());
        assert!(matches!(
            verify_compact(&keys, &forged),
            Err(CredentialError::BadSignature)
        ));

        let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        signature[10] ^= 0x01;
        let forged = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(signature));
        assert!(verify_independently(&jwks, &forged).is_err());
        assert!(matches!(
            verify_compact(&keys, &forged),
            Err(CredentialError::BadSignature)
        ));
    }

    #[test]
    fn a_credential_from_another_key_or_without_a_signature_is_refused() {
        let (_temp, keys) = ring();
        let (_other_temp, other) = ring();
        let jws = sign(&other, &pda());
        assert!(matches!(
            verify_compact(&keys, &jws),
            Err(CredentialError::UnknownKey(_))
        ));

        // An unsigned token ("alg": "none") never passes, whatever it claims.
        let signed = sign(&keys, &pda());
        let parts: Vec<&str> = signed.split('.').collect();
        let header = json!({ "alg": "none", "kid": keys.active_kid() });
        let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), parts[1]);
        assert!(matches!(
            verify_compact(&keys, &unsigned),
            Err(CredentialError::Malformed(_))
        ));
        assert!(matches!(
            verify_compact(&keys, "not a credential"),
            Err(CredentialError::Malformed(_))
        ));
    }

    #[test]
    fn the_status_list_is_signed_like_a_credential() {
        use crate::credential::status_list::{bit_is_set, encoded_list};
        let (_temp, keys) = ring();
        let list_url = "https://peertrack.example.org/v1/credentials/status/1";
        let encoded = encoded_list(131_072, [7]);
        let jws = status_list_jws(
            &keys,
            list_url,
            "https://peertrack.example.org",
            &encoded,
            Utc::now(),
        )
        .unwrap();
        let claims = verify_compact(&keys, &jws).unwrap();
        assert_eq!(
            claims["type"],
            json!(["VerifiableCredential", "BitstringStatusListCredential"])
        );
        assert_eq!(claims["iss"], "https://peertrack.example.org");
        assert_eq!(claims["issuer"], "https://peertrack.example.org");
        assert_eq!(claims["jti"], list_url);
        let encoded = claims["credentialSubject"]["encodedList"].as_str().unwrap();
        assert_eq!(bit_is_set(encoded, 7), Some(true));
        assert_eq!(bit_is_set(encoded, 8), Some(false));
    }
}

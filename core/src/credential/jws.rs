//! Signing a credential as a compact JWS (VC-JWT, EdDSA) and checking one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use serde_json::{json, Map, Value};

use super::badge::midnight_utc;
use super::{open_badge_credential, BadgeFacts, CredentialError, KeyRing};

/// The certificate as a signed VC-JWT (OB 3.0 "JSON Web Token Proof"): a compact JWS, EdDSA,
/// signed with the active key; `now` becomes the `iat` claim.
pub fn credential_jws(
    keys: &KeyRing,
    facts: &BadgeFacts,
    now: DateTime<Utc>,
) -> Result<String, CredentialError> {
    let key = keys.active();
    let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": key.kid });
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(facts.issuer_id()));
    claims.insert("jti".into(), json!(facts.credential_id()));
    claims.insert("sub".into(), json!(facts.subject_id()));
    claims.insert("nbf".into(), json!(midnight_utc(facts.issued_on).timestamp()));
    claims.insert("iat".into(), json!(now.timestamp()));
    if let Some(expires_on) = facts.expires_on {
        claims.insert("exp".into(), json!(midnight_utc(expires_on).timestamp()));
    }
    claims.insert("vc".into(), open_badge_credential(facts));

    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
    );
    let signature = key.signing.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
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
        assert_eq!(header.kid.as_deref(), Some(keys.active_kid()));

        let claims = verify_independently(&keys.jwks(), &jws).unwrap();
        let vc = &claims["vc"];
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
        claims["vc"]["credentialSubject"]["achievement"]["name"] = json!("Something grander");
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
}

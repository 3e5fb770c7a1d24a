//! Portable credentials: Open Badges 3.0, signed as a compact JWS with Ed25519.
//!
//! A certificate leaves Peertrack as an `OpenBadgeCredential` (a W3C Verifiable Credential)
//! secured as a JWT: a compact JWS signed with EdDSA whose payload is the credential itself. Anyone can check it with the public
//! keys Peertrack publishes as a JSON Web Key Set, without asking Peertrack about the holder.
//!
//! - [`keys`]: the signing keys, kept in a directory, one file per key; rotating adds a key and
//!   keeps the old ones, so credentials signed earlier keep verifying.
//! - [`badge`]: what a credential says about a certificate.
//! - [`status_list`]: where revocation is published (W3C Bitstring Status List).
//! - [`jws`]: signing and checking compact JWS.

mod badge;
mod jws;
mod keys;
pub mod status_list;

use std::io;
use std::path::PathBuf;

pub use badge::{identity_hash, open_badge_credential, BadgeFacts, ACHIEVEMENT_CREDENTIAL_SCHEMA};
pub use jws::{credential_jws, status_list_jws, verify_compact};
pub use keys::KeyRing;
pub use status_list::StatusEntry;

/// The JSON-LD contexts of an Open Badges 3.0 credential (VC data model 2.0).
pub const OB3_CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];

/// Why keys could not be loaded or kept, or a credential could not be signed or verified.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The key directory could not be created or read.
    #[error("cannot use the key directory {}: {source}", path.display())]
    KeyDirectory {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A key file could not be read or written.
    #[error("cannot read or write the key file {}: {source}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A key file can be read (or changed) by other users, so the key may have leaked.
    #[error(
        "the key file {} can be read or changed by other users; \
         make it private with `chmod 600 {}` (and consider rotating the key)",
        path.display(),
        path.display()
    )]
    KeyFileNotPrivate {
        /// The key file.
        path: PathBuf,
    },
    /// A key file does not hold a valid signing key.
    #[error("the key file {} is not a valid signing key: {reason}", path.display())]
    KeyFileCorrupt {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Two key files hold the same key id.
    #[error("the key files {} and {} both hold the key id {kid}", first.display(), second.display())]
    DuplicateKeyId {
        /// The key id.
        kid: String,
        /// The first file holding it.
        first: PathBuf,
        /// The second file holding it.
        second: PathBuf,
    },
    /// The operating system could not provide randomness for a new key.
    #[error("no randomness available for a new signing key: {0}")]
    Randomness(String),
    /// The credential is not a well-formed compact JWS of ours.
    #[error("the credential is not well-formed: {0}")]
    Malformed(String),
    /// The credential names a signing key this key ring does not hold.
    #[error("the credential was signed with the key {0}, which is not one of ours")]
    UnknownKey(String),
    /// The signature does not match the credential's content.
    #[error("the credential's signature does not match its content")]
    BadSignature,
}

/// Bytes as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Certificates and keys the credential tests share.
    use std::fs;
    use std::path::{Path, PathBuf};

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use chrono::{NaiveDate, Utc};
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    use serde_json::Value;

    use super::{credential_jws, BadgeFacts, KeyRing};

    pub(crate) fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    pub(crate) fn pda() -> BadgeFacts {
        BadgeFacts {
            certificate_id: "0b6f1c9e-5a0d-4e53-9a38-2f1d6c3e7a10".into(),
            number: "PDA-2025-0007".into(),
            holder_id: "5c2d8f0a-1111-4b2c-8d3e-9f0a1b2c3d4e".into(),
            holder_name: Some("Morag Fictional".into()),
            programme_code: "PDA-MHPS".into(),
            programme_title: "PDA in Mental Health Peer Support".into(),
            programme_description: "A Professional Development Award in mental health peer support.".into(),
            awarding_body: "SQA".into(),
            criteria: "The holder has achieved every core module (Recovery Context; \
                       Developing Practice)."
                .into(),
            modules: vec![
                ("RC".into(), "Recovery Context".into()),
                ("DP".into(), "Developing Practice".into()),
            ],
            credits: Some(16),
            level: Some(7),
            issuer_name: "Dundee Recovery College".into(),
            public_url: "https://peertrack.example.org/".into(),
            verification_url: "https://peertrack.example.org/verify/ABCD-EFGH".into(),
            issued_on: date("2025-06-20"),
            expires_on: None,
            activity_start: Some(date("2025-01-13")),
            activity_end: Some(date("2025-06-06")),
            status: Some(super::StatusEntry {
                list_url: "https://peertrack.example.org/v1/credentials/status/1".into(),
                index: 4242,
            }),
            revoked_at: None,
            edition: 0,
        }
    }

    pub(crate) fn p2p() -> BadgeFacts {
        BadgeFacts {
            certificate_id: "7d3b2a10-2222-4c3d-8e4f-0a1b2c3d4e5f".into(),
            number: "P2P-2025-0015".into(),
            programme_code: "P2P".into(),
            programme_title: "Peer2Peer".into(),
            programme_description: "Vocational training in peer support.".into(),
            awarding_body: "Scottish Recovery Network".into(),
            criteria: "The holder has attended at least 80% of the sessions held since \
                       enrolling, achieved every core module."
                .into(),
            modules: vec![
                ("M1".into(), "Introducing Peer Support".into()),
                ("M2".into(), "The Peer Support Relationship".into()),
            ],
            credits: None,
            level: None,
            ..pda()
        }
    }

    /// Issued a month ago, expiring in two years, so a verifier using the real clock accepts it.
    pub(crate) fn expiring_now() -> BadgeFacts {
        let today = Utc::now().date_naive();
        BadgeFacts {
            issued_on: today - chrono::Days::new(30),
            expires_on: Some(today + chrono::Days::new(730)),
            ..p2p()
        }
    }

    pub(crate) fn ring() -> (tempfile::TempDir, KeyRing) {
        let temp = tempfile::tempdir().unwrap();
        let keys = KeyRing::open_or_create(&temp.path().join("keys")).unwrap();
        (temp, keys)
    }

    pub(crate) fn sign(keys: &KeyRing, facts: &BadgeFacts) -> String {
        credential_jws(keys, facts, Utc::now()).unwrap()
    }

    pub(crate) fn payload(jws: &str) -> Value {
        let part = jws.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    pub(crate) fn key_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    }

    /// Verifies as an outside party would: the published JWKS, the header's kid, and an
    /// independent JWT library.
    pub(crate) fn verify_independently(jwks: &Value, jws: &str) -> jsonwebtoken::errors::Result<Value> {
        let kid = decode_header(jws)?.kid.expect("the header names its key");
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .expect("the JWKS holds the signing key");
        let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap())?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["iss", "sub", "nbf"]);
        validation.set_issuer(&["https://peertrack.example.org"]);
        Ok(decode::<Value>(jws, &key, &validation)?.claims)
    }
}

//! Portable credentials: Open Badges 3.0, signed as a compact JWS with Ed25519.
//!
//! A certificate leaves Peertrack as an `OpenBadgeCredential` (a W3C Verifiable Credential)
//! wrapped in a VC-JWT: a compact JWS signed with EdDSA. Anyone can check it with the public
//! keys Peertrack publishes as a JSON Web Key Set, without asking Peertrack about the holder.
//!
//! Signing keys live in a directory, one file per key; rotating adds a key and keeps the old
//! ones, so credentials signed earlier keep verifying.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

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

/// One signing key with its id and creation time.
#[derive(Clone)]
struct RingKey {
    kid: String,
    created_at: DateTime<Utc>,
    signing: SigningKey,
    path: PathBuf,
}

impl RingKey {
    fn public_x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes())
    }
}

/// What a key file holds (JSON, mode 0600).
#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// The key id, as in the JWS header and the JWKS.
    kid: String,
    /// Always `EdDSA` (Ed25519).
    alg: String,
    /// When the key was made; the newest key signs.
    created_at: DateTime<Utc>,
    /// The 32-byte Ed25519 seed, base64 (standard alphabet, padded).
    seed: String,
    /// The public key as the JWK `x` (base64url, no padding); checked against the seed on load.
    x: String,
}

/// Ed25519 signing keys kept in a directory; the newest key signs, all keys verify.
#[derive(Clone)]
pub struct KeyRing {
    dir: PathBuf,
    /// Oldest first; never empty.
    keys: Vec<RingKey>,
}

impl fmt::Debug for KeyRing {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .field("kids", &self.kids())
            .finish()
    }
}

impl KeyRing {
    /// Opens the key directory (creating it, private, if missing), loads every key file and
    /// makes a first key if there is none.
    pub fn open_or_create(dir: &Path) -> Result<KeyRing, CredentialError> {
        create_private_dir(dir)?;
        let mut keys = load_keys(dir)?;
        if keys.is_empty() {
            keys.push(new_key(dir, Utc::now(), &HashSet::new())?);
        }
        Ok(KeyRing {
            dir: dir.to_path_buf(),
            keys,
        })
    }

    /// Adds a new key that signs from now on and returns its id; older keys stay to verify.
    pub fn rotate(&mut self) -> Result<String, CredentialError> {
        let newest = self.active().created_at;
        // Creation time orders the keys, so the new one must sort after every existing one,
        // even if the clock stepped back.
        let created_at = Utc::now().max(newest + chrono::Duration::microseconds(1));
        let taken: HashSet<String> = self.keys.iter().map(|k| k.kid.clone()).collect();
        let key = new_key(&self.dir, created_at, &taken)?;
        let kid = key.kid.clone();
        self.keys.push(key);
        Ok(kid)
    }

    /// The id of the key that signs new credentials.
    pub fn active_kid(&self) -> &str {
        &self.active().kid
    }

    /// Every key id, oldest first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }

    /// The public keys as a JSON Web Key Set, the signing key first.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .rev()
            .map(|key| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": key.public_x(),
                    "kid": key.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    fn active(&self) -> &RingKey {
        self.keys.last().expect("a key ring always holds a key")
    }

    fn find(&self, kid: &str) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

fn create_private_dir(dir: &Path) -> Result<(), CredentialError> {
    let failed = |source| CredentialError::KeyDirectory {
        path: dir.to_path_buf(),
        source,
    };
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => Ok(()),
        // Another process made it first.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(failed(e)),
    }
}

fn load_keys(dir: &Path) -> Result<Vec<RingKey>, CredentialError> {
    let failed = |source| CredentialError::KeyDirectory {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(failed)? {
        let path = entry.map_err(failed)?.path();
        // Only `<kid>.json`; temporary files of an interrupted write start with a dot.
        let is_key_file = path.extension().is_some_and(|e| e == "json")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if is_key_file && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut keys: Vec<RingKey> = Vec::with_capacity(paths.len());
    for path in paths {
        let key = load_key(&path)?;
        if let Some(other) = keys.iter().find(|k| k.kid == key.kid) {
            return Err(CredentialError::DuplicateKeyId {
                kid: key.kid,
                first: other.path.clone(),
                second: path,
            });
        }
        keys.push(key);
    }
    keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    Ok(keys)
}

fn load_key(path: &Path) -> Result<RingKey, CredentialError> {
    let io_failed = |source| CredentialError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |reason: String| CredentialError::KeyFileCorrupt {
        path: path.to_path_buf(),
        reason,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path).map_err(io_failed)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(CredentialError::KeyFileNotPrivate {
                path: path.to_path_buf(),
            });
        }
    }
    let text = fs::read(path).map_err(io_failed)?;
    let file: KeyFile =
        serde_json::from_slice(&text).map_err(|e| corrupt(format!("not a key file ({e})")))?;
    if file.alg != "EdDSA" {
        return Err(corrupt(format!("unsupported algorithm {:?}", file.alg)));
    }
    if file.kid.trim().is_empty() {
        return Err(corrupt("the key id is empty".into()));
    }
    let seed: [u8; 32] = STANDARD
        .decode(file.seed.trim())
        .map_err(|e| corrupt(format!("the seed is not base64 ({e})")))?
        .try_into()
        .map_err(|bytes: Vec<u8>| corrupt(format!("the seed has {} bytes, not 32", bytes.len())))?;
    let signing = SigningKey::from_bytes(&seed);
    let key = RingKey {
        kid: file.kid,
        created_at: file.created_at,
        signing,
        path: path.to_path_buf(),
    };
    if key.public_x() != file.x {
        return Err(corrupt(
            "the public key does not match the seed (the file was changed or damaged)".into(),
        ));
    }
    Ok(key)
}

/// Makes a key with a fresh seed and writes its file; the kid is unique among `taken`.
fn new_key(
    dir: &Path,
    created_at: DateTime<Utc>,
    taken: &HashSet<String>,
) -> Result<RingKey, CredentialError> {
    use rand::TryRngCore as _;
    loop {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|e| CredentialError::Randomness(e.to_string()))?;
        let signing = SigningKey::from_bytes(&seed);
        // The kid's suffix is a fingerprint of the public key: readable, and unique in practice.
        let fingerprint = Sha256::digest(signing.verifying_key().as_bytes());
        let kid = format!(
            "ed25519-{}-{}",
            created_at.format("%Y-%m-%d"),
            hex(&fingerprint[..4])
        );
        let path = dir.join(format!("{kid}.json"));
        if taken.contains(&kid) || path.exists() {
            continue;
        }
        let key = RingKey {
            kid,
            created_at,
            signing,
            path,
        };
        write_key_file(&key)?;
        return Ok(key);
    }
}

/// Writes a key file atomically: a private temporary file, synced, then renamed into place.
fn write_key_file(key: &RingKey) -> Result<(), CredentialError> {
    let failed = |path: &Path, source| CredentialError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let file = KeyFile {
        kid: key.kid.clone(),
        alg: "EdDSA".into(),
        created_at: key.created_at,
        seed: STANDARD.encode(key.signing.to_bytes()),
        x: key.public_x(),
    };
    let mut text = serde_json::to_vec_pretty(&file).expect("a key file serialises");
    text.push(b'\n');
    let dir = key.path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{}.json.tmp", key.kid));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut f| {
        f.write_all(&text)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&temp, &key.path)) {
        let _ = fs::remove_file(&temp);
        return Err(failed(&key.path, e));
    }
    // Make the rename itself durable.
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| failed(dir, e))?;
    Ok(())
}

/// Bytes as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a signed credential says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeFacts {
    /// The certificate's id (a UUID).
    pub certificate_id: String,
    /// The certificate number printed on it.
    pub number: String,
    /// The holder's person id; published only as a salted hash.
    pub holder_id: String,
    /// The holder's name; `None` once their details were erased.
    pub holder_name: Option<String>,
    /// The programme's code, e.g. `P2P`.
    pub programme_code: String,
    /// The programme's title.
    pub programme_title: String,
    /// What the programme is.
    pub programme_description: String,
    /// Who awards the certificate.
    pub awarding_body: String,
    /// What the holder did to earn it, in plain words.
    pub criteria: String,
    /// The programme's modules as (code, title), in teaching order.
    pub modules: Vec<(String, String)>,
    /// Credit points, for accredited awards.
    pub credits: Option<u32>,
    /// Award level (SCQF level, for example).
    pub level: Option<u32>,
    /// The organisation that delivered the programme and issues the credential.
    pub issuer_name: String,
    /// Peertrack's public base URL, e.g. `https://peertrack.example.org`.
    pub public_url: String,
    /// Where anyone can check the certificate.
    pub verification_url: String,
    /// The day the certificate was issued.
    pub issued_on: NaiveDate,
    /// The day it stops being valid, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// When the holder's learning began.
    pub activity_start: Option<NaiveDate>,
    /// When the holder's learning ended.
    pub activity_end: Option<NaiveDate>,
}

impl BadgeFacts {
    fn base_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// The issuer's id: Peertrack's public URL, where `/.well-known/jwks.json` holds the keys.
    fn issuer_id(&self) -> String {
        self.base_url().to_string()
    }

    fn credential_id(&self) -> String {
        match uuid::Uuid::parse_str(&self.certificate_id) {
            Ok(id) => format!("urn:uuid:{id}"),
            Err(_) => format!(
                "{}/v1/certificates/{}",
                self.base_url(),
                path_segment(&self.certificate_id)
            ),
        }
    }

    fn achievement_id(&self) -> String {
        format!(
            "{}/v1/programmes/{}",
            self.base_url(),
            path_segment(&self.programme_code)
        )
    }

    /// A salt per certificate, so the same person's credentials do not share a hash.
    fn identity_salt(&self) -> String {
        let digest = Sha256::digest(format!("peertrack-identity-salt:{}", self.certificate_id));
        hex(&digest[..16])
    }

    /// A pseudonymous subject id, different for every certificate: `sub` must be a URI equal
    /// to `credentialSubject.id`, and the person id itself is not published.
    fn subject_id(&self) -> String {
        let digest = Sha256::digest(format!(
            "peertrack-subject:{}:{}",
            self.certificate_id, self.holder_id
        ));
        let bytes: [u8; 16] = digest[..16].try_into().expect("16 bytes");
        format!("urn:uuid:{}", uuid::Builder::from_custom_bytes(bytes).into_uuid())
    }
}

/// The OB 3.0 `identityHash` of an identifier with a salt: `sha256$` and the hex digest of
/// the identifier followed by the salt.
pub fn identity_hash(identifier: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{identifier}{salt}"));
    format!("sha256${}", hex(&digest))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one URL path segment.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

fn date_time(date: NaiveDate) -> String {
    midnight_utc(date).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The certificate as an Open Badges 3.0 `OpenBadgeCredential` (unsigned).
///
/// No `credentialStatus`: revocation is answered by the public verification page, not yet by
/// a Bitstring Status List.
pub fn open_badge_credential(facts: &BadgeFacts) -> Value {
    let base = facts.base_url();

    let mut identifiers = vec![json!({
        "type": "IdentityObject",
        "identityType": "identifier",
        "hashed": true,
        "identityHash": identity_hash(&facts.holder_id, &facts.identity_salt()),
        "salt": facts.identity_salt(),
    })];
    if let Some(name) = &facts.holder_name {
        identifiers.push(json!({
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": false,
            "identityHash": name,
        }));
    }

    let mut description = facts.programme_description.trim().to_string();
    if let Some(level) = facts.level {
        // OB 3.0 has no level field; an `alignment` would need the framework's URL.
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!("Awarded at level {level}."));
    }
    let mut achievement = Map::new();
    achievement.insert("id".into(), json!(facts.achievement_id()));
    achievement.insert("type".into(), json!(["Achievement"]));
    achievement.insert("achievementType".into(), json!("Certificate"));
    achievement.insert("name".into(), json!(facts.programme_title));
    achievement.insert("description".into(), json!(description));
    achievement.insert("criteria".into(), json!({ "narrative": facts.criteria }));
    achievement.insert("humanCode".into(), json!(facts.programme_code));
    if let Some(credits) = facts.credits {
        achievement.insert("creditsAvailable".into(), json!(credits));
    }
    if !facts.modules.is_empty() {
        let titles: Vec<&str> = facts.modules.iter().map(|(_, t)| t.as_str()).collect();
        achievement.insert("tag".into(), json!(titles));
    }
    achievement.insert(
        "creator".into(),
        json!({
            "id": format!("{}#awarding-body", facts.achievement_id()),
            "type": ["Profile"],
            "name": facts.awarding_body,
        }),
    );

    let mut subject = Map::new();
    subject.insert("id".into(), json!(facts.subject_id()));
    subject.insert("type".into(), json!(["AchievementSubject"]));
    subject.insert("identifier".into(), json!(identifiers));
    if let Some(start) = facts.activity_start {
        subject.insert("activityStartDate".into(), json!(date_time(start)));
    }
    if let Some(end) = facts.activity_end {
        subject.insert("activityEndDate".into(), json!(date_time(end)));
    }
    if let Some(credits) = facts.credits {
        subject.insert("creditsEarned".into(), json!(credits));
    }
    subject.insert("achievement".into(), Value::Object(achievement));

    let mut credential = Map::new();
    credential.insert("@context".into(), json!(OB3_CONTEXTS));
    credential.insert("id".into(), json!(facts.credential_id()));
    credential.insert(
        "type".into(),
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
    );
    credential.insert(
        "issuer".into(),
        json!({
            "id": facts.issuer_id(),
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": base,
        }),
    );
    credential.insert("validFrom".into(), json!(date_time(facts.issued_on)));
    if let Some(expires_on) = facts.expires_on {
        credential.insert("validUntil".into(), json!(date_time(expires_on)));
    }
    credential.insert("awardedDate".into(), json!(date_time(facts.issued_on)));
    credential.insert("name".into(), json!(facts.programme_title));
    credential.insert(
        "description".into(),
        json!(format!(
            "Certificate {}. Check that it is still valid at {}",
            facts.number, facts.verification_url
        )),
    );
    credential.insert("credentialSubject".into(), Value::Object(subject));
    Value::Object(credential)
}

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
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn pda() -> BadgeFacts {
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
        }
    }

    fn p2p() -> BadgeFacts {
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
    fn expiring_now() -> BadgeFacts {
        let today = Utc::now().date_naive();
        BadgeFacts {
            issued_on: today - chrono::Days::new(30),
            expires_on: Some(today + chrono::Days::new(730)),
            ..p2p()
        }
    }

    fn ring() -> (tempfile::TempDir, KeyRing) {
        let temp = tempfile::tempdir().unwrap();
        let keys = KeyRing::open_or_create(&temp.path().join("keys")).unwrap();
        (temp, keys)
    }

    fn sign(keys: &KeyRing, facts: &BadgeFacts) -> String {
        credential_jws(keys, facts, Utc::now()).unwrap()
    }

    fn payload(jws: &str) -> Value {
        let part = jws.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn key_files(dir: &Path) -> Vec<PathBuf> {
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
    fn verify_independently(jwks: &Value, jws: &str) -> jsonwebtoken::errors::Result<Value> {
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

    #[cfg(unix)]
    #[test]
    fn key_directory_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("state").join("keys");
        KeyRing::open_or_create(&dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let files = key_files(&dir);
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn key_file_holds_kid_creation_time_and_seed() {
        let (temp, keys) = ring();
        let files = key_files(&temp.path().join("keys"));
        let file: Value = serde_json::from_slice(&fs::read(&files[0]).unwrap()).unwrap();
        assert_eq!(file["kid"], keys.active_kid());
        assert_eq!(
            files[0].file_name().unwrap().to_string_lossy(),
            format!("{}.json", keys.active_kid())
        );
        let created_at: DateTime<Utc> = file["created_at"].as_str().unwrap().parse().unwrap();
        let seed = STANDARD.decode(file["seed"].as_str().unwrap()).unwrap();
        assert_eq!(seed.len(), 32);
        let day = created_at.format("%Y-%m-%d").to_string();
        let kid = keys.active_kid();
        assert!(kid.starts_with(&format!("ed25519-{day}-")), "{kid}");
        let suffix = kid.rsplit('-').next().unwrap();
        assert_eq!(suffix.len(), 8);
        assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn reopening_loads_the_same_key() {
        let (temp, keys) = ring();
        let again = KeyRing::open_or_create(&temp.path().join("keys")).unwrap();
        assert_eq!(again.active_kid(), keys.active_kid());
        assert_eq!(again.jwks(), keys.jwks());
        assert_eq!(key_files(&temp.path().join("keys")).len(), 1);
        // And a credential signed before reopening verifies after it.
        let jws = sign(&keys, &pda());
        assert!(verify_compact(&again, &jws).is_ok());
    }

    #[test]
    fn rotation_adds_an_active_key_and_old_credentials_still_verify() {
        let (temp, mut keys) = ring();
        let first = keys.active_kid().to_string();
        let before = sign(&keys, &expiring_now());

        let second = keys.rotate().unwrap();
        assert_ne!(second, first);
        assert_eq!(keys.active_kid(), second);
        assert_eq!(keys.kids(), vec![first.as_str(), second.as_str()]);
        let jwks = keys.jwks();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, vec![second.as_str(), first.as_str()]);

        let after = sign(&keys, &expiring_now());
        assert_eq!(decode_header(&after).unwrap().kid.unwrap(), second);
        assert_eq!(decode_header(&before).unwrap().kid.unwrap(), first);
        verify_independently(&jwks, &before).expect("the old credential verifies");
        verify_independently(&jwks, &after).expect("the new credential verifies");
        assert!(verify_compact(&keys, &before).is_ok());

        // The rotation survives a restart: the newest key still signs.
        let reopened = KeyRing::open_or_create(&temp.path().join("keys")).unwrap();
        assert_eq!(reopened.active_kid(), second);
        assert_eq!(reopened.jwks(), jwks);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let (temp, _keys) = ring();
        let dir = temp.path().join("keys");
        let file = key_files(&dir).remove(0);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        let error = KeyRing::open_or_create(&dir).unwrap_err();
        assert!(matches!(error, CredentialError::KeyFileNotPrivate { .. }));
        let message = error.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("chmod 600"), "{message}");
    }

    #[test]
    fn a_corrupt_key_file_is_refused_by_name() {
        let (temp, _keys) = ring();
        let dir = temp.path().join("keys");
        let file = key_files(&dir).remove(0);

        let original = fs::read_to_string(&file).unwrap();
        fs::write(&file, &original[..original.len() / 2]).unwrap();
        let error = KeyRing::open_or_create(&dir).unwrap_err();
        assert!(matches!(error, CredentialError::KeyFileCorrupt { .. }));
        assert!(error.to_string().contains(&file.display().to_string()));

        // A seed that no longer matches its public key is caught too.
        let mut damaged: Value = serde_json::from_str(&original).unwrap();
        damaged["seed"] = json!(STANDARD.encode([7u8; 32]));
        fs::write(&file, damaged.to_string()).unwrap();
        let error = KeyRing::open_or_create(&dir).unwrap_err();
        assert!(error.to_string().contains("does not match"), "{error}");

        damaged["seed"] = json!(STANDARD.encode([7u8; 31]));
        fs::write(&file, damaged.to_string()).unwrap();
        let error = KeyRing::open_or_create(&dir).unwrap_err();
        assert!(error.to_string().contains("31 bytes"), "{error}");
    }

    #[test]
    fn jwks_publishes_only_public_ed25519_keys() {
        let (_temp, mut keys) = ring();
        keys.rotate().unwrap();
        let jwks = keys.jwks();
        // An independent JWKS parser accepts it.
        let parsed: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
        assert!(parsed.find(keys.active_kid()).is_some());
        for key in jwks["keys"].as_array().unwrap() {
            assert_eq!(key["kty"], "OKP");
            assert_eq!(key["crv"], "Ed25519");
            assert_eq!(key["alg"], "EdDSA");
            assert_eq!(key["use"], "sig");
            assert!(key.get("d").is_none(), "no private part");
            let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
            assert_eq!(x.len(), 32);
        }
    }

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

    #[test]
    fn the_payload_is_an_open_badges_3_credential() {
        let (_temp, keys) = ring();
        let vc = payload(&sign(&keys, &pda()))["vc"].clone();
        assert_eq!(
            vc["@context"],
            json!([
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ])
        );
        assert_eq!(vc["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
        assert_eq!(vc["issuer"]["type"], json!(["Profile"]));
        assert_eq!(vc["issuer"]["name"], "Dundee Recovery College");
        assert_eq!(vc["issuer"]["id"], "https://peertrack.example.org");
        assert_eq!(vc["validFrom"], "2025-06-20T00:00:00Z");
        let subject = &vc["credentialSubject"];
        let types: Vec<&str> = subject["type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(types.contains(&"AchievementSubject"));
        assert_eq!(subject["activityStartDate"], "2025-01-13T00:00:00Z");
        assert_eq!(subject["activityEndDate"], "2025-06-06T00:00:00Z");
        let achievement = &subject["achievement"];
        assert_eq!(achievement["type"], json!(["Achievement"]));
        assert_eq!(achievement["achievementType"], "Certificate");
        assert_eq!(achievement["name"], "PDA in Mental Health Peer Support");
        assert_eq!(achievement["humanCode"], "PDA-MHPS");
        assert_eq!(
            achievement["id"],
            "https://peertrack.example.org/v1/programmes/PDA-MHPS"
        );
        assert!(achievement["criteria"]["narrative"]
            .as_str()
            .unwrap()
            .contains("Developing Practice"));
        assert_eq!(
            achievement["tag"],
            json!(["Recovery Context", "Developing Practice"])
        );
        assert_eq!(achievement["creator"]["name"], "SQA");
        assert!(vc["description"].as_str().unwrap().contains("PDA-2025-0007"));
        // The signed credential is exactly the unsigned one.
        assert_eq!(vc, open_badge_credential(&pda()));
    }

    #[test]
    fn credits_appear_only_for_accredited_awards() {
        let pda = open_badge_credential(&pda());
        assert_eq!(pda["credentialSubject"]["achievement"]["creditsAvailable"], 16);
        assert_eq!(pda["credentialSubject"]["creditsEarned"], 16);

        let p2p = open_badge_credential(&p2p());
        let subject = &p2p["credentialSubject"];
        assert!(subject.get("creditsEarned").is_none());
        assert!(subject["achievement"].get("creditsAvailable").is_none());
        assert_eq!(
            subject["achievement"]["tag"],
            json!(["Introducing Peer Support", "The Peer Support Relationship"])
        );
    }

    #[test]
    fn valid_until_and_exp_appear_only_when_the_certificate_expires() {
        let (_temp, keys) = ring();
        let lasting = payload(&sign(&keys, &p2p()));
        assert!(lasting["vc"].get("validUntil").is_none());
        assert!(lasting.get("exp").is_none());

        let expiring = BadgeFacts {
            expires_on: Some(date("2027-06-20")),
            ..p2p()
        };
        let claims = payload(&sign(&keys, &expiring));
        assert_eq!(claims["vc"]["validUntil"], "2027-06-20T00:00:00Z");
        assert_eq!(claims["exp"], midnight_utc(date("2027-06-20")).timestamp());
    }

    #[test]
    fn the_holder_is_named_until_erased_and_then_nowhere() {
        let (_temp, keys) = ring();
        let named = payload(&sign(&keys, &pda()));
        let identifiers = named["vc"]["credentialSubject"]["identifier"].as_array().unwrap();
        assert!(identifiers.iter().any(|i| i["identityType"] == "name"
            && i["hashed"] == false
            && i["identityHash"] == "Morag Fictional"));

        let erased = BadgeFacts {
            holder_name: None,
            ..pda()
        };
        let claims = payload(&sign(&keys, &erased));
        let text = claims.to_string();
        assert!(!text.contains("Morag"), "{text}");
        assert!(!text.contains("Fictional"), "{text}");
        assert!(!text.contains("\"identityType\":\"name\""), "{text}");
        // Nor does the person id appear in the clear.
        assert!(!text.contains(&erased.holder_id), "{text}");
        // The certificate itself is still there to verify.
        assert_eq!(
            claims["vc"]["credentialSubject"]["achievement"]["name"],
            "PDA in Mental Health Peer Support"
        );
    }

    #[test]
    fn someone_who_knows_the_person_id_can_match_the_hashed_identifier() {
        let vc = open_badge_credential(&pda());
        let identifier = vc["credentialSubject"]["identifier"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["hashed"] == true)
            .unwrap()
            .clone();
        assert_eq!(identifier["type"], "IdentityObject");
        assert_eq!(identifier["identityType"], "identifier");
        let salt = identifier["salt"].as_str().unwrap();
        let expected = format!(
            "sha256${}",
            hex(&Sha256::digest(format!("{}{salt}", pda().holder_id)))
        );
        assert_eq!(identifier["identityHash"], expected);
        assert_ne!(identifier["identityHash"], identity_hash("someone-else", salt));
        // Another certificate of the same person carries a different hash and subject id, so
        // credentials cannot be linked to each other without the person id.
        let other = open_badge_credential(&BadgeFacts {
            certificate_id: "11111111-2222-4333-8444-555555555555".into(),
            ..pda()
        });
        let other_hash = &other["credentialSubject"]["identifier"][0]["identityHash"];
        assert_ne!(other_hash, &identifier["identityHash"]);
        assert_ne!(other["credentialSubject"]["id"], vc["credentialSubject"]["id"]);
    }
}

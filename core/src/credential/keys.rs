//! Ed25519 signing keys kept in a directory, one file per key (JSON, mode 0600).

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{hex, CredentialError};

/// One signing key with its id and creation time.
#[derive(Clone)]
pub(super) struct RingKey {
    pub(super) kid: String,
    created_at: DateTime<Utc>,
    pub(super) signing: SigningKey,
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
///
/// Every instance of the service reads the same directory (shared, or copied to each machine),
/// and notices a key added there without a restart: each use looks at the directory's
/// modification time (one `stat`) and reads the keys again when it changed, and at least once a
/// minute whatever it says. Old keys stay in the directory, so they stay published and verify.
#[derive(Clone)]
pub struct KeyRing {
    dir: PathBuf,
    loaded: Arc<RwLock<Loaded>>,
}

/// The keys as last read.
struct Loaded {
    /// Oldest first; never empty.
    keys: Arc<Vec<RingKey>>,
    /// The directory's modification time when they were read.
    stamp: Option<SystemTime>,
    /// When they were read.
    checked: Instant,
}

/// The keys are read again at least this often, even if the directory looks unchanged (a
/// copy that kept its time, or a file system with coarse times).
pub const RELOAD_AT_LEAST_EVERY: Duration = Duration::from_secs(60);

impl fmt::Debug for KeyRing {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .field("kids", &self.kids())
            .finish()
    }
}

fn dir_stamp(dir: &Path) -> Option<SystemTime> {
    fs::metadata(dir).and_then(|m| m.modified()).ok()
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
            loaded: Arc::new(RwLock::new(Loaded {
                keys: Arc::new(keys),
                stamp: dir_stamp(dir),
                checked: Instant::now(),
            })),
        })
    }

    /// The keys, read again first if the directory changed or a minute has passed. A directory
    /// that cannot be read (or holds a damaged file) leaves the keys as they were, with a
    /// warning in the log: signing goes on with the last good keys.
    fn keys(&self) -> Arc<Vec<RingKey>> {
        let stamp = dir_stamp(&self.dir);
        {
            let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
            let fresh =
                stamp.is_some() && loaded.stamp == stamp && loaded.checked.elapsed() < RELOAD_AT_LEAST_EVERY;
            if fresh {
                return loaded.keys.clone();
            }
        }
        let mut loaded = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        match load_keys(&self.dir) {
            Ok(keys) if !keys.is_empty() => {
                let before: Vec<&str> = loaded.keys.iter().map(|k| k.kid.as_str()).collect();
                let after: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
                if before != after {
                    tracing::info!(
                        signing = after.last().copied().unwrap_or_default(),
                        keys = after.len(),
                        "signing keys read again from {}",
                        self.dir.display()
                    );
                }
                loaded.keys = Arc::new(keys);
            }
            Ok(_) => tracing::warn!(
                "the key directory {} holds no key now; signing goes on with the keys read before",
                self.dir.display()
            ),
            Err(error) => tracing::warn!(
                %error,
                "the signing keys could not be read again; signing goes on with the keys read before"
            ),
        }
        loaded.stamp = stamp;
        loaded.checked = Instant::now();
        loaded.keys.clone()
    }

    /// Adds a new key that signs from now on and returns its id; older keys stay to verify.
    /// Other processes using the same directory pick it up at their next use of the keys.
    pub fn rotate(&mut self) -> Result<String, CredentialError> {
        let keys = self.keys();
        let newest = keys.last().expect("a key ring always holds a key").created_at;
        // Creation time orders the keys, so the new one must sort after every existing one,
        // even if the clock stepped back.
        let created_at = Utc::now().max(newest + chrono::Duration::microseconds(1));
        let taken: HashSet<String> = keys.iter().map(|k| k.kid.clone()).collect();
        let key = new_key(&self.dir, created_at, &taken)?;
        let kid = key.kid.clone();
        let mut loaded = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        let mut updated = loaded.keys.as_ref().clone();
        updated.push(key);
        loaded.keys = Arc::new(updated);
        loaded.stamp = dir_stamp(&self.dir);
        loaded.checked = Instant::now();
        Ok(kid)
    }

    /// The id of the key that signs new credentials.
    pub fn active_kid(&self) -> String {
        self.active().kid
    }

    /// Every key id, oldest first.
    pub fn kids(&self) -> Vec<String> {
        self.keys().iter().map(|k| k.kid.clone()).collect()
    }

    /// The public keys as a JSON Web Key Set, the signing key first.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys()
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

    pub(super) fn active(&self) -> RingKey {
        self.keys().last().expect("a key ring always holds a key").clone()
    }

    pub(super) fn find(&self, kid: &str) -> Option<RingKey> {
        self.keys().iter().find(|k| k.kid == kid).cloned()
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

#[cfg(test)]
mod tests {
    use super::super::verify_compact;
    use super::*;
    use crate::credential::fixtures::*;
    use jsonwebtoken::decode_header;
    use serde_json::json;

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

    #[test]
    fn another_process_s_rotation_is_picked_up_without_reopening() {
        let (temp, keys) = ring();
        let first = keys.active_kid();
        let before = sign(&keys, &expiring_now());
        // Another instance (or `peertrack keys rotate`) on the same directory.
        let mut other = KeyRing::open_or_create(&temp.path().join("keys")).unwrap();
        let second = other.rotate().unwrap();
        assert_eq!(keys.active_kid(), second, "the next signature uses the new key");
        assert_eq!(keys.kids(), vec![first.clone(), second.clone()]);
        let after = sign(&keys, &expiring_now());
        assert_eq!(decode_header(&after).unwrap().kid.unwrap(), second);
        assert!(
            verify_compact(&keys, &before).is_ok(),
            "the old key still verifies"
        );
        let published = keys.jwks();
        verify_independently(&published, &before).expect("the old key is still published");
        verify_independently(&published, &after).expect("the new key is published");
        // A damaged file does not take the keys away: signing goes on with the last good ones.
        fs::write(temp.path().join("keys").join("broken.json"), "{").unwrap();
        assert_eq!(keys.active_kid(), second);
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
        assert!(parsed.find(&keys.active_kid()).is_some());
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
}

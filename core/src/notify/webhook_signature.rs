//! Webhook signatures as Standard Webhooks 1.0 defines them, so that partners can check them
//! with the reference libraries (`standardwebhooks` on PyPI and npm, and others).
//!
//! Each delivery carries three headers: `webhook-id` (the same on every retry of one event),
//! `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `"<id>.<timestamp>.<body>"`, keyed with the secret's bytes. A secret is `whsec_` followed by
//! the key in base64 (32 random bytes).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

/// The header naming the message; the same on every retry, so a receiver can skip repeats.
pub const ID_HEADER: &str = "webhook-id";
/// The header carrying when the delivery was signed, in unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header carrying the signature, `v1,<base64>`.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// What every webhook secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key a secret stands for: its base64 part decoded.
///
/// Secrets made before Standard Webhooks used the URL-safe alphabet without padding; they
/// decode to their bytes too (a receiver converts `-` to `+`, `_` to `/` and pads with `=`).
pub fn secret_key(secret: &str) -> Vec<u8> {
    let encoded = secret.trim().strip_prefix(SECRET_PREFIX).unwrap_or(secret.trim());
    STANDARD
        .decode(encoded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded))
        .unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

/// The `webhook-signature` value for `body` sent as message `id` at `timestamp`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret_key(secret)).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_reference_example() {
        // The example in the Standard Webhooks specification, also what the `standardwebhooks`
        // Python library computes for it.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn id_timestamp_body_and_secret_each_change_the_signature() {
        let secret = new_secret();
        let base = sign(&secret, "m1", 1_700_000_000, "{}");
        assert_ne!(base, sign(&new_secret(), "m1", 1_700_000_000, "{}"));
        assert_ne!(base, sign(&secret, "m2", 1_700_000_000, "{}"));
        assert_ne!(base, sign(&secret, "m1", 1_700_000_001, "{}"));
        assert_ne!(base, sign(&secret, "m1", 1_700_000_000, "{ }"));
    }

    #[test]
    fn new_secrets_are_whsec_and_32_bytes_of_standard_base64() {
        let secret = new_secret();
        let encoded = secret.strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(encoded).unwrap().len(), 32);
        assert_eq!(secret_key(&secret).len(), 32);
        assert_ne!(secret, new_secret());
    }

    #[test]
    fn secrets_made_before_are_read_as_their_bytes() {
        let key = [0xfbu8; 32];
        let old = format!("whsec_{}", URL_SAFE_NO_PAD.encode(key));
        assert!(old.contains('-') || old.contains('_'), "{old}");
        assert_eq!(secret_key(&old), key);
        let new = format!("whsec_{}", STANDARD.encode(key));
        assert_eq!(sign(&old, "m", 1, "b"), sign(&new, "m", 1, "b"));
    }
}

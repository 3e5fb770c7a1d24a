//! Revocation that travels with a credential: the W3C Bitstring Status List.
//!
//! Every credential carries a `credentialStatus` entry (`BitstringStatusListEntry`, purpose
//! `revocation`) naming a status list credential that Peertrack publishes and signs, and an
//! index in it. The list is a bitstring (bit 0 is the most significant bit of the first byte),
//! GZIP-compressed, in multibase base64url (`u` and no padding); a set bit means revoked.

use std::io::{Read as _, Write as _};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{json, Value};

/// The VC data model 2.0 context, all a status list credential needs.
const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// How long a fetched list may be cached, in milliseconds (the standard's `ttl`).
pub const TTL_MILLISECONDS: u64 = 5 * 60 * 1000;

/// Where a certificate's revocation bit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The status list credential's URL.
    pub list_url: String,
    /// The bit's index in it.
    pub index: u32,
}

impl StatusEntry {
    /// The `credentialStatus` a credential carries.
    pub fn credential_status(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list_url, self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_url,
        })
    }
}

/// `size` bits with those at `set` on, GZIP-compressed, as multibase base64url.
pub fn encoded_list(size: usize, set: impl IntoIterator<Item = usize>) -> String {
    let mut bits = vec![0u8; size.div_ceil(8)];
    for index in set.into_iter().filter(|&i| i < size) {
        bits[index / 8] |= 0x80 >> (index % 8);
    }
    let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&bits).expect("writing to memory");
    let compressed = gzip.finish().expect("writing to memory");
    format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Whether bit `index` is set in an `encodedList`; `None` if it cannot be read.
pub fn bit_is_set(encoded: &str, index: usize) -> Option<bool> {
    let compressed = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u')?).ok()?;
    let mut bits = Vec::new();
    GzDecoder::new(&compressed[..]).read_to_end(&mut bits).ok()?;
    let byte = bits.get(index / 8)?;
    Some(byte & (0x80 >> (index % 8)) != 0)
}

/// The status list credential (unsigned): who publishes it, since when it holds, and the list.
pub fn status_list_credential(list_url: &str, issuer: &Value, encoded: &str, now: DateTime<Utc>) -> Value {
    json!({
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{list_url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "ttl": TTL_MILLISECONDS,
            "encodedList": encoded,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_counted_from_the_left_of_the_first_byte() {
        let encoded = encoded_list(131_072, [0, 9, 131_071]);
        assert!(encoded.starts_with('u'));
        let compressed = URL_SAFE_NO_PAD.decode(&encoded[1..]).unwrap();
        let mut bits = Vec::new();
        GzDecoder::new(&compressed[..]).read_to_end(&mut bits).unwrap();
        assert_eq!(bits.len(), 16_384, "16 KiB: the standard's minimum");
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[16_383], 0b0000_0001);
        assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
        for index in [0, 9, 131_071] {
            assert_eq!(bit_is_set(&encoded, index), Some(true), "{index}");
        }
        assert_eq!(bit_is_set(&encoded, 1), Some(false));
        assert_eq!(bit_is_set(&encoded, 131_072), None);
    }

    #[test]
    fn an_empty_list_compresses_to_a_few_dozen_bytes() {
        let encoded = encoded_list(131_072, []);
        assert!(encoded.len() < 100, "{}", encoded.len());
        assert_eq!(bit_is_set(&encoded, 42), Some(false));
    }

    #[test]
    fn the_entry_and_the_list_name_each_other() {
        let entry = StatusEntry {
            list_url: "https://peertrack.example.org/v1/credentials/status/1".into(),
            index: 94_567,
        };
        let status = entry.credential_status();
        assert_eq!(status["type"], "BitstringStatusListEntry");
        assert_eq!(status["statusPurpose"], "revocation");
        assert_eq!(status["statusListIndex"], "94567");
        assert_eq!(status["statusListCredential"], entry.list_url.as_str());
        assert_eq!(
            status["id"],
            "https://peertrack.example.org/v1/credentials/status/1#94567"
        );
        let list = status_list_credential(
            &entry.list_url,
            &json!({"id": "https://peertrack.example.org"}),
            &encoded_list(131_072, [94_567]),
            Utc::now(),
        );
        assert_eq!(
            list["type"],
            json!(["VerifiableCredential", "BitstringStatusListCredential"])
        );
        assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");
        let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
        assert_eq!(bit_is_set(encoded, 94_567), Some(true));
    }
}

//! Reading signed credentials and status lists as an outside verifier would: the signature
//! checked with an independent JWT library against the JWKS the server publishes, and the
//! status list's bits decoded by hand (multibase base64url, then GZIP).

use std::io::Read as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::TestServer;

impl TestServer {
    /// Downloads a certificate's credential as `token` and returns its verified payload.
    /// Expiry is not judged here (a revoked credential's `exp` is in the past): callers do.
    pub async fn credential_claims(&self, token: &str, certificate_id: &str) -> Value {
        let response = self
            .http
            .get(self.url(&format!("/v1/certificates/{certificate_id}/credential")))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "the credential is served");
        let jws = response.text().await.expect("a body");
        self.verified_claims(&jws).await
    }

    /// Checks a compact JWS against the published keys and returns its payload.
    pub async fn verified_claims(&self, jws: &str) -> Value {
        let jwks: Value = self.get_json("/.well-known/jwks.json").await;
        let kid = jsonwebtoken::decode_header(jws)
            .expect("a JWS header")
            .kid
            .expect("a kid");
        let key = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .expect("the signing key is published");
        let decoding = jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap())
            .expect("an Ed25519 key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(jws, &decoding, &validation)
            .expect("the signature verifies")
            .claims
    }

    /// Fetches the status list a credential names and returns its bits, after checking its
    /// signature; also the credential's index in it.
    pub async fn status_bits_of(&self, credential: &Value) -> (Vec<u8>, usize) {
        let status = &credential["credentialStatus"];
        let url = status["statusListCredential"]
            .as_str()
            .expect("a status list URL");
        let index = status["statusListIndex"]
            .as_str()
            .expect("an index")
            .parse()
            .expect("a number");
        let jws = self
            .http
            .get(url)
            .send()
            .await
            .expect("the list is served")
            .text()
            .await
            .expect("a body");
        (status_bits(&self.verified_claims(&jws).await), index)
    }
}

/// The bits of a status list credential's `encodedList`.
pub fn status_bits(list: &Value) -> Vec<u8> {
    let encoded = list["credentialSubject"]["encodedList"]
        .as_str()
        .expect("an encodedList");
    let compressed = URL_SAFE_NO_PAD
        .decode(
            encoded
                .strip_prefix('u')
                .expect("multibase base64url starts with u"),
        )
        .expect("base64url");
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut bits)
        .expect("GZIP");
    bits
}

/// Whether bit `index` is set, counting from the most significant bit of the first byte.
pub fn bit(bits: &[u8], index: usize) -> bool {
    bits[index / 8] & (0x80 >> (index % 8)) != 0
}

impl TestServer {
    /// Downloads a certificate's PDF as `token` and returns its bytes and its text as
    /// `pdftotext` reads it; `None` (after saying so) where pdftotext is missing outside CI.
    pub async fn pdf_text(&self, token: &str, certificate_id: &str) -> Option<(Vec<u8>, String)> {
        let response = self
            .http
            .get(self.url(&format!("/v1/certificates/{certificate_id}/pdf")))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "the PDF is served");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let bytes = response.bytes().await.expect("a body").to_vec();
        assert!(bytes.starts_with(b"%PDF"));
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), &bytes).expect("the PDF written");
        let output = match std::process::Command::new("pdftotext")
            .arg(file.path())
            .arg("-")
            .output()
        {
            Ok(output) => output,
            Err(_) if std::env::var_os("CI").is_none() => {
                eprintln!("SKIPPED: install poppler-utils (pdftotext) to read the certificate PDF back");
                return None;
            }
            Err(error) => panic!("pdftotext (poppler-utils) must be installed in CI: {error}"),
        };
        assert!(output.status.success(), "pdftotext reads the PDF");
        Some((bytes, String::from_utf8(output.stdout).expect("UTF-8")))
    }
}

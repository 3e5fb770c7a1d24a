//! Public verification: anyone can check a certificate by its code, as JSON or as a page a
//! person reads on a phone; and the public keys that sign credentials.

use chrono::NaiveDate;
use peertrack_core::domain::CertificateStatus;
use peertrack_core::service::certificates as service;
use poem::web::Data;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::{Html, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::certificates::status_words;
use super::Tag;
use crate::problem::{ApiError, Problem};
use crate::server::AppState;
use crate::types::Text;

/// What anyone may know about a certificate from its code.
#[derive(Debug, Object)]
pub struct Verification {
    /// `valid`, `expired` or `revoked`.
    pub status: String,
    /// The certificate number.
    pub number: String,
    /// The programme's code.
    pub programme_code: String,
    /// The programme's title.
    pub programme_title: String,
    /// Who awards it.
    pub awarding_body: String,
    /// The holder's name, or null when the holder's details were erased at their request.
    pub holder_name: Option<String>,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The day it stops being valid; null if it does not expire.
    pub expires_on: Option<NaiveDate>,
    /// The programme's level (SCQF level, for example), where it has one.
    pub programme_level: Option<u32>,
    /// The programme's credit points (SCQF credits, for example), where it has them.
    pub programme_credits: Option<u32>,
    /// The day it was revoked, from which it is no longer valid; null unless revoked.
    pub revoked_on: Option<NaiveDate>,
}

/// Answers of `GET /v1/verify/{code}`.
#[derive(Debug, ApiResponse)]
pub enum VerifyResponse {
    /// The certificate's status.
    #[oai(status = 200)]
    Ok(Json<Verification>),
    /// No certificate has this code.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// Too many unknown codes from this client; try again later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
}

/// Answers of `GET /verify/{code}`.
#[derive(Debug, ApiResponse)]
pub enum VerifyPageResponse {
    /// A page saying whether the certificate is valid.
    #[oai(status = 200)]
    Ok(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// No certificate has this code.
    #[oai(status = 404)]
    NotFound(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// Too many unknown codes from this client.
    #[oai(status = 429)]
    TooManyRequests(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// The check could not be made just now.
    #[oai(status = 503)]
    Unavailable(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
}

/// Answers of `GET /v1/credentials/status/{id}`.
#[derive(Debug, ApiResponse)]
pub enum StatusListResponse {
    /// The status list credential (W3C Bitstring Status List, purpose `revocation`), signed
    /// like the credentials that point into it, as a compact JWS whose payload is the list
    /// credential: its `credentialSubject.encodedList` is the GZIP-compressed bitstring in
    /// multibase base64url, and a set bit means that credential's certificate was revoked.
    #[oai(status = 200, content_type = "application/vc+jwt")]
    Ok(PlainText<String>),
    /// No status list has this id.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
}

/// The public keys.
#[derive(Debug, ApiResponse)]
pub enum JwksResponse {
    /// A JSON Web Key Set of every key that signed credentials, current and past.
    #[oai(status = 200)]
    Ok(Json<serde_json::Value>),
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

enum Lookup {
    Found(Verification),
    Unknown,
    Limited,
}

async fn look_up(state: &AppState, request: &Request, code: String) -> Result<Lookup, ApiError> {
    let client = crate::rate_limit::client_address(request);
    if state.limits.verification_failures.exhausted(&client).await {
        return Ok(Lookup::Limited);
    }
    // Codes are 12 letters and digits; anything far longer cannot be one (and is not queried).
    if code.len() > 64 {
        state.limits.verification_failures.hit(&client).await;
        return Ok(Lookup::Unknown);
    }
    let today = state.now().date_naive();
    let found = state
        .db
        .read_async(move |conn| service::verify(conn, &code))
        .await?
        .map(|(certificate, version)| Verification {
            status: certificate.status_on(today).as_str().to_string(),
            number: certificate.number,
            programme_code: version.definition.code,
            programme_title: version.definition.title,
            awarding_body: version.definition.awarding_body,
            holder_name: certificate.holder_name,
            issued_on: certificate.issued_on,
            expires_on: certificate.expires_on,
            programme_level: version.definition.level,
            programme_credits: version.definition.credits,
            revoked_on: certificate.revoked_at.map(|at| at.date()),
        });
    Ok(match found {
        Some(verification) => Lookup::Found(verification),
        None => {
            state.limits.verification_failures.hit(&client).await;
            Lookup::Unknown
        }
    })
}

/// Verification operations.
pub struct VerifyApi;

#[OpenApi(tag = "Tag::Verification")]
impl VerifyApi {
    /// Verify a certificate
    ///
    /// Anyone can check a certificate by the code printed on it: valid, expired or revoked,
    /// with its number, programme and dates. Unknown codes get 404; a client that tries too
    /// many unknown codes gets 429 for a while.
    #[oai(path = "/v1/verify/:code", method = "get")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        request: &Request,
        /// The verification code, e.g. `K7QM-4TXR-9HWD` (case and dashes do not matter).
        #[oai(validator(max_length = 64))]
        code: Path<Text>,
    ) -> Result<VerifyResponse, ApiError> {
        Ok(match look_up(&state, request, code.0.into()).await? {
            Lookup::Found(v) => VerifyResponse::Ok(Json(v)),
            Lookup::Unknown => VerifyResponse::NotFound(Json(Problem::new(
                poem::http::StatusCode::NOT_FOUND,
                "No certificate has this code. Check it against the paper certificate.",
            ))),
            Lookup::Limited => VerifyResponse::TooManyRequests(Json(Problem::new(
                poem::http::StatusCode::TOO_MANY_REQUESTS,
                "Too many codes that did not match. Please wait a few minutes and try again.",
            ))),
        })
    }

    /// Verification page
    ///
    /// The same check as a page a person can read on a phone, for the link and QR code on the
    /// paper certificate.
    #[oai(path = "/verify/:code", method = "get")]
    async fn page(
        &self,
        state: Data<&AppState>,
        request: &Request,
        /// The verification code.
        code: Path<String>,
    ) -> VerifyPageResponse {
        let (csp, frame, referrer) = (CSP.to_string(), "DENY".to_string(), "no-referrer".to_string());
        // A person following a QR code gets a page whatever happens, never JSON.
        match look_up(&state, request, code.0).await {
            Ok(Lookup::Found(v)) => VerifyPageResponse::Ok(Html(found_page(&v)), csp, frame, referrer),
            Ok(Lookup::Unknown) => VerifyPageResponse::NotFound(
                Html(message_page(
                    "Certificate not found",
                    "No certificate has this code. Please check it against the paper certificate: \
                     codes use the letters and numbers printed there, and dashes do not matter.",
                )),
                csp,
                frame,
                referrer,
            ),
            Ok(Lookup::Limited) => VerifyPageResponse::TooManyRequests(
                Html(message_page(
                    "Please wait a moment",
                    "Several codes from here did not match a certificate. Please wait a few minutes and try again.",
                )),
                csp,
                frame,
                referrer,
            ),
            Err(_) => VerifyPageResponse::Unavailable(
                Html(message_page(
                    "Please try again shortly",
                    "We could not check this certificate just now. Please try again in a few minutes.",
                )),
                csp,
                frame,
                referrer,
            ),
        }
    }

    /// A credential status list
    ///
    /// Where credentials say whether they were revoked: each credential's `credentialStatus`
    /// names this list and an index in it. Anyone can fetch it; it is signed with the keys at
    /// `/.well-known/jwks.json`, and changes in the same transaction as a revocation.
    #[oai(path = "/v1/credentials/status/:id", method = "get")]
    async fn status_list(
        &self,
        state: Data<&AppState>,
        /// The list's id, as in a credential's `statusListCredential`.
        #[oai(validator(max_length = 64))]
        id: Path<Text>,
    ) -> Result<StatusListResponse, ApiError> {
        let (keys, now) = (state.keys.clone(), state.now());
        let public_url = state.config.public_url.clone();
        let signed = state
            .db
            .read_async(move |conn| service::signed_status_list(conn, &keys, &id.0, &public_url, now))
            .await?;
        Ok(match signed {
            Some(jws) => StatusListResponse::Ok(PlainText(jws)),
            None => StatusListResponse::NotFound(Json(Problem::new(
                poem::http::StatusCode::NOT_FOUND,
                "No status list has this id.",
            ))),
        })
    }

    /// Public signing keys
    ///
    /// The Ed25519 public keys (a JSON Web Key Set) that verify signed credentials, including
    /// keys that signed in the past.
    #[oai(path = "/.well-known/jwks.json", method = "get")]
    async fn jwks(&self, state: Data<&AppState>) -> JwksResponse {
        JwksResponse::Ok(Json(state.keys.jwks()))
    }
}

/// Escapes text for HTML (shared with the email templates).
pub(crate) use peertrack_core::notify::templates::escape_html as escape;

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A whole page in Peertrack's plain, accessible style.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · Peertrack</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f6f5f1; color: #1d1d1b; line-height: 1.5; }}
main {{ max-width: 36rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }}
h1 {{ font-size: 1.5rem; margin: 0.5rem 0 1rem; }}
.status {{ border-radius: 0.75rem; padding: 1rem 1.25rem; margin: 1rem 0 1.5rem; font-size: 1.25rem; font-weight: 700; border: 2px solid; }}
.valid {{ background: #e3f2e6; color: #14532d; border-color: #14532d; }}
.expired {{ background: #fdf3dc; color: #6b4500; border-color: #6b4500; }}
.revoked {{ background: #fbe4e4; color: #7f1d1d; border-color: #7f1d1d; }}
.status small {{ display: block; font-weight: 400; font-size: 1rem; margin-top: 0.25rem; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1rem; margin: 0; }}
dt {{ font-weight: 600; }} dd {{ margin: 0; }}
footer {{ margin-top: 2rem; font-size: 0.9rem; color: #4a4a46; }}
</style>
</head>
<body>
<main>
{body}
<footer>Checked with Peertrack, the record of peer support training and certification.</footer>
</main>
</body>
</html>
"#,
        title = escape(title),
    )
}

fn found_page(v: &Verification) -> String {
    let status = match v.status.as_str() {
        "revoked" => CertificateStatus::Revoked,
        "expired" => CertificateStatus::Expired,
        _ => CertificateStatus::Valid,
    };
    let (class, note) = match status {
        CertificateStatus::Valid => ("valid", "This certificate is genuine and currently valid."),
        CertificateStatus::Expired => ("expired", "This certificate is genuine but has expired."),
        CertificateStatus::Revoked => (
            "revoked",
            "This certificate has been withdrawn and is no longer valid.",
        ),
    };
    let holder = v
        .holder_name
        .clone()
        .unwrap_or_else(|| "Holder details withheld".into());
    let expiry = match (v.revoked_on, v.expires_on) {
        (Some(revoked), _) => format!(
            "<dt>No longer valid from</dt><dd>{} (withdrawn)</dd>",
            long_date(revoked)
        ),
        (None, Some(date)) => format!("<dt>Valid until</dt><dd>{}</dd>", long_date(date)),
        (None, None) => "<dt>Valid until</dt><dd>Does not expire</dd>".into(),
    };
    let programme = match programme_standing(v.programme_level, v.programme_credits) {
        Some(standing) => format!("{} ({standing})", v.programme_title),
        None => v.programme_title.clone(),
    };
    let body = format!(
        r#"<h1>Certificate check</h1>
<p class="status {class}" role="status">{word}<small>{note}</small></p>
<dl>
<dt>Holder</dt><dd>{holder}</dd>
<dt>Programme</dt><dd>{programme}</dd>
<dt>Awarded by</dt><dd>{body_name}</dd>
<dt>Number</dt><dd>{number}</dd>
<dt>Issued on</dt><dd>{issued}</dd>
{expiry}
</dl>"#,
        word = status_words(status),
        holder = escape(&holder),
        programme = escape(&programme),
        body_name = escape(&v.awarding_body),
        number = escape(&v.number),
        issued = long_date(v.issued_on),
    );
    page("Certificate check", &body)
}

/// A programme's level and credits in words, e.g. "SCQF level 7, 16 SCQF credit points".
fn programme_standing(level: Option<u32>, credits: Option<u32>) -> Option<String> {
    let credits = credits.map(|c| format!("{c} SCQF credit {}", if c == 1 { "point" } else { "points" }));
    match (level.map(|l| format!("SCQF level {l}")), credits) {
        (Some(level), Some(credits)) => Some(format!("{level}, {credits}")),
        (level, credits) => level.or(credits),
    }
}

fn message_page(title: &str, message: &str) -> String {
    page(
        title,
        &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(message)),
    )
}

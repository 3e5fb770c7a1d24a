//! `/me/certificates`: a peer worker's certificates, their files, and their renewal.

use askama::Template;
use peertrack_core::domain::CertificateStatus;
use peertrack_core::service::certificates::{self as certificate_service, CertificateDetails, RenewalCheck};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{handler, Response};

use super::long_date;
use crate::pages::session;
use crate::pages::{download, ok, Chrome, PageError};
use crate::server::AppState;

/// A certificate as its holder sees it.
pub struct HeldCertificate {
    id: String,
    number: String,
    programme: String,
    awarding_body: String,
    status: (&'static str, &'static str),
    issued_on: String,
    expires_on: Option<String>,
    verification_url: String,
    linkedin: String,
    revoked_reason: Option<String>,
    renewal: Option<Renewal>,
}

/// Where a certificate's renewal stands.
pub struct Renewal {
    renewable: bool,
    counts_from: String,
    lines: Vec<(bool, String)>,
}

#[derive(Template)]
#[template(path = "me_certificates.html")]
struct CertificatesPage {
    chrome: Chrome,
    certificates: Vec<HeldCertificate>,
}

/// LinkedIn's "add to profile" address for a certificate, built from its fields alone (no
/// request goes to LinkedIn until the holder follows the link).
fn linkedin_link(details: &CertificateDetails) -> String {
    use chrono::Datelike;
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let certificate = &details.certificate;
    let mut link = format!(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name={}&organizationName={}&issueYear={}&issueMonth={}&certUrl={}&certId={}",
        encode(&details.programme_title),
        encode(&details.awarding_body),
        certificate.issued_on.year(),
        certificate.issued_on.month(),
        encode(&details.verification_url),
        encode(&certificate.number),
    );
    if let Some(expires) = certificate.expires_on {
        link.push_str(&format!(
            "&expirationYear={}&expirationMonth={}",
            expires.year(),
            expires.month()
        ));
    }
    link
}

fn held(details: CertificateDetails, renewal: Option<RenewalCheck>) -> HeldCertificate {
    HeldCertificate {
        linkedin: linkedin_link(&details),
        id: details.certificate.id.clone(),
        number: details.certificate.number.clone(),
        programme: details.programme_title.clone(),
        awarding_body: details.awarding_body.clone(),
        status: status_words(details.status),
        issued_on: long_date(details.certificate.issued_on),
        expires_on: details.certificate.expires_on.map(long_date),
        verification_url: details.verification_url.clone(),
        revoked_reason: details.certificate.revoked_reason.clone(),
        renewal: renewal.map(|check| Renewal {
            renewable: check.renewable,
            counts_from: long_date(check.counts_from),
            lines: check
                .requirements
                .into_iter()
                .map(|r| (r.met, r.explanation))
                .collect(),
        }),
    }
}

/// `GET /me/certificates`: each certificate with its status, PDF, verification link, signed
/// credential, and a LinkedIn link.
#[handler]
pub async fn certificates(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now, public_url) = (visit.caller.clone(), state.now(), state.config.public_url.clone());
    let found = state
        .db
        .read_async(move |conn| certificate_service::mine_with_renewal(conn, &caller, &public_url, now))
        .await?;
    Ok(ok(&CertificatesPage {
        chrome: Chrome::signed_in("Your certificates", &visit),
        certificates: found.into_iter().map(|(d, r)| held(d, r)).collect(),
    }))
}

/// `GET /me/certificates/{id}/pdf`: the certificate to print or keep.
#[handler]
pub async fn certificate_pdf(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let public_url = state.config.public_url.clone();
    let caller = visit.caller.clone();
    let document = state
        .db
        .read_async(move |conn| certificate_service::document_for(conn, &caller, &id, &public_url))
        .await?;
    let number = document.number.clone();
    let bytes = tokio::task::spawn_blocking(move || peertrack_core::documents::certificate_pdf(&document))
        .await
        .map_err(|_| PageError::Internal)?
        .map_err(|error| {
            tracing::error!(%error, "a certificate PDF could not be made");
            PageError::Internal
        })?;
    Ok(download(bytes, "application/pdf", &format!("{number}.pdf")))
}

/// `GET /me/certificates/{id}/credential`: the signed Open Badges credential, to download.
#[handler]
pub async fn certificate_credential(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now, public_url) = (visit.caller.clone(), state.now(), state.config.public_url.clone());
    let keys = state.keys.clone();
    let (jws, number) = state
        .db
        .write_async(move |conn| {
            let jws =
                certificate_service::signed_credential_for(conn, &caller, &keys, &id, &public_url, now)?;
            let number = certificate_service::get_as(conn, &caller, &id, &public_url, now)?
                .certificate
                .number;
            Ok((jws, number))
        })
        .await?;
    Ok(download(jws, "application/jwt", &format!("{number}.jwt")))
}

fn status_words(status: CertificateStatus) -> (&'static str, &'static str) {
    match status {
        CertificateStatus::Valid => ("Valid", "good"),
        CertificateStatus::Expired => ("Expired", "todo"),
        CertificateStatus::Revoked => ("Withdrawn", "bad"),
    }
}

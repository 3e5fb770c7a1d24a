//! Certificates: issue, read, PDF, signed credential, revoke, renew.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::documents;
use peertrack_core::domain::{utc, CertificateStatus};
use peertrack_core::service::certificates::{self as service, CertificateDetails, REASON_MAX};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A certificate to issue.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    /// The learner.
    pub person_id: Text<1, 64>,
    /// The cohort they completed.
    pub cohort_id: Text<1, 64>,
}

/// Why a certificate is revoked; the holder is told.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The reason, in words the holder will read.
    pub reason: Text<3, REASON_MAX>,
}

/// A renewal in a certificate's history.
#[derive(Debug, Object)]
pub struct RenewalRecord {
    /// Expiry before.
    pub previous_expires_on: NaiveDate,
    /// Expiry after.
    pub new_expires_on: NaiveDate,
    /// When.
    pub renewed_at: DateTime<Utc>,
}

/// A certificate.
#[derive(Debug, Object)]
pub struct Certificate {
    /// Its id.
    pub id: String,
    /// Its number, e.g. `P2P-2027-000042`.
    pub number: String,
    /// The code anyone can check it with at `/verify/{code}`.
    pub verification_code: String,
    /// The public verification page.
    pub verification_url: String,
    /// The holder.
    pub person_id: String,
    /// The holder's name as printed, or "Holder details withheld" after erasure.
    pub holder_name: String,
    /// The programme's code.
    pub programme_code: String,
    /// The programme's title.
    pub programme_title: String,
    /// The cohort it was issued for.
    pub cohort_id: Option<String>,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The day it stops being valid; null if it does not expire.
    pub expires_on: Option<NaiveDate>,
    /// `valid`, `expired` or `revoked`, today.
    pub status: String,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// Renewals, oldest first.
    pub renewals: Vec<RenewalRecord>,
}

/// Answers of `POST /v1/certificates`.
#[derive(Debug, ApiResponse)]
pub enum CertificateCreated {
    /// Issued; the holder gets an email with it.
    #[oai(status = 201)]
    Created(Json<Certificate>),
}

/// The PDF.
#[derive(Debug, ApiResponse)]
pub enum PdfResponse {
    /// The certificate as a PDF to print or keep.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

/// The signed credential.
#[derive(Debug, ApiResponse)]
pub enum CredentialResponse {
    /// An Open Badges 3.0 `OpenBadgeCredential` as a compact JWS (EdDSA) whose payload is the
    /// credential; verify it with the keys at `/.well-known/jwks.json`.
    #[oai(status = 200, content_type = "application/jwt")]
    Ok(PlainText<String>),
}

/// The view of a certificate's details.
pub(crate) fn certificate_view(details: CertificateDetails) -> Certificate {
    let certificate = details.certificate;
    Certificate {
        status: details.status.as_str().to_string(),
        verification_url: details.verification_url,
        holder_name: certificate
            .holder_name
            .clone()
            .unwrap_or_else(|| "Holder details withheld".into()),
        id: certificate.id,
        number: certificate.number,
        verification_code: certificate.verification_code,
        person_id: certificate.person_id,
        programme_code: details.programme_code,
        programme_title: details.programme_title,
        cohort_id: certificate.cohort_id,
        issued_on: certificate.issued_on,
        expires_on: certificate.expires_on,
        revoked_at: certificate.revoked_at.map(utc),
        revoked_reason: certificate.revoked_reason,
        renewals: details
            .renewals
            .into_iter()
            .map(|r| RenewalRecord {
                previous_expires_on: r.previous_expires_on,
                new_expires_on: r.new_expires_on,
                renewed_at: utc(r.renewed_at),
            })
            .collect(),
    }
}

/// A page of certificates.
#[derive(Debug, Object)]
pub struct CertificateList {
    /// Certificates in number order.
    pub items: Vec<Certificate>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Certificate operations.
pub struct CertificatesApi;

#[OpenApi(tag = "Tag::Certificates")]
impl CertificatesApi {
    /// Issue a certificate
    ///
    /// The cohort's tutors or an administrator issue a certificate to a learner who meets the
    /// programme's rule. If they do not yet, the answer is 422 listing each unmet requirement
    /// in `errors` (its code as `field`, what is missing as `message`). The holder gets an
    /// email with the certificate.
    #[oai(path = "/v1/certificates", method = "post")]
    async fn issue(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewCertificate>,
    ) -> Result<CertificateCreated, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let person_id = body.0.person_id.into_trimmed();
        let cohort_id = body.0.cohort_id.into_trimmed();
        let details = state
            .db
            .write_async(move |conn| {
                service::issue_as(conn, &auth.0, &person_id, &cohort_id, now, &public_url)
            })
            .await?;
        Ok(CertificateCreated::Created(Json(certificate_view(details))))
    }

    /// List certificates
    ///
    /// Certificates in number order, optionally only one programme's (by code), those with
    /// one status today (`valid`, `expired` or `revoked`), or one cohort's. Administrators see
    /// every certificate; tutors those of the cohorts they teach.
    #[oai(path = "/v1/certificates", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Only this programme's, e.g. `P2P`.
        programme: Query<Option<Text<0, 50>>>,
        /// Only those with this status today: `valid`, `expired` or `revoked`.
        status: Query<Option<Text<0, 20>>>,
        /// Only those issued for this cohort.
        cohort_id: Query<Option<Text<0, 64>>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CertificateList>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let limit = paging::page_size(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let query = service::CertificateQuery {
            programme: programme.0.map(String::from),
            status: status.0.map(String::from),
            cohort_id: cohort_id.0.map(Text::into_trimmed),
        };
        let found = state
            .db
            .read_async(move |conn| {
                service::list_as(
                    conn,
                    &auth.0,
                    &query,
                    &public_url,
                    after.as_deref(),
                    limit + 1,
                    now,
                )
            })
            .await?;
        let (found, next_cursor) = paging::page(found, limit, |c| c.certificate.number.clone());
        Ok(Json(CertificateList {
            items: found.into_iter().map(certificate_view).collect(),
            next_cursor,
        }))
    }

    /// Get a certificate
    ///
    /// For the holder, administrators and the tutors of the cohort it was issued for.
    #[oai(path = "/v1/certificates/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Certificate>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let details = state
            .db
            .read_async(move |conn| service::get_as(conn, &auth.0, &id.0, &public_url, now))
            .await?;
        Ok(Json(certificate_view(details)))
    }

    /// Download the certificate as a PDF
    ///
    /// A printable certificate with a QR code to its verification page; for the holder and
    /// administrators.
    #[oai(path = "/v1/certificates/:id/pdf", method = "get")]
    async fn pdf(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<PdfResponse, ApiError> {
        let public_url = state.config.public_url.clone();
        let document = state
            .db
            .read_async(move |conn| service::document_for(conn, &auth.0, &id.0, &public_url))
            .await?;
        let number = document.number.clone();
        let bytes = tokio::task::spawn_blocking(move || documents::certificate_pdf(&document))
            .await
            .map_err(|e| ApiError::from(peertrack_core::Error::Corrupt(e.to_string())))?
            .map_err(|e| ApiError::from(peertrack_core::Error::Corrupt(e.to_string())))?;
        Ok(PdfResponse::Ok(
            Binary(bytes),
            format!("inline; filename=\"{number}.pdf\""),
        ))
    }

    /// The signed credential
    ///
    /// The certificate as an Open Badges 3.0 credential, signed with Ed25519 as a compact JWS
    /// whose payload is the credential itself (OB 3.0 §8.2), to carry to any system that reads
    /// Open Badges; for the holder and administrators. It names the status list where its
    /// revocation is published (`credentialStatus`) and, when the certificate expires or was
    /// revoked, `validUntil`.
    #[oai(path = "/v1/certificates/:id/credential", method = "get")]
    async fn credential(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<CredentialResponse, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let keys = state.keys.clone();
        // A write: a certificate issued before status lists gets its entry now.
        let jws = state
            .db
            .write_async(move |conn| {
                service::signed_credential_for(conn, &auth.0, &keys, &id.0, &public_url, now)
            })
            .await?;
        Ok(CredentialResponse::Ok(PlainText(jws)))
    }

    /// Revoke a certificate
    ///
    /// Administrators revoke a certificate with a reason; verification then says `revoked`,
    /// partners see it in the change feed, and the holder is told.
    #[oai(path = "/v1/certificates/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<Revocation>,
    ) -> Result<Json<Certificate>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let reason = body.0.reason.0;
        let details = state
            .db
            .write_async(move |conn| service::revoke_as(conn, &auth.0, &id.0, &reason, now, &public_url))
            .await?;
        Ok(Json(certificate_view(details)))
    }

    /// Reissue a certificate in the holder's current name
    ///
    /// After a person corrects their name, the holder or an administrator reissues their
    /// certificate: the same number, verification code and dates, printed in the current
    /// name, with a new PDF and a new edition of the signed credential. The public
    /// verification page shows the current name from then on. A revoked certificate cannot be
    /// reissued (409).
    #[oai(path = "/v1/certificates/:id/reissue", method = "post")]
    async fn reissue(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Certificate>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let details = state
            .db
            .write_async(move |conn| service::reissue_as(conn, &auth.0, &id.0, now, &public_url))
            .await?;
        Ok(Json(certificate_view(details)))
    }

    /// Renew a certificate
    ///
    /// When a certificate expires and its programme renews by continuing professional
    /// development, an administrator or the cohort's tutor renews it once the holder's logged
    /// development meets the rule: same number, a new expiry, the history kept. Otherwise 422
    /// lists what is still missing.
    #[oai(path = "/v1/certificates/:id/renew", method = "post")]
    async fn renew(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Certificate>, ApiError> {
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let details = state
            .db
            .write_async(move |conn| service::renew_as(conn, &auth.0, &id.0, now, &public_url))
            .await?;
        Ok(Json(certificate_view(details)))
    }
}

/// The status words people read.
pub(crate) fn status_words(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "Valid",
        CertificateStatus::Expired => "Expired",
        CertificateStatus::Revoked => "Revoked",
    }
}

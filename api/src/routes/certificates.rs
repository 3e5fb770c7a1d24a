//! Certificates: issue, read, PDF, signed credential, revoke, renew.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::documents;
use peertrack_core::domain::CertificateStatus;
use peertrack_core::service::certificates as service;
use peertrack_core::store::{self, audit::Actor, certificates, cohorts, programmes, DbConnection};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::Tag;
use crate::auth::{Caller, PersonToken};
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A certificate to issue.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewCertificate {
    /// The learner.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub person_id: Text,
    /// The cohort they completed.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub cohort_id: Text,
}

/// Why a certificate is revoked; the holder is told.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Revocation {
    /// The reason, in words the holder will read.
    #[oai(validator(min_length = 3, max_length = 1000))]
    pub reason: Text,
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

/// Builds the view of a stored certificate.
pub(crate) fn certificate_view(
    conn: &mut DbConnection,
    certificate: certificates::Certificate,
    public_url: &str,
    today: NaiveDate,
) -> peertrack_core::Result<Certificate> {
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    let renewals = certificates::renewals(conn, &certificate.id)?
        .into_iter()
        .map(|r| RenewalRecord {
            previous_expires_on: r.previous_expires_on,
            new_expires_on: r.new_expires_on,
            renewed_at: store::utc(r.renewed_at),
        })
        .collect();
    Ok(Certificate {
        status: certificate.status_on(today).as_str().to_string(),
        verification_url: service::verification_url(public_url, &certificate.verification_code),
        holder_name: certificate
            .holder_name
            .clone()
            .unwrap_or_else(|| "Holder details withheld".into()),
        id: certificate.id,
        number: certificate.number,
        verification_code: certificate.verification_code,
        person_id: certificate.person_id,
        programme_code: version.definition.code,
        programme_title: version.definition.title,
        cohort_id: certificate.cohort_id,
        issued_on: certificate.issued_on,
        expires_on: certificate.expires_on,
        revoked_at: certificate.revoked_at.map(store::utc),
        revoked_reason: certificate.revoked_reason,
        renewals,
    })
}

/// Who the caller is to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertificateRole {
    Admin,
    Holder,
    /// A tutor of the cohort it was issued for.
    Tutor,
}

fn certificate_role(
    conn: &mut DbConnection,
    caller: &Caller,
    certificate: &certificates::Certificate,
) -> peertrack_core::Result<Option<CertificateRole>> {
    Ok(if caller.is_admin {
        Some(CertificateRole::Admin)
    } else if caller.person_id == certificate.person_id {
        Some(CertificateRole::Holder)
    } else if let Some(cohort_id) = &certificate.cohort_id {
        cohorts::is_tutor(conn, cohort_id, &caller.person_id)?.then_some(CertificateRole::Tutor)
    } else {
        None
    })
}

/// Loads a certificate the caller may see, or the answer to give instead.
fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> peertrack_core::Result<Result<(certificates::Certificate, CertificateRole), ApiError>> {
    let certificate = match certificates::get(conn, id) {
        Ok(c) => c,
        Err(peertrack_core::Error::NotFound(_)) => return Ok(Err(ApiError::not_found("Certificate"))),
        Err(e) => return Err(e),
    };
    Ok(match certificate_role(conn, caller, &certificate)? {
        Some(role) => Ok((certificate, role)),
        None => Err(ApiError::not_found("Certificate")),
    })
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
        body: Json<NewCertificate>,
    ) -> Result<CertificateCreated, ApiError> {
        let caller = auth.0;
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let person_id = body.0.person_id.trimmed().to_string();
        let cohort_id = body.0.cohort_id.trimmed().to_string();
        let view = state
            .db
            .write_async(move |conn| {
                match cohorts::get(conn, &cohort_id) {
                    Err(peertrack_core::Error::NotFound(_)) if caller.is_admin => {
                        return Ok(Err(ApiError::invalid(
                            "cohort_id",
                            "there is no cohort with this id",
                        )))
                    }
                    Err(peertrack_core::Error::NotFound(_)) => {
                        return Ok(Err(ApiError::forbidden(
                            "Only the cohort's tutors or an administrator can issue its certificates.",
                        )))
                    }
                    other => other?,
                };
                if !caller.is_admin && !cohorts::is_tutor(conn, &cohort_id, &caller.person_id)? {
                    return Ok(Err(ApiError::forbidden(
                        "Only the cohort's tutors or an administrator can issue its certificates.",
                    )));
                }
                let actor = Actor::Person(caller.person_id.clone());
                let certificate = service::issue(
                    conn,
                    &actor,
                    &caller.person_id,
                    &person_id,
                    &cohort_id,
                    now,
                    &public_url,
                )?;
                Ok(Ok(certificate_view(
                    conn,
                    certificate,
                    &public_url,
                    now.date_naive(),
                )?))
            })
            .await??;
        Ok(CertificateCreated::Created(Json(view)))
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
        let caller = auth.0;
        let today = state.now().date_naive();
        let public_url = state.config.public_url.clone();
        let view = state
            .db
            .read_async(move |conn| {
                Ok(match visible(conn, &caller, &id.0)? {
                    Ok((certificate, _)) => Ok(certificate_view(conn, certificate, &public_url, today)?),
                    Err(denied) => Err(denied),
                })
            })
            .await??;
        Ok(Json(view))
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
        let caller = auth.0;
        let public_url = state.config.public_url.clone();
        let (document, number) = state
            .db
            .read_async(move |conn| {
                Ok(match visible(conn, &caller, &id.0)? {
                    Ok((_, CertificateRole::Tutor)) => Err(ApiError::forbidden(
                        "Only the holder or an administrator can download the certificate.",
                    )),
                    Ok((certificate, _)) => {
                        let number = certificate.number.clone();
                        Ok((service::document(conn, &certificate, &public_url)?, number))
                    }
                    Err(denied) => Err(denied),
                })
            })
            .await??;
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
        let caller = auth.0;
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let keys = state.keys.clone();
        // A write: a certificate issued before status lists gets its entry now.
        let jws = state
            .db
            .write_async(move |conn| {
                Ok(match visible(conn, &caller, &id.0)? {
                    Ok((_, CertificateRole::Tutor)) => Err(ApiError::forbidden(
                        "Only the holder or an administrator can download the credential.",
                    )),
                    Ok((certificate, _)) => Ok(service::signed_credential(
                        conn,
                        &keys,
                        &certificate,
                        &public_url,
                        now,
                    )?),
                    Err(denied) => Err(denied),
                })
            })
            .await??;
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
        body: Json<Revocation>,
    ) -> Result<Json<Certificate>, ApiError> {
        let caller = auth.0;
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let reason = body.0.reason.trimmed().to_string();
        let view = state
            .db
            .write_async(move |conn| {
                match visible(conn, &caller, &id.0)? {
                    Ok((_, CertificateRole::Admin)) => {}
                    Ok(_) => {
                        return Ok(Err(ApiError::forbidden(
                            "Only an administrator can revoke a certificate.",
                        )))
                    }
                    Err(denied) => return Ok(Err(denied)),
                }
                // The length rule counts spaces; the holder must be told a reason in words.
                if reason.chars().count() < 3 {
                    return Ok(Err(ApiError::invalid(
                        "reason",
                        "must say why in words the holder will read, at least 3 characters long",
                    )));
                }
                let actor = Actor::Person(caller.person_id.clone());
                let certificate = service::revoke(conn, &actor, &id.0, &reason, now)?;
                Ok(Ok(certificate_view(
                    conn,
                    certificate,
                    &public_url,
                    now.date_naive(),
                )?))
            })
            .await??;
        Ok(Json(view))
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
        let caller = auth.0;
        let now = state.now();
        let public_url = state.config.public_url.clone();
        let view = state
            .db
            .write_async(move |conn| {
                match visible(conn, &caller, &id.0)? {
                    Ok((_, CertificateRole::Admin | CertificateRole::Tutor)) => {}
                    Ok(_) => {
                        return Ok(Err(ApiError::forbidden(
                            "An administrator or your tutor renews certificates; log your development and ask them.",
                        )))
                    }
                    Err(denied) => return Ok(Err(denied)),
                }
                let actor = Actor::Person(caller.person_id.clone());
                let certificate = service::renew(conn, &actor, &id.0, &caller.person_id, now)?;
                Ok(Ok(certificate_view(conn, certificate, &public_url, now.date_naive())?))
            })
            .await??;
        Ok(Json(view))
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

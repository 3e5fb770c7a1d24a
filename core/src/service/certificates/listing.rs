//! Finding certificates: lists for administrators and tutors, and the public check by code.

use super::*;

/// What a list of certificates asks for.
#[derive(Debug, Clone, Default)]
pub struct CertificateQuery {
    /// Only this programme's (by code).
    pub programme: Option<String>,
    /// Only those with this status today: `valid`, `expired` or `revoked`.
    pub status: Option<String>,
    /// Only those issued for this cohort.
    pub cohort_id: Option<String>,
}

/// Certificates in number order after number `after`: every one for administrators, those of
/// the cohorts they teach for tutors (a cohort they do not teach lists nothing); nobody else may.
pub fn list_as(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &CertificateQuery,
    public_url: &str,
    after: Option<&str>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<CertificateDetails>> {
    let within_cohorts = if caller.is_admin() {
        None
    } else {
        let tutored = match caller.person_id() {
            Some(me) => cohorts::cohorts_tutored_by(conn, me)?,
            None => Vec::new(),
        };
        if tutored.is_empty() {
            return Err(Error::NotAllowed(
                "Only administrators and tutors can list certificates.",
            ));
        }
        Some(tutored)
    };
    let status = match query.status.as_deref().map(str::trim) {
        None => None,
        Some("valid") => Some(CertificateStatus::Valid),
        Some("expired") => Some(CertificateStatus::Expired),
        Some("revoked") => Some(CertificateStatus::Revoked),
        Some(_) => return Err(Error::invalid("status", "must be one of valid, expired, revoked")),
    };
    let programme_id =
        crate::service::register::programme_id_for(conn, query.programme.as_deref().map(str::trim))?;
    let filter = certificates::CertificateFilter {
        programme_id,
        status,
        cohort_id: query.cohort_id.clone(),
        within_cohorts,
    };
    let today = now.date_naive();
    certificates::list(conn, &filter, today, after, limit)?
        .into_iter()
        .map(|c| details(conn, c, public_url, today))
        .collect()
}

/// What anyone may learn of a certificate from the code printed on it: the certificate and
/// its programme version; `None` for a code that is not one.
pub fn verify(conn: &mut DbConnection, code: &str) -> Result<Option<(Certificate, ProgrammeVersion)>> {
    let Some(certificate) = certificates::by_verification_code(conn, code)? else {
        return Ok(None);
    };
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    Ok(Some((certificate, version)))
}

//! What a certificate shows: the facts its PDF prints and its signed Open Badges credential
//! says, the published status lists that carry revocation to offline verifiers, and who may
//! download each.

use chrono::{DateTime, Utc};

use super::visible;
use crate::access::{Caller, CertificateRole};
use crate::credential::status_list::{encoded_list, StatusEntry};
use crate::credential::{BadgeFacts, CredentialError, KeyRing};
use crate::documents::CertificateDocument;
use crate::domain::certificate::verification_url;
use crate::store::certificates::{self, Certificate};
use crate::store::programmes::ProgrammeVersion;
use crate::store::{cohorts, organisations, programmes, status_lists, stored, utc, DbConnection};
use crate::{Error, Result};

/// The public address of a status list credential.
pub fn status_list_url(public_url: &str, list_id: &str) -> String {
    format!(
        "{}/v1/credentials/status/{list_id}",
        public_url.trim_end_matches('/')
    )
}

/// The programme version and delivering organisation's name of a certificate.
fn context(conn: &mut DbConnection, certificate: &Certificate) -> Result<(ProgrammeVersion, String)> {
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    let organisation = match &certificate.cohort_id {
        Some(cohort_id) => {
            let cohort = cohorts::get(conn, cohort_id)?;
            organisations::get(conn, &cohort.organisation_id)?.name
        }
        None => version.definition.awarding_body.clone(),
    };
    Ok((version, organisation))
}

/// What the PDF certificate shows.
pub fn document(
    conn: &mut DbConnection,
    certificate: &Certificate,
    public_url: &str,
) -> Result<CertificateDocument> {
    let (version, organisation) = context(conn, certificate)?;
    Ok(CertificateDocument {
        holder_name: certificate
            .holder_name
            .clone()
            .unwrap_or_else(|| "Holder details withheld".into()),
        programme_title: version.definition.title.clone(),
        awarding_body: version.definition.awarding_body.clone(),
        issuing_organisation: organisation,
        issued_on: certificate.issued_on,
        expires_on: certificate.expires_on,
        number: certificate.number.clone(),
        verification_code: certificate.verification_code.clone(),
        verification_url: verification_url(public_url, &certificate.verification_code),
        credits: version.definition.credits,
        level: version.definition.level,
        revoked_on: certificate.revoked_at.map(|at| at.date()),
    })
}

/// What the signed Open Badges credential says.
pub fn badge_facts(
    conn: &mut DbConnection,
    certificate: &Certificate,
    public_url: &str,
) -> Result<BadgeFacts> {
    let (version, organisation) = context(conn, certificate)?;
    let definition = &version.definition;
    let (activity_start, activity_end) = match &certificate.cohort_id {
        Some(cohort_id) => {
            let cohort = cohorts::get(conn, cohort_id)?;
            let enrolled = cohorts::enrolment_of(conn, cohort_id, &certificate.person_id)?;
            (
                Some(
                    enrolled
                        .map(|e| e.enrolled_on)
                        .unwrap_or(cohort.starts_on)
                        .max(cohort.starts_on),
                ),
                Some(cohort.ends_on.min(certificate.issued_on)),
            )
        }
        None => (None, None),
    };
    Ok(BadgeFacts {
        certificate_id: certificate.id.clone(),
        number: certificate.number.clone(),
        holder_id: certificate.person_id.clone(),
        holder_name: certificate.holder_name.clone(),
        programme_code: definition.code.clone(),
        programme_title: definition.title.clone(),
        programme_description: definition.description.clone(),
        awarding_body: definition.awarding_body.clone(),
        criteria: criteria_in_words(&version),
        modules: definition
            .modules
            .iter()
            .map(|m| (m.code.clone(), m.title.clone()))
            .collect(),
        credits: definition.credits,
        level: definition.level,
        issuer_name: organisation,
        public_url: public_url.trim_end_matches('/').to_string(),
        verification_url: verification_url(public_url, &certificate.verification_code),
        issued_on: certificate.issued_on,
        expires_on: certificate.expires_on,
        activity_start,
        activity_end,
        status: match (&certificate.status_list_id, certificate.status_list_index) {
            (Some(list), Some(index)) => Some(StatusEntry {
                list_url: status_list_url(public_url, list),
                index: u32::try_from(index).unwrap_or_default(),
            }),
            _ => None,
        },
        revoked_at: certificate.revoked_at.map(utc),
        // Each renewal and each reissue is a new edition of the credential.
        edition: u32::try_from(
            certificates::renewals(conn, &certificate.id)?.len()
                + certificates::reissues(conn, &certificate.id)?.len(),
        )
        .unwrap_or(u32::MAX),
    })
}

/// The certificate's signed Open Badges credential, made now: with its status list entry
/// (handed out first to a certificate issued before status lists), valid until it expires or
/// was revoked. A revoked certificate's credential says so: its bit is set in the list it names.
pub fn signed_credential(
    conn: &mut DbConnection,
    keys: &KeyRing,
    certificate: &Certificate,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    certificates::status_entry(conn, &certificate.id, stored(now))?;
    let certificate = certificates::get(conn, &certificate.id)?;
    let facts = badge_facts(conn, &certificate, public_url)?;
    crate::credential::credential_jws(keys, &facts, now).map_err(signing_failed)
}

/// A status list credential, signed now; `None` for a list that does not exist.
pub fn signed_status_list(
    conn: &mut DbConnection,
    keys: &KeyRing,
    list_id: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(list) = status_lists::get(conn, list_id)? else {
        return Ok(None);
    };
    let set = status_lists::set_indexes(conn, &list.id)?;
    let encoded = encoded_list(
        usize::try_from(list.size).unwrap_or_default(),
        set.into_iter().filter_map(|i| usize::try_from(i).ok()),
    );
    let url = status_list_url(public_url, &list.id);
    let issuer = public_url.trim_end_matches('/');
    crate::credential::status_list_jws(keys, &url, issuer, &encoded, now)
        .map(Some)
        .map_err(signing_failed)
}

fn signing_failed(error: CredentialError) -> Error {
    Error::Corrupt(format!("a credential could not be signed: {error}"))
}

/// The certification rule as a sentence or two.
pub fn criteria_in_words(version: &ProgrammeVersion) -> String {
    let rule = &version.definition.rule;
    let mut parts = Vec::new();
    if let Some(percent) = rule.min_attendance_percent {
        parts.push(format!(
            "attended at least {percent}% of the sessions held since enrolling"
        ));
    }
    if rule.all_core_modules {
        let core: Vec<&str> = version
            .definition
            .core_modules()
            .map(|m| m.title.as_str())
            .collect();
        parts.push(format!("achieved every core module ({})", core.join("; ")));
    }
    if rule.min_optional_modules > 0 {
        parts.push(format!(
            "achieved at least {} optional modules",
            rule.min_optional_modules
        ));
    }
    if let Some(sessions) = rule.min_supervision_sessions {
        parts.push(format!(
            "completed at least {sessions} supervision sessions verified by a supervisor during a practice placement"
        ));
    }
    if let Some(hours) = rule.min_supervision_hours {
        parts.push(format!(
            "completed at least {hours} hours of verified supervision"
        ));
    }
    if let Some(hours) = rule.min_practice_hours {
        parts.push(format!("completed at least {hours} hours of verified practice"));
    }
    let mut text = format!("The holder has {}.", parts.join(", "));
    if let Some(months) = rule.validity_months {
        text.push_str(&format!(" The certificate is valid for {months} months"));
        if let Some(renewal) = &rule.renewal {
            text.push_str(&format!(
                " and is renewed with {} hours of continuing professional development",
                renewal.min_hours
            ));
        }
        text.push('.');
    }
    text
}

/// What the PDF of a certificate shows, for its holder and administrators.
pub fn document_for(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    public_url: &str,
) -> Result<CertificateDocument> {
    match visible(conn, caller, id)? {
        (_, CertificateRole::Tutor) => Err(Error::NotAllowed(
            "Only the holder or an administrator can download the certificate.",
        )),
        (certificate, _) => document(conn, &certificate, public_url),
    }
}

/// The certificate as a signed Open Badges credential, for its holder and administrators (see
/// [`signed_credential`]); run in a write transaction.
pub fn signed_credential_for(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &KeyRing,
    id: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    match visible(conn, caller, id)? {
        (_, CertificateRole::Tutor) => Err(Error::NotAllowed(
            "Only the holder or an administrator can download the credential.",
        )),
        (certificate, _) => signed_credential(conn, keys, &certificate, public_url, now),
    }
}

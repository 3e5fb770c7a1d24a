//! Certificates: issuing to eligible learners, revoking, renewing by continuing development,
//! and reading them; what a PDF or a signed credential shows is in [`credentials`].

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::access::{self, Caller, CertificateRole};
use crate::domain::certificate::{expiry_after, renewed_expiry};
use crate::domain::input::Checks;
use crate::domain::{CertificateStatus, Requirement};
use crate::notify;
use crate::service::progress;
use crate::service::webhooks;
use crate::store::audit::{self, Actor};
use crate::store::certificates::{self, NewCertificate};
pub use crate::store::certificates::{Certificate, Renewal};
use crate::store::changes::{self, kind};
use crate::store::programmes::ProgrammeVersion;
use crate::store::{cohorts, cpd, people, programmes, stored, DbConnection};
use crate::{Error, Result};

pub use crate::domain::certificate::verification_url;

mod credentials;
pub use credentials::{
    badge_facts, criteria_in_words, document, document_for, signed_credential, signed_credential_for,
    signed_status_list, status_list_url,
};

mod listing;
pub use listing::*;

mod cohort;
pub use cohort::*;

/// Issues a certificate to a learner of a cohort, if they meet the cohort's programme rule.
/// One transaction: the certificate, the audit event, the change-feed event and the email.
pub fn issue(
    conn: &mut DbConnection,
    actor: &Actor,
    issued_by: &str,
    person_id: &str,
    cohort_id: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<Certificate> {
    let cohort = cohorts::get(conn, cohort_id)?;
    let enrolment = cohorts::enrolment_of(conn, cohort_id, person_id)?
        .ok_or_else(|| Error::invalid("person_id", "is not a learner in this cohort"))?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    // Two requests for the same person at once: the second waits, then finds the first's.
    people::lock(conn, person_id)?;
    let held = certificates::of_person(conn, person_id)?;
    if held.iter().any(|c| {
        c.programme_id == version.programme_id && c.status_on(now.date_naive()) == CertificateStatus::Valid
    }) {
        return Err(Error::Conflict(
            "this person already holds a valid certificate for this programme".into(),
        ));
    }
    let learner = progress::learner_progress(conn, &enrolment, &version, now)?;
    if !learner.eligibility.eligible {
        return Err(not_eligible(learner.eligibility.unmet()));
    }
    let person = people::get(conn, person_id)?;
    let today = now.date_naive();
    let certificate = certificates::issue(
        conn,
        &NewCertificate {
            person_id: person_id.to_string(),
            holder_name: person.display_name().to_string(),
            programme_id: version.programme_id.clone(),
            programme_code: version.definition.code.clone(),
            programme_version_id: version.version_id.clone(),
            cohort_id: Some(cohort.id.clone()),
            issued_on: today,
            expires_on: expiry_after(today, version.definition.rule.validity_months),
            issued_by: issued_by.to_string(),
        },
        stored(now),
    )?;
    audit::record(
        conn,
        actor,
        "certificate.issued",
        ("certificate", &certificate.id),
        json!({ "number": certificate.number, "person_id": person_id, "cohort_id": cohort_id }),
        stored(now),
    )?;
    let event = changes::certificate_changed(
        conn,
        kind::CERTIFICATE_ISSUED,
        person_id,
        &certificate.id,
        &certificate.programme_id,
        stored(now),
    )?;
    webhooks::announce(conn, &event, stored(now))?;
    notify::queue_email(
        conn,
        format!("certificate_issued:{}", certificate.id),
        notify::Email::CertificateIssued,
        &person,
        json!({
            "name": person.display_name(),
            "certificate_id": certificate.id,
            "number": certificate.number,
            "programme_title": version.definition.title,
            "issued_on": certificate.issued_on,
            "expires_on": certificate.expires_on,
            "verification_url": verification_url(public_url, &certificate.verification_code),
        }),
        stored(now),
    )?;
    Ok(certificate)
}

fn not_eligible<'a>(unmet: impl Iterator<Item = &'a Requirement>) -> Error {
    Error::NotEligible(unmet.map(|r| (r.kind.code(), r.explanation.clone())).collect())
}

/// Revokes a certificate, with a reason the holder is told.
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Certificate> {
    let certificate = certificates::revoke(conn, id, reason, stored(now))?;
    audit::record(
        conn,
        actor,
        "certificate.revoked",
        ("certificate", id),
        json!({ "reason": reason }),
        stored(now),
    )?;
    let event = changes::certificate_changed(
        conn,
        kind::CERTIFICATE_REVOKED,
        &certificate.person_id,
        id,
        &certificate.programme_id,
        stored(now),
    )?;
    webhooks::announce(conn, &event, stored(now))?;
    let person = people::get(conn, &certificate.person_id)?;
    notify::queue_email(
        conn,
        format!("certificate_revoked:{id}"),
        notify::Email::CertificateRevoked,
        &person,
        json!({ "name": person.display_name(), "number": certificate.number, "reason": reason }),
        stored(now),
    )?;
    Ok(certificate)
}

/// Whether a certificate can be renewed now, requirement by requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct RenewalCheck {
    /// Whether every renewal requirement is met.
    pub renewable: bool,
    /// The first day whose development counts.
    pub counts_from: NaiveDate,
    /// The requirements, met or not.
    pub requirements: Vec<Requirement>,
}

/// Checks a certificate's renewal requirements against the holder's logged development.
pub fn renewal_check(
    conn: &mut DbConnection,
    certificate: &Certificate,
    today: NaiveDate,
) -> Result<RenewalCheck> {
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    let (Some(expires_on), Some(rule)) = (certificate.expires_on, version.definition.rule.renewal.as_ref())
    else {
        return Err(Error::Conflict(
            "this certificate does not expire, so it needs no renewal".into(),
        ));
    };
    let entries: Vec<_> = cpd::of_person(conn, &certificate.person_id)?
        .iter()
        .map(|r| r.entry())
        .collect();
    let requirements = rule.evaluate(&entries, expires_on, today);
    Ok(RenewalCheck {
        renewable: requirements.iter().all(|r| r.met),
        counts_from: rule.window_start(expires_on),
        requirements,
    })
}

/// Renews a certificate whose renewal requirements are met: same number, new expiry,
/// history kept.
pub fn renew(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    renewed_by: &str,
    now: DateTime<Utc>,
) -> Result<Certificate> {
    let certificate = certificates::get(conn, id)?;
    if certificate.revoked_at.is_some() {
        return Err(Error::Conflict("a revoked certificate cannot be renewed".into()));
    }
    let today = now.date_naive();
    let check = renewal_check(conn, &certificate, today)?;
    if !check.renewable {
        return Err(not_eligible(check.requirements.iter().filter(|r| !r.met)));
    }
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    let months = version.definition.rule.validity_months.unwrap_or(12);
    let expires_on = certificate.expires_on.unwrap_or(today);
    let new_expiry = renewed_expiry(expires_on, today, months);
    let renewal = certificates::renew(conn, id, new_expiry, renewed_by, stored(now))?;
    audit::record(
        conn,
        actor,
        "certificate.renewed",
        ("certificate", id),
        json!({ "previous_expires_on": renewal.previous_expires_on, "new_expires_on": renewal.new_expires_on }),
        stored(now),
    )?;
    let event = changes::certificate_changed(
        conn,
        kind::CERTIFICATE_RENEWED,
        &certificate.person_id,
        id,
        &certificate.programme_id,
        stored(now),
    )?;
    webhooks::announce(conn, &event, stored(now))?;
    certificates::get(conn, id)
}

/// A certificate with what people read about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateDetails {
    /// The certificate.
    pub certificate: Certificate,
    /// Its programme's code.
    pub programme_code: String,
    /// Its programme's title.
    pub programme_title: String,
    /// Who awards it.
    pub awarding_body: String,
    /// Its status on the day it was read.
    pub status: CertificateStatus,
    /// The public verification page.
    pub verification_url: String,
    /// Its renewals, oldest first.
    pub renewals: Vec<certificates::Renewal>,
}

/// The details of a stored certificate, as of `today`.
pub fn details(
    conn: &mut DbConnection,
    certificate: Certificate,
    public_url: &str,
    today: NaiveDate,
) -> Result<CertificateDetails> {
    let version = programmes::version(conn, &certificate.programme_version_id)?;
    let renewals = certificates::renewals(conn, &certificate.id)?;
    Ok(CertificateDetails {
        programme_code: version.definition.code,
        programme_title: version.definition.title,
        awarding_body: version.definition.awarding_body,
        status: certificate.status_on(today),
        verification_url: verification_url(public_url, &certificate.verification_code),
        renewals,
        certificate,
    })
}

/// A certificate the caller may see, with their role to it.
pub(super) fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Certificate, CertificateRole)> {
    let certificate = certificates::get(conn, id)?;
    let role = access::certificate_role(conn, caller, &certificate)?;
    Ok((certificate, role))
}

/// Issues a certificate (see [`issue`]); the cohort's tutors and administrators may.
pub fn issue_as(
    conn: &mut DbConnection,
    caller: &Caller,
    person_id: &str,
    cohort_id: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<CertificateDetails> {
    const ONLY_STAFF: &str = "Only the cohort's tutors or an administrator can issue its certificates.";
    match cohorts::get(conn, cohort_id) {
        Err(Error::NotFound(_)) if caller.is_admin() => {
            return Err(Error::invalid("cohort_id", "there is no cohort with this id"))
        }
        Err(Error::NotFound(_)) => return Err(Error::NotAllowed(ONLY_STAFF)),
        other => other?,
    };
    let tutor = match caller.person_id() {
        Some(me) => cohorts::is_tutor(conn, cohort_id, me)?,
        None => false,
    };
    if !caller.is_admin() && !tutor {
        return Err(Error::NotAllowed(ONLY_STAFF));
    }
    let issued_by = caller.person_id().unwrap_or("cli");
    let certificate = issue(
        conn,
        &caller.actor(),
        issued_by,
        person_id,
        cohort_id,
        now,
        public_url,
    )?;
    details(conn, certificate, public_url, now.date_naive())
}

/// A certificate, for its holder, administrators and the tutors of its cohort.
pub fn get_as(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<CertificateDetails> {
    let (certificate, _) = visible(conn, caller, id)?;
    details(conn, certificate, public_url, now.date_naive())
}

/// The caller's own certificates, newest first.
pub fn mine(
    conn: &mut DbConnection,
    caller: &Caller,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Vec<CertificateDetails>> {
    let me = caller.require_person()?;
    certificates::of_person(conn, me)?
        .into_iter()
        .map(|c| details(conn, c, public_url, now.date_naive()))
        .collect()
}

/// The caller's own certificates, newest first, each with where its renewal stands when it
/// expires and its programme renews by continuing development.
pub fn mine_with_renewal(
    conn: &mut DbConnection,
    caller: &Caller,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(CertificateDetails, Option<RenewalCheck>)>> {
    let today = now.date_naive();
    let mut found = Vec::new();
    for details in mine(conn, caller, public_url, now)? {
        let renewal = match renewal_check(conn, &details.certificate, today) {
            Ok(check) if details.status != CertificateStatus::Revoked => Some(check),
            Ok(_) | Err(Error::Conflict(_)) => None,
            Err(other) => return Err(other),
        };
        found.push((details, renewal));
    }
    Ok(found)
}

/// The longest a revocation reason may be.
pub const REASON_MAX: usize = 1000;

/// Revokes a certificate with a reason the holder is told; administrators only.
pub fn revoke_as(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<CertificateDetails> {
    match visible(conn, caller, id)? {
        (_, CertificateRole::Admin) => {}
        _ => {
            return Err(Error::NotAllowed(
                "Only an administrator can revoke a certificate.",
            ))
        }
    }
    Checks::new().reason("reason", reason, REASON_MAX).finish()?;
    let certificate = revoke(conn, &caller.actor(), id, reason.trim(), now)?;
    details(conn, certificate, public_url, now.date_naive())
}

/// Renews a certificate once the holder's development meets the renewal rule; the cohort's
/// tutors and administrators may.
pub fn renew_as(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<CertificateDetails> {
    match visible(conn, caller, id)? {
        (_, CertificateRole::Admin | CertificateRole::Tutor) => {}
        _ => {
            return Err(Error::NotAllowed(
                "An administrator or your tutor renews certificates; log your development and ask them.",
            ))
        }
    }
    let renewed_by = caller.person_id().unwrap_or("cli");
    let certificate = renew(conn, &caller.actor(), id, renewed_by, now)?;
    details(conn, certificate, public_url, now.date_naive())
}

/// Reissues a certificate in the holder's current name: the same number, verification code
/// and dates, a new PDF and a new edition of the credential; the public verification page shows
/// the name from now on. The holder and administrators may; a revoked certificate cannot be
/// reissued, nor one whose holder's details were erased. A certificate that already shows the
/// current name is left as it is (asking twice changes nothing).
pub fn reissue_as(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<CertificateDetails> {
    let (certificate, role) = visible(conn, caller, id)?;
    if role == CertificateRole::Tutor {
        return Err(Error::NotAllowed(
            "Only the holder or an administrator can reissue a certificate.",
        ));
    }
    let holder = people::get(conn, &certificate.person_id)?;
    let Some(name) = holder.name.as_deref() else {
        return Err(Error::Conflict(
            "the holder's details were erased at their request, so there is no name to print".into(),
        ));
    };
    // Already in the current name: nothing to reissue, and the answer is the same.
    if certificate.holder_name.as_deref() == Some(name) && certificate.revoked_at.is_none() {
        return details(conn, certificate, public_url, now.date_naive());
    }
    let reissued_by = caller.person_id().unwrap_or("cli");
    let reissue = certificates::reissue(conn, id, name, reissued_by, stored(now))?;
    audit::record(
        conn,
        &caller.actor(),
        "certificate.reissued",
        ("certificate", id),
        json!({ "reissue_id": reissue.id }),
        stored(now),
    )?;
    let certificate = certificates::get(conn, id)?;
    details(conn, certificate, public_url, now.date_naive())
}

//! A cohort's certificates at once: who can have one now, and issuing to all of them in one go.

use std::collections::HashMap;

use super::*;
use crate::service::progress::LearnerProgress;
use crate::store::cohorts::Cohort;
use crate::store::people::Person;

/// Where a cohort's learners stand for its programme's certificate, each list by name.
#[derive(Debug, Clone)]
pub struct CohortCertification {
    /// The cohort.
    pub cohort: Cohort,
    /// Its programme's title.
    pub programme_title: String,
    /// Eligible and holding no valid certificate of the programme: a certificate can be issued.
    pub ready: Vec<(Person, LearnerProgress)>,
    /// Holding a valid certificate of the programme already (from this cohort or another).
    pub certified: Vec<(Person, Certificate)>,
    /// Not eligible yet (or no longer: withdrawn), each with every requirement and whether met.
    pub not_yet: Vec<(Person, LearnerProgress)>,
}

/// Where each learner of a cohort stands for its certificate; for its tutors and
/// administrators.
pub fn cohort_certification(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
) -> Result<CohortCertification> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let learners = progress::cohort_progress(conn, &cohort, now)?;
    let ids: Vec<String> = learners.iter().map(|(person, _)| person.id.clone()).collect();
    let today = now.date_naive();
    let mut held: HashMap<String, Certificate> = HashMap::new();
    for certificate in certificates::of_people_in_programme(conn, &ids, &version.programme_id)? {
        if certificate.status_on(today) == CertificateStatus::Valid {
            held.entry(certificate.person_id.clone()).or_insert(certificate);
        }
    }
    let mut answer = CohortCertification {
        cohort,
        programme_title: version.definition.title,
        ready: Vec::new(),
        certified: Vec::new(),
        not_yet: Vec::new(),
    };
    for (person, progress) in learners {
        if let Some(certificate) = held.remove(&person.id) {
            answer.certified.push((person, certificate));
        } else if progress.eligibility.eligible {
            answer.ready.push((person, progress));
        } else {
            answer.not_yet.push((person, progress));
        }
    }
    Ok(answer)
}

/// Issues a certificate to every learner of the cohort who is eligible and holds no valid
/// certificate of its programme, each as [`issue`] does (with its email and the PDF), all in
/// the caller's transaction: every one is issued or none is. The cohort's tutors and
/// administrators may. Learners who hold one already are left alone, so pressing twice issues
/// once; two runs at once for the same cohort run one after the other. The certificates
/// issued, by the holder's name.
pub fn issue_to_eligible(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<Vec<Certificate>> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    cohorts::lock_cohort(conn, cohort_id)?;
    let ready = cohort_certification(conn, caller, cohort_id, now)?.ready;
    let issued_by = caller.person_id().unwrap_or("cli");
    ready
        .iter()
        .map(|(person, _)| {
            issue(
                conn,
                &caller.actor(),
                issued_by,
                &person.id,
                cohort_id,
                now,
                public_url,
            )
        })
        .collect()
}

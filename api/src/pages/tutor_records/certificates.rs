//! `/cohorts/{id}/certificates`: a tutor issues a certificate to every eligible learner of a
//! cohort in one go. The page lists who can have one now, who has one, and who is not there yet
//! and why; **Issue N certificates** issues them all in one transaction (each learner emailed
//! with the PDF through the outbox). Learners who already hold one are skipped, so pressing
//! twice issues once.

use askama::Template;
use peertrack_core::service::certificates;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::{day_of, long_date, TokenForm};
use crate::pages::session::{self, Visit};
use crate::pages::{ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// A learner who is not eligible yet, with what is missing in plain words.
struct NotYet {
    name: String,
    missing: Vec<String>,
}

#[derive(Template)]
#[template(path = "tutor_certificates.html")]
struct CertificatesPage {
    chrome: Chrome,
    csrf: String,
    cohort_id: String,
    cohort_name: String,
    programme_title: String,
    done: Option<String>,
    ready: Vec<String>,
    /// Name, certificate number, issued on.
    certified: Vec<(String, String, String)>,
    not_yet: Vec<NotYet>,
}

impl CertificatesPage {
    /// "Issue 1 certificate", "Issue 7 certificates".
    fn button(&self) -> String {
        match self.ready.len() {
            1 => "Issue 1 certificate".to_string(),
            n => format!("Issue {n} certificates"),
        }
    }
}

/// What the page may say after issuing.
#[derive(Debug, serde::Deserialize)]
pub struct Issued {
    done: Option<String>,
    count: Option<u32>,
}

/// `GET /cohorts/{id}/certificates`: who can have a certificate now, and the button.
#[handler]
pub async fn certificates_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    query: Query<Issued>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = match (query.0.done.as_deref(), query.0.count) {
        (Some("issued"), Some(0)) => {
            Some("No certificates were issued: everyone eligible already has one.".to_string())
        }
        (Some("issued"), Some(1)) => Some("Issued 1 certificate; the learner has been emailed.".to_string()),
        (Some("issued"), Some(n)) => Some(format!("Issued {n} certificates; each learner has been emailed.")),
        _ => None,
    };
    show(&state, &visit, cohort_id, done).await
}

async fn show(
    state: &AppState,
    visit: &Visit,
    cohort_id: String,
    done: Option<String>,
) -> Result<Response, PageError> {
    let (caller, now) = (visit.caller.clone(), state.now());
    let standing = state
        .db
        .read_async(move |conn| certificates::cohort_certification(conn, &caller, &cohort_id, now))
        .await?;
    let not_yet = standing
        .not_yet
        .into_iter()
        .map(|(person, progress)| {
            let missing = match progress.enrolment.withdrawn_at {
                Some(left) => vec![format!(
                    "Left the cohort on {}, so no certificate is issued from it.",
                    day_of(left)
                )],
                None => progress
                    .eligibility
                    .unmet()
                    .map(|r| r.explanation.clone())
                    .collect(),
            };
            NotYet {
                name: person.display_name().to_string(),
                missing,
            }
        })
        .collect();
    Ok(ok(&CertificatesPage {
        chrome: Chrome::signed_in("Issue certificates", visit),
        csrf: visit.csrf.clone(),
        cohort_id: standing.cohort.id,
        cohort_name: standing.cohort.name,
        programme_title: standing.programme_title,
        done,
        ready: standing
            .ready
            .iter()
            .map(|(person, _)| person.display_name().to_string())
            .collect(),
        certified: standing
            .certified
            .iter()
            .map(|(person, c)| {
                (
                    person.display_name().to_string(),
                    c.number.clone(),
                    long_date(c.issued_on),
                )
            })
            .collect(),
        not_yet,
    }))
}

/// `POST /cohorts/{id}/certificates`: issues a certificate to every learner eligible now who
/// has none; back to the page, which says how many.
#[handler]
pub async fn issue(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    form: Form<TokenForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now, cohort) = (visit.caller.clone(), state.now(), cohort_id.clone());
    let public_url = state.config.public_url.clone();
    let issued = state
        .db
        .write_async(move |conn| certificates::issue_to_eligible(conn, &caller, &cohort, now, &public_url))
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{cohort_id}/certificates?done=issued&count={}",
        issued.len()
    )))
}

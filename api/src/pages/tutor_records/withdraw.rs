//! `/cohorts/{id}/learners/{person_id}/withdraw`: a learner leaves a cohort. A confirmation
//! page that names them and says what leaving means, with the reason core asks for; the
//! button says whom it withdraws. Core's `cohorts::withdraw` decides who may.

use askama::Template;
use peertrack_core::service::cohorts;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{handler, Response};

use super::day_of;
use crate::pages::learner::Problems;
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "tutor_withdraw.html")]
struct WithdrawPage {
    chrome: Chrome,
    csrf: String,
    cohort_id: String,
    cohort_name: String,
    person_id: String,
    name: String,
    /// When and why they left, if they already did.
    left: Option<(String, String)>,
    /// The reason as typed.
    reason: String,
    /// What to change in it.
    reason_problem: Option<String>,
}

async fn show(
    state: &AppState,
    visit: &Visit,
    cohort_id: String,
    person_id: String,
    typed: Option<(String, String)>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let (cohort, enrolment, person) = state
        .db
        .read_async(move |conn| cohorts::learner(conn, &caller, &cohort_id, &person_id))
        .await?;
    let left = enrolment.withdrawn_at.map(|at| {
        (
            day_of(at),
            enrolment.withdrawal_reason.clone().unwrap_or_default(),
        )
    });
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (reason, reason_problem) = match typed {
        Some((reason, problem)) => (reason, Some(problem)),
        None => (String::new(), None),
    };
    let name = person.display_name().to_string();
    Ok(html(
        status,
        &WithdrawPage {
            chrome: Chrome::signed_in(format!("Withdraw {name}"), visit),
            csrf: visit.csrf.clone(),
            cohort_id: cohort.id,
            cohort_name: cohort.name,
            person_id: person.id,
            name,
            left,
            reason,
            reason_problem,
        },
    ))
}

/// `GET /cohorts/{id}/learners/{person_id}/withdraw`: the confirmation page.
#[handler]
pub async fn confirm(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path((cohort_id, person_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    show(&state, &visit, cohort_id, person_id, None).await
}

/// The form that withdraws a learner.
#[derive(Debug, serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cohorts/{id}/learners/{person_id}/withdraw`: the learner leaves; back to the cohort.
#[handler]
pub async fn withdraw(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path((cohort_id, person_id)): Path<(String, String)>,
    form: Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let reason: String = form
        .0
        .reason
        .chars()
        .take(peertrack_core::service::sessions::REASON_MAX + 1)
        .collect();
    let (caller, now, cohort, person, typed) = (
        visit.caller.clone(),
        state.now(),
        cohort_id.clone(),
        person_id.clone(),
        reason.clone(),
    );
    let withdrawn = state
        .db
        .write_async(move |conn| cohorts::withdraw(conn, &caller, &cohort, &person, &typed, now))
        .await;
    match withdrawn {
        Ok(_) => Ok(see_other(&format!("/cohorts/{cohort_id}?done=learner-withdrawn"))),
        // They left meanwhile: the page now says when and why.
        Err(peertrack_core::Error::Conflict(_)) => show(&state, &visit, cohort_id, person_id, None).await,
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let problem = if reason.trim().is_empty() {
                "Please say why they are leaving, in a few words.".to_string()
            } else {
                format!(
                    "The reason {}.",
                    problems.of("reason").unwrap_or("could not be saved")
                )
            };
            show(&state, &visit, cohort_id, person_id, Some((reason, problem))).await
        }
    }
}

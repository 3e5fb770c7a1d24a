//! `/admin/cohorts`: every cohort with its tutors; starting a cohort; adding a tutor by email
//! (a new address gets an account, as over the API) or taking one off.

use askama::Template;
use chrono::NaiveDate;
use peertrack_core::service::administration;
use peertrack_core::service::cohorts::{self, NewCohort};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::plain;
use crate::pages::learner::{long_date, Problems};
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// How many cohorts one page lists.
const COHORTS_SHOWN: i64 = 100;

/// A tutor as listed.
struct TutorRow {
    name: String,
    email: String,
}

/// A cohort as listed, with its "add a tutor" field.
struct CohortRow {
    id: String,
    name: String,
    programme: String,
    organisation: String,
    dates: String,
    tutors: Vec<TutorRow>,
    tutor_email: String,
    tutor_problem: Option<String>,
}

/// The "start a cohort" form as typed, with what to change in each field.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CohortForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    programme_code: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    tutor_emails: String,
}

/// A choice in a list.
struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin_cohorts.html")]
struct CohortsPage {
    chrome: Chrome,
    csrf: String,
    cohorts: Vec<CohortRow>,
    next: Option<String>,
    programmes: Vec<Choice>,
    organisations: Vec<Choice>,
    form: CohortForm,
    problems: Vec<(String, String)>,
    done: Option<&'static str>,
    failed: bool,
}

impl CohortsPage {
    /// What to change in a field of the "start a cohort" form.
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// A form that failed.
enum Failed {
    Create(CohortForm, Vec<(String, String)>),
    Tutor {
        cohort_id: String,
        email: String,
        problem: String,
    },
}

/// Which page of cohorts, and what just happened.
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    done: Option<String>,
}

async fn cohorts_page(
    state: &AppState,
    visit: &Visit,
    after: Option<String>,
    done: Option<&'static str>,
    failed: Option<Failed>,
) -> Result<Response, PageError> {
    let any_failed = failed.is_some();
    let caller = visit.caller.clone();
    let ((found, organisations), programmes) = state
        .db
        .read_async(move |conn| {
            Ok((
                administration::cohorts(conn, &caller, after.as_deref(), COHORTS_SHOWN + 1)?,
                administration::programmes(conn, &caller)?,
            ))
        })
        .await?;
    let next = (found.len() as i64 > COHORTS_SHOWN)
        .then(|| found.get(COHORTS_SHOWN as usize - 1).map(|c| c.cohort.id.clone()))
        .flatten();
    let organisation_name = |id: &str| {
        organisations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(String::new, |o| o.name.clone())
    };
    let cohorts = found
        .into_iter()
        .take(COHORTS_SHOWN as usize)
        .map(|c| {
            let (tutor_email, tutor_problem) = match &failed {
                Some(Failed::Tutor {
                    cohort_id,
                    email,
                    problem,
                }) if *cohort_id == c.cohort.id => (email.clone(), Some(problem.clone())),
                _ => (String::new(), None),
            };
            CohortRow {
                organisation: organisation_name(&c.cohort.organisation_id),
                programme: format!("{} (version {})", c.programme_title, c.programme_version),
                dates: format!(
                    "{} to {}",
                    long_date(c.cohort.starts_on),
                    long_date(c.cohort.ends_on)
                ),
                tutors: c
                    .tutors
                    .into_iter()
                    .map(|t| TutorRow {
                        name: t.display_name().to_string(),
                        email: t.email.unwrap_or_default(),
                    })
                    .collect(),
                id: c.cohort.id,
                name: c.cohort.name,
                tutor_email,
                tutor_problem,
            }
        })
        .collect();
    let programmes = programmes
        .into_iter()
        .filter_map(|versions| versions.into_iter().next())
        .map(|p| Choice {
            label: format!("{} ({})", p.definition.title, p.definition.code),
            value: p.definition.code,
        })
        .collect();
    let organisations = organisations
        .into_iter()
        .map(|o| Choice {
            value: o.id,
            label: o.name,
        })
        .collect();
    let (form, problems) = match failed {
        Some(Failed::Create(form, problems)) => (form, problems),
        _ => (CohortForm::default(), Vec::new()),
    };
    let status = if any_failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &CohortsPage {
            chrome: Chrome::signed_in("Cohorts", visit),
            csrf: visit.csrf.clone(),
            cohorts,
            next,
            programmes,
            organisations,
            form,
            problems,
            done,
            failed: any_failed,
        },
    ))
}

/// `GET /admin/cohorts`: every cohort with its tutors, and the form to start one.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<ListQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = match query.0.done.as_deref() {
        Some("created") => Some("The cohort is started. Its tutors can now add sessions and enrol learners."),
        Some("tutor-added") => Some("The tutor is added. They see the cohort when they sign in."),
        Some("tutor-removed") => Some("The tutor is taken off the cohort."),
        _ => None,
    };
    cohorts_page(&state, &visit, query.0.after, done, None).await
}

/// A date as typed, or what to change.
fn date(typed: &str, what: &str) -> Result<NaiveDate, String> {
    typed
        .trim()
        .parse()
        .map_err(|_| format!("Enter the {what}, for example 2027-03-31."))
}

/// `POST /admin/cohorts`: starts a cohort.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<CohortForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let form = form.0;
    let mut problems: Vec<(String, String)> = Vec::new();
    if form.programme_code.trim().is_empty() {
        problems.push(("programme_code".into(), "Choose the programme.".into()));
    }
    if form.organisation_id.trim().is_empty() {
        problems.push((
            "organisation_id".into(),
            "Choose the organisation that runs it.".into(),
        ));
    }
    let starts_on = date(&form.starts_on, "first day").map_err(|p| problems.push(("starts_on".into(), p)));
    let ends_on = date(&form.ends_on, "last day").map_err(|p| problems.push(("ends_on".into(), p)));
    if let (true, Ok(starts_on), Ok(ends_on)) = (problems.is_empty(), starts_on, ends_on) {
        let new = NewCohort {
            programme_code: form.programme_code.trim().to_string(),
            organisation_id: form.organisation_id.trim().to_string(),
            name: form.name.chars().take(1000).collect(),
            starts_on,
            ends_on,
            tutor_emails: form
                .tutor_emails
                .split([',', '\n', ';'])
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_string)
                .collect(),
        };
        let (caller, now) = (visit.caller.clone(), state.now());
        let created = state
            .db
            .write_async(move |conn| cohorts::create(conn, &caller, &new, now))
            .await;
        match created {
            Ok(_) => return Ok(see_other("/admin/cohorts?done=created")),
            Err(error) => {
                let found = Problems::from_error(error)?;
                for field in [
                    "programme_code",
                    "organisation_id",
                    "name",
                    "starts_on",
                    "ends_on",
                    "tutor_emails",
                ] {
                    if let Some(message) = found.of(field) {
                        let what = match field {
                            "programme_code" => "The programme",
                            "organisation_id" => "The organisation",
                            "name" => "The name",
                            "starts_on" => "The first day",
                            "ends_on" => "The last day",
                            _ => "Each tutor's address",
                        };
                        problems.push((field.into(), format!("{what} {}.", plain(message))));
                    }
                }
                if problems.is_empty() {
                    problems.push((
                        "name".into(),
                        "The cohort could not be started; please check each field.".into(),
                    ));
                }
            }
        }
    }
    cohorts_page(&state, &visit, None, None, Some(Failed::Create(form, problems))).await
}

/// The "add a tutor" and "take off" forms.
#[derive(Debug, serde::Deserialize)]
pub struct TutorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// `POST /admin/cohorts/{id}/tutors`: adds a tutor by email.
#[handler]
pub async fn add_tutor(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    form: Form<TutorForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let email: String = form.0.email.chars().take(400).collect();
    let (caller, now, id, sent) = (
        visit.caller.clone(),
        state.now(),
        cohort_id.clone(),
        email.clone(),
    );
    let added = state
        .db
        .write_async(move |conn| cohorts::add_tutor(conn, &caller, &id, &sent, now))
        .await;
    match added {
        Ok(_) => Ok(see_other("/admin/cohorts?done=tutor-added")),
        Err(error) => {
            Problems::from_error(error)?;
            let problem = if email.trim().is_empty() {
                "Enter the tutor's email address.".to_string()
            } else {
                "Enter an email address, like name@example.org.".to_string()
            };
            let failed = Failed::Tutor {
                cohort_id,
                email,
                problem,
            };
            cohorts_page(&state, &visit, None, None, Some(failed)).await
        }
    }
}

/// `POST /admin/cohorts/{id}/tutors/remove`: takes a tutor off the cohort.
#[handler]
pub async fn remove_tutor(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    form: Form<TutorForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now, email) = (visit.caller.clone(), state.now(), form.0.email);
    state
        .db
        .write_async(move |conn| cohorts::remove_tutor(conn, &caller, &cohort_id, &email, now))
        .await?;
    Ok(see_other("/admin/cohorts?done=tutor-removed"))
}

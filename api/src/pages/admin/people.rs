//! `/admin/people`: finding a person by name or email; their page (what they are in Peertrack,
//! correcting their name or email); and erasing their details, after a page that names them.

use askama::Template;
use peertrack_core::service::administration::{self, PersonCohort, PersonRecord};
use peertrack_core::service::{people, personal_data};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::TokenForm;
use crate::pages::learner::{day_of, long_date, Problems};
use crate::pages::session::{self, Visit};
use crate::pages::{html, ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// How many people a search shows.
const FOUND_SHOWN: i64 = 50;

/// A person found.
struct FoundPerson {
    id: String,
    name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct FindPage {
    chrome: Chrome,
    q: String,
    searched: bool,
    found: Vec<FoundPerson>,
    more: bool,
    done: bool,
}

/// The search, and what just happened.
#[derive(Debug, serde::Deserialize)]
pub struct FindQuery {
    q: Option<String>,
    done: Option<String>,
}

/// `GET /admin/people?q=...`: people whose name or email contains what was typed.
#[handler]
pub async fn find(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<FindQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let q: String = query.0.q.unwrap_or_default().chars().take(200).collect();
    let (caller, sent) = (visit.caller.clone(), q.clone());
    // Searched even when nothing was typed: core refuses anyone but an administrator first,
    // and an empty search is then only "nothing to look for".
    let searched = state
        .db
        .read_async(move |conn| people::search(conn, &caller, &sent, None, FOUND_SHOWN + 1))
        .await;
    let found = match searched {
        Ok(found) => found,
        Err(peertrack_core::Error::Invalid(_)) => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    let more = found.len() as i64 > FOUND_SHOWN;
    Ok(ok(&FindPage {
        chrome: Chrome::signed_in("People", &visit),
        searched: !q.trim().is_empty(),
        q,
        found: found
            .into_iter()
            .take(FOUND_SHOWN as usize)
            .map(|p| FoundPerson {
                name: p.display_name().to_string(),
                email: p.email.unwrap_or_default(),
                id: p.id,
            })
            .collect(),
        more,
        done: query.0.done.as_deref() == Some("erased"),
    }))
}

/// A cohort as the person's page lists it.
struct CohortLine {
    name: String,
    dates: String,
    status: Option<String>,
}

fn cohort_line(c: PersonCohort) -> CohortLine {
    CohortLine {
        dates: format!("{} to {}", long_date(c.starts_on), long_date(c.ends_on)),
        status: c.enrolment_status,
        name: c.name,
    }
}

/// A certificate as the person's page lists it.
struct CertificateLine {
    number: String,
    code: String,
    issued: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    name: String,
    email: String,
    erased: Option<String>,
    admin: bool,
    learning: Vec<CohortLine>,
    tutoring: Vec<CohortLine>,
    supervising: usize,
    certificates: Vec<CertificateLine>,
    /// The form's values (as typed, after a failure).
    form_name: String,
    form_email: String,
    name_problem: Option<String>,
    email_problem: Option<String>,
    done: bool,
}

/// The correction form.
#[derive(Debug, serde::Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

/// A correction that failed: what was typed, and what to change.
struct Failed {
    name: String,
    email: String,
    name_problem: Option<String>,
    email_problem: Option<String>,
}

async fn record(state: &AppState, visit: &Visit, id: String) -> Result<PersonRecord, PageError> {
    let caller = visit.caller.clone();
    Ok(state
        .db
        .read_async(move |conn| administration::person(conn, &caller, &id))
        .await?)
}

async fn person_page(
    state: &AppState,
    visit: &Visit,
    id: String,
    done: bool,
    failed: Option<Failed>,
) -> Result<Response, PageError> {
    let record = record(state, visit, id).await?;
    let who = record.person;
    let name = who.display_name().to_string();
    let email = who.email.clone().unwrap_or_default();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let failed = failed.unwrap_or(Failed {
        name: who.name.clone().unwrap_or_default(),
        email: email.clone(),
        name_problem: None,
        email_problem: None,
    });
    Ok(html(
        status,
        &PersonPage {
            chrome: Chrome::signed_in(name.clone(), visit),
            csrf: visit.csrf.clone(),
            id: who.id,
            erased: who.erased_at.map(day_of),
            admin: who.is_admin,
            learning: record.learning.into_iter().map(cohort_line).collect(),
            tutoring: record.tutoring.into_iter().map(cohort_line).collect(),
            supervising: record.supervising,
            certificates: record
                .certificates
                .into_iter()
                .map(|c| CertificateLine {
                    number: c.number,
                    code: c.verification_code,
                    issued: long_date(c.issued_on),
                    revoked: c.revoked_at.is_some(),
                })
                .collect(),
            name,
            email,
            form_name: failed.name,
            form_email: failed.email,
            name_problem: failed.name_problem,
            email_problem: failed.email_problem,
            done,
        },
    ))
}

/// What just happened.
#[derive(Debug, serde::Deserialize)]
pub struct PersonQuery {
    done: Option<String>,
}

/// `GET /admin/people/{id}`: the person, what they are in Peertrack, and the correction form.
#[handler]
pub async fn person(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    query: Query<PersonQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = query.0.done.as_deref() == Some("corrected");
    person_page(&state, &visit, id, done, None).await
}

/// `POST /admin/people/{id}`: corrects the person's name or email address.
#[handler]
pub async fn correct(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<CorrectionForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let name: String = form.0.name.chars().take(1000).collect();
    let email: String = form.0.email.chars().take(400).collect();
    let correction = people::Correction {
        name: Some(name.clone()),
        email: Some(email.clone()),
    };
    let (caller, now, person_id) = (visit.caller.clone(), state.now(), id.clone());
    let corrected = state
        .db
        .write_async(move |conn| people::correct(conn, &caller, &person_id, &correction, now))
        .await;
    match corrected {
        Ok(_) => Ok(see_other(&format!("/admin/people/{id}?done=corrected"))),
        Err(peertrack_core::Error::Conflict(why)) => Err(PageError::NotAllowed(super::sentence(&why))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let name_problem = problems.of("name").map(|p| {
                if name.trim().is_empty() {
                    "Please give their name, as they write it.".to_string()
                } else {
                    format!("The name {p}.")
                }
            });
            let email_problem = problems.of("email").map(|p| {
                if email.trim().is_empty() {
                    "Please give their email address.".to_string()
                } else {
                    format!("The email address {p}.")
                }
            });
            let failed = Failed {
                name,
                email,
                name_problem,
                email_problem,
            };
            person_page(&state, &visit, id, false, Some(failed)).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin_erase.html")]
struct ErasePage {
    chrome: Chrome,
    csrf: String,
    id: String,
    name: String,
    certificates: usize,
}

/// `GET /admin/people/{id}/erase`: says what erasing this person does, naming them, with the
/// button **Erase {name}**.
#[handler]
pub async fn confirm_erase(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let record = record(&state, &visit, id).await?;
    if record.person.erased_at.is_some() {
        return Err(PageError::NotAllowed(
            "This person's details were erased already; there is nothing more to erase.".into(),
        ));
    }
    let name = record.person.display_name().to_string();
    Ok(ok(&ErasePage {
        chrome: Chrome::signed_in(format!("Erase {name}?"), &visit),
        csrf: visit.csrf.clone(),
        id: record.person.id,
        name,
        certificates: record.certificates.len(),
    }))
}

/// `POST /admin/people/{id}/erase`: erases the person's details.
#[handler]
pub async fn erase(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    form: Form<TokenForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let erased = state
        .db
        .write_async(move |conn| personal_data::erase_person(conn, &caller, &id, now))
        .await;
    match erased {
        Ok(()) => Ok(see_other("/admin/people?done=erased")),
        Err(peertrack_core::Error::Invalid(faults)) => {
            Err(PageError::NotAllowed(faults.first().map_or_else(
                || "This person cannot be erased here.".to_string(),
                |f| super::sentence(&f.message),
            )))
        }
        Err(peertrack_core::Error::Conflict(why)) => Err(PageError::NotAllowed(super::sentence(&why))),
        Err(error) => Err(error.into()),
    }
}

//! `/me/cpd`: continuing development towards renewing a certificate.

use askama::Template;
use chrono::NaiveDate;
use peertrack_core::service::me;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Query};
use poem::{handler, Response};

use super::{long_date, Done, Problems};
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

#[derive(Template)]
#[template(path = "me_cpd.html")]
struct CpdPage {
    chrome: Chrome,
    csrf: String,
    logged: Vec<(String, String, String, String)>,
    form: CpdForm,
    problems: Problems,
    done: bool,
}

/// The form to log continuing development.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CpdForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    completed_on: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
}

async fn cpd_page(
    state: &AppState,
    visit: &Visit,
    form: CpdForm,
    problems: Problems,
    done: bool,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let records = state.db.read_async(move |conn| me::cpd(conn, &caller)).await?;
    let logged = records
        .into_iter()
        .rev()
        .map(|r| {
            (
                long_date(r.completed_on),
                r.title,
                r.category.replace('_', " "),
                format!("{:.2}", f64::from(r.minutes) / 60.0)
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string(),
            )
        })
        .collect();
    let status = if problems.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &CpdPage {
            chrome: Chrome::signed_in("Continuing development", visit),
            csrf: visit.csrf.clone(),
            logged,
            form,
            problems,
            done,
        },
    ))
}

/// `GET /me/cpd`: what you logged towards renewing a certificate, and a form to log more.
#[handler]
pub async fn cpd(state: Data<&AppState>, jar: &CookieJar, query: Query<Done>) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let form = CpdForm {
        completed_on: state.now().date_naive().to_string(),
        ..CpdForm::default()
    };
    cpd_page(
        &state,
        &visit,
        form,
        Problems::default(),
        query.0.done.as_deref() == Some("logged"),
    )
    .await
}

/// `POST /me/cpd`: logs a piece of continuing development.
#[handler]
pub async fn log_cpd(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<CpdForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let form = form.0;
    let mut problems = Vec::new();
    let completed_on = form.completed_on.trim().parse::<NaiveDate>().map_err(|_| {
        problems.push((
            "completed_on".to_string(),
            "Enter the date you completed it".to_string(),
        ));
    });
    let hours = form.hours.trim().replace(',', ".").parse::<f64>().map_err(|_| {
        problems.push((
            "hours".to_string(),
            "Enter the hours as a number, for example 1.5".to_string(),
        ));
    });
    let (Ok(completed_on), Ok(hours)) = (completed_on, hours) else {
        return cpd_page(&state, &visit, form, Problems(problems), false).await;
    };
    let input = me::NewCpd {
        completed_on,
        hours,
        category: form.category.clone(),
        title: form.title.clone(),
    };
    let (caller, now) = (visit.caller.clone(), state.now());
    match state
        .db
        .write_async(move |conn| me::log_cpd(conn, &caller, &input, now))
        .await
    {
        Ok(_) => Ok(see_other("/me/cpd?done=logged")),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            cpd_page(&state, &visit, form, problems, false).await
        }
    }
}

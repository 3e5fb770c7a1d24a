//! `/cohorts/{id}/enrol`: a tutor enrols one learner, or many from a pasted list or an
//! uploaded CSV file (`name,email`, a header row optional). **Preview** shows every row with
//! what would happen to it and saves nothing; **Enrol these learners** sends the same list
//! again (a hidden field), and core checks every row again before it saves them all in one
//! transaction, or none when any row needs changing (`service::cohorts::enrol_many`).

use askama::Template;
use peertrack_core::service::cohorts::{
    self, EnrolManyOutcome, EnrolPreview, NewEnrolment, RowOutcome, ENROL_MOST_BYTES, ENROL_MOST_ROWS,
    LIST_FIELD,
};
use peertrack_core::Error;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{handler, Body, FromRequest, Request, RequestBody, Response};

use super::learner::Problems;
use super::session::{self, Visit};
use super::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// One row as the page shows it.
pub struct RowView {
    line: usize,
    name: String,
    email: String,
    /// `enrol`, `left-out` or `problem`.
    kind: &'static str,
    words: String,
}

/// A checked list as the page shows it.
pub struct PreviewView {
    rows: Vec<RowView>,
    to_enrol: usize,
    left_out: usize,
    problems: usize,
    /// The lines that need changing.
    problem_lines: Vec<usize>,
    /// The list, sent again by **Enrol these learners**.
    text: String,
    /// The list was sent to be saved, and nothing was.
    nothing_saved: bool,
}

impl PreviewView {
    fn new(preview: EnrolPreview, text: String, nothing_saved: bool) -> Self {
        let rows: Vec<RowView> = preview
            .rows
            .iter()
            .map(|check| {
                let (kind, words) = match &check.outcome {
                    RowOutcome::Enrol => ("enrol", "Will be enrolled.".to_string()),
                    RowOutcome::LeftOut(why) => ("left-out", why.clone()),
                    RowOutcome::Problem(why) => ("problem", why.clone()),
                };
                RowView {
                    line: check.row.line,
                    name: check.row.name.clone(),
                    email: check.row.email.clone(),
                    kind,
                    words,
                }
            })
            .collect();
        PreviewView {
            problem_lines: rows
                .iter()
                .filter(|r| r.kind == "problem")
                .map(|r| r.line)
                .collect(),
            to_enrol: preview.to_enrol(),
            left_out: preview.left_out(),
            problems: preview.problems(),
            rows,
            text,
            nothing_saved,
        }
    }
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    csrf: String,
    cohort_id: String,
    cohort_name: String,
    most_rows: usize,
    most_kb: usize,
    name: String,
    email: String,
    name_problem: Option<String>,
    email_problem: Option<String>,
    list: String,
    list_problem: Option<String>,
    preview: Option<PreviewView>,
    done: Option<String>,
}

/// What the forms of the page send.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    csrf: String,
    /// `one`, `preview` or `enrol`.
    #[serde(default)]
    step: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    list: String,
    /// An uploaded file's text (multipart only).
    #[serde(skip)]
    file: Option<Result<String, ()>>,
}

impl EnrolPage {
    async fn for_cohort(state: &AppState, visit: &Visit, cohort_id: &str) -> Result<Self, PageError> {
        let (caller, now, id) = (visit.caller.clone(), state.now(), cohort_id.to_string());
        let cohort = state
            .db
            .read_async(move |conn| cohorts::cohort_for_enrolling(conn, &caller, &id, now))
            .await?;
        Ok(EnrolPage {
            chrome: Chrome::signed_in(format!("Enrol learners in {}", cohort.name), visit),
            csrf: visit.csrf.clone(),
            cohort_id: cohort.id,
            cohort_name: cohort.name,
            most_rows: ENROL_MOST_ROWS,
            most_kb: ENROL_MOST_BYTES / 1024,
            name: String::new(),
            email: String::new(),
            name_problem: None,
            email_problem: None,
            list: String::new(),
            list_problem: None,
            preview: None,
            done: None,
        })
    }
}

/// What the page may say after a save.
#[derive(Debug, serde::Deserialize)]
pub struct Enrolled {
    enrolled: Option<usize>,
    left_out: Option<usize>,
}

/// `GET /cohorts/{id}/enrol`: the forms.
#[handler]
pub async fn enrol_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    query: Query<Enrolled>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let mut page = EnrolPage::for_cohort(&state, &visit, &id).await?;
    page.done = query.enrolled.map(|n| {
        let learners = if n == 1 {
            "1 learner".to_string()
        } else {
            format!("{n} learners")
        };
        let mut words = format!("Done: {learners} enrolled. Each new learner gets an email to welcome them.");
        match query.left_out.unwrap_or(0) {
            0 => {}
            1 => words.push_str(" 1 row was left out, as the preview said."),
            m => words.push_str(&format!(" {m} rows were left out, as the preview said.")),
        }
        words
    });
    Ok(html(StatusCode::OK, &page))
}

/// Reads the forms, multipart (the list forms, which may carry a file) or not (one learner).
async fn read_form(request: &Request, body: Body) -> Result<EnrolForm, PageError> {
    let mut body = RequestBody::new(body);
    let multipart = request
        .content_type()
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        return Form::<EnrolForm>::from_request(request, &mut body)
            .await
            .map(|form| form.0)
            .map_err(|_| PageError::StaleForm);
    }
    let mut parts = Multipart::from_request(request, &mut body)
        .await
        .map_err(|_| PageError::StaleForm)?;
    let mut form = EnrolForm::default();
    while let Some(field) = parts.next_field().await.map_err(|_| PageError::StaleForm)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let bytes = field.bytes().await.map_err(|_| PageError::StaleForm)?;
            if !bytes.is_empty() {
                form.file = Some(String::from_utf8(bytes).map_err(|_| ()));
            }
            continue;
        }
        let text = field.text().await.map_err(|_| PageError::StaleForm)?;
        match name.as_str() {
            "csrf" => form.csrf = text,
            "step" => form.step = text,
            "name" => form.name = text,
            "email" => form.email = text,
            "list" => form.list = text,
            _ => {}
        }
    }
    Ok(form)
}

/// `POST /cohorts/{id}/enrol`: one learner, a preview of a list, or the list enrolled.
#[handler]
pub async fn enrol(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    request: &Request,
    body: Body,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let form = read_form(request, body).await?;
    visit.check(&form.csrf)?;
    let mut page = EnrolPage::for_cohort(&state, &visit, &id).await?;
    match form.step.as_str() {
        "one" => enrol_one(&state, &visit, page, form).await,
        "enrol" => {
            let text = form.list;
            let rows = match cohorts::read_learner_rows(&text) {
                Ok(rows) => rows,
                Err(error) => return list_refused(page, text, error),
            };
            let (caller, now, cohort_id) = (visit.caller.clone(), state.now(), id.clone());
            let outcome = state
                .db
                .write_async(move |conn| cohorts::enrol_many(conn, &caller, &cohort_id, &rows, now))
                .await?;
            match outcome {
                EnrolManyOutcome::Enrolled { enrolled, left_out } => Ok(see_other(&format!(
                    "/cohorts/{id}/enrol?enrolled={enrolled}&left_out={left_out}"
                ))),
                EnrolManyOutcome::NothingSaved(preview) => {
                    page.list = text.clone();
                    page.preview = Some(PreviewView::new(preview, text, true));
                    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
                }
            }
        }
        _ => {
            let text = match form.file {
                Some(Ok(text)) => text,
                Some(Err(())) => {
                    page.list = form.list;
                    page.list_problem = Some(
                        "The file is not in UTF-8, so names in it could come out wrong. In Excel, use Save As and choose \
                         “CSV UTF-8 (Comma delimited)”, then choose the file again."
                            .into(),
                    );
                    return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page));
                }
                None => form.list,
            };
            let rows = match cohorts::read_learner_rows(&text) {
                Ok(rows) => rows,
                Err(error) => return list_refused(page, text, error),
            };
            let (caller, now, cohort_id) = (visit.caller.clone(), state.now(), id.clone());
            let preview = state
                .db
                .read_async(move |conn| cohorts::preview_enrolments(conn, &caller, &cohort_id, &rows, now))
                .await?;
            page.list = text.clone();
            page.preview = Some(PreviewView::new(preview, text, false));
            Ok(html(StatusCode::OK, &page))
        }
    }
}

/// The page again with why the list as a whole was refused, beside the list.
fn list_refused(mut page: EnrolPage, text: String, error: Error) -> Result<Response, PageError> {
    let problems = Problems::from_error(error)?;
    page.list_problem = Some(
        problems
            .of(LIST_FIELD)
            .unwrap_or("The list could not be read.")
            .to_string(),
    );
    page.list = text;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// Enrols the one learner of the first form, or shows what to change beside its fields.
async fn enrol_one(
    state: &AppState,
    visit: &Visit,
    mut page: EnrolPage,
    form: EnrolForm,
) -> Result<Response, PageError> {
    let new = NewEnrolment {
        email: form.email.trim().to_string(),
        name: form.name.trim().to_string(),
        enrolled_on: None,
    };
    let (caller, now, cohort_id) = (visit.caller.clone(), state.now(), page.cohort_id.clone());
    let enrolled = state
        .db
        .write_async(move |conn| cohorts::enrol(conn, &caller, &cohort_id, &new, now))
        .await;
    match enrolled {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/cohorts/{}/enrol?enrolled=1",
                page.cohort_id
            )))
        }
        Err(Error::Conflict(_)) => {
            page.email_problem = Some("This learner is already in this cohort.".into());
        }
        Err(error) => {
            let problems = Problems::from_error(error)?;
            page.name_problem = problems.of("name").map(|why| {
                if form.name.trim().is_empty() {
                    "Please enter the learner's name.".to_string()
                } else {
                    format!("The name {why}.")
                }
            });
            page.email_problem = problems.of("email").map(|_| {
                "Please enter the learner's email address, for example sam@example.org.".to_string()
            });
        }
    }
    page.name = form.name;
    page.email = form.email;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

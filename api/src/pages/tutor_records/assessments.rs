//! `/cohorts/{id}/assessments?module=CODE`: a module's assessments for the whole cohort in one
//! grid: one group per learner, named by the learner's name, with the outcomes **Achieved** and
//! **Not yet achieved** and feedback; **Save assessments** saves every line in one transaction
//! (core's `assessments::record_module`). A line at fault saves nothing: the message is beside
//! that line, and everything typed is kept. Each line carries the version it showed, so a line
//! someone else changed meanwhile is said, not overwritten.

use std::collections::HashMap;

use askama::Template;
use peertrack_core::domain::AssessmentOutcome;
use peertrack_core::service::assessments::{self, GridEntry, ModuleGrid, FEEDBACK_MAX};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::{day_of, long_date};
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// The most lines one grid takes (a cohort has a few dozen learners).
const MOST_ROWS: usize = 2_000;

/// One learner's line.
struct GridRow {
    person_id: String,
    name: String,
    /// The version of their assessment shown (0: none).
    version: i32,
    /// What is recorded now, in words.
    recorded: String,
    /// When they left the cohort, if they did.
    left: Option<String>,
    /// Whether an outcome is recorded (then it can be changed, not taken back).
    assessed: bool,
    /// The outcome chosen: `achieved`, `not_yet_achieved` or empty.
    outcome: String,
    note: String,
    outcome_problem: Option<String>,
    note_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "tutor_assessments.html")]
struct GridPage {
    chrome: Chrome,
    csrf: String,
    cohort_id: String,
    cohort_name: String,
    /// Every module: code and title.
    modules: Vec<(String, String)>,
    module_code: String,
    module_title: String,
    done: Option<String>,
    failed: bool,
    rows: Vec<GridRow>,
}

/// A line as typed, by learner.
struct Typed {
    index: usize,
    outcome: String,
    note: String,
}

/// What was typed, and what to change, when a save failed.
struct Failed {
    typed: HashMap<String, Typed>,
    /// By line index: what to change in the outcome, and in the feedback.
    problems: HashMap<usize, (Option<String>, Option<String>)>,
}

fn outcome_words(outcome: &str) -> &'static str {
    match AssessmentOutcome::parse(outcome) {
        Some(AssessmentOutcome::Achieved) => "Achieved",
        Some(AssessmentOutcome::NotYetAchieved) => "Not yet achieved",
        None => "Not assessed yet",
    }
}

fn render(visit: &Visit, grid: ModuleGrid, done: Option<String>, failed: Option<Failed>) -> Response {
    let rows = grid
        .learners
        .into_iter()
        .map(|l| {
            let (version, recorded, outcome, note) = match &l.assessment {
                Some(a) => (
                    a.version,
                    format!(
                        "{}, recorded {}{}",
                        outcome_words(&a.outcome),
                        long_date(a.assessed_on),
                        if a.verified_by.is_some() {
                            ", confirmed by a second assessor"
                        } else {
                            ""
                        }
                    ),
                    a.outcome.clone(),
                    a.note.clone().unwrap_or_default(),
                ),
                None => (0, "Not assessed yet".to_string(), String::new(), String::new()),
            };
            let typed = failed.as_ref().and_then(|f| f.typed.get(&l.person.id));
            let (outcome, note) = match typed {
                Some(t) => (t.outcome.clone(), t.note.clone()),
                None => (outcome, note),
            };
            let (outcome_problem, note_problem) = typed
                .and_then(|t| failed.as_ref()?.problems.get(&t.index).cloned())
                .unwrap_or_default();
            GridRow {
                name: l.person.display_name().to_string(),
                person_id: l.person.id,
                version,
                recorded,
                left: l.enrolment.withdrawn_at.map(day_of),
                assessed: l.assessment.is_some(),
                outcome,
                note,
                outcome_problem,
                note_problem,
            }
        })
        .collect();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(
        status,
        &GridPage {
            chrome: Chrome::signed_in(format!("Assessments: {}", grid.module.title), visit),
            csrf: visit.csrf.clone(),
            cohort_id: grid.cohort.id,
            cohort_name: grid.cohort.name,
            modules: grid.modules.into_iter().map(|m| (m.code, m.title)).collect(),
            module_code: grid.module.code,
            module_title: grid.module.title,
            done,
            failed: failed.is_some(),
            rows,
        },
    )
}

async fn read_grid(
    state: &AppState,
    visit: &Visit,
    cohort_id: String,
    module: Option<String>,
) -> Result<ModuleGrid, PageError> {
    let caller = visit.caller.clone();
    Ok(state
        .db
        .read_async(move |conn| assessments::module_grid(conn, &caller, &cohort_id, module.as_deref()))
        .await?)
}

/// Which module, and what just happened.
#[derive(Debug, serde::Deserialize)]
pub struct GridQuery {
    module: Option<String>,
    done: Option<String>,
    count: Option<u32>,
}

/// `GET /cohorts/{id}/assessments`: the grid of one module (the first, unless `?module=`).
#[handler]
pub async fn grid_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    query: Query<GridQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let query = query.0;
    let done = match (query.done.as_deref(), query.count) {
        (Some("saved"), Some(0)) => Some("Nothing had changed, so nothing was saved.".to_string()),
        (Some("saved"), Some(1)) => {
            Some("Saved 1 assessment; the learner has been emailed their outcome.".to_string())
        }
        (Some("saved"), Some(n)) => Some(format!(
            "Saved {n} assessments; each learner has been emailed their outcome."
        )),
        _ => None,
    };
    let module = query.module.filter(|m| !m.is_empty());
    let grid = read_grid(&state, &visit, cohort_id, module).await?;
    Ok(render(&visit, grid, done, None))
}

/// `POST /cohorts/{id}/assessments`: saves every line of the grid, or none.
#[handler]
pub async fn save(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(cohort_id): Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for (name, value) in &form.0 {
        fields.entry(name.as_str()).or_insert(value.as_str());
    }
    visit.check(fields.get("csrf").copied().unwrap_or_default())?;
    let module = fields.get("module").copied().unwrap_or_default().to_string();
    let mut entries = Vec::new();
    let mut typed = HashMap::new();
    let mut problems: HashMap<usize, (Option<String>, Option<String>)> = HashMap::new();
    for index in 0..MOST_ROWS {
        let Some(person_id) = fields.get(format!("person-{index}").as_str()) else {
            break;
        };
        let field = |name: &str| {
            fields
                .get(format!("{name}-{index}").as_str())
                .copied()
                .unwrap_or_default()
        };
        let outcome_typed = field("outcome").trim().to_string();
        let note: String = field("note").chars().take(FEEDBACK_MAX + 1).collect();
        let outcome = match outcome_typed.as_str() {
            "" => None,
            other => match AssessmentOutcome::parse(other) {
                Some(outcome) => Some(outcome),
                None => {
                    problems.entry(index).or_default().0 =
                        Some("Choose Achieved or Not yet achieved.".to_string());
                    None
                }
            },
        };
        entries.push(GridEntry {
            person_id: person_id.to_string(),
            outcome,
            note: Some(note.clone()),
            expected_version: field("version").trim().parse().ok(),
        });
        typed.insert(
            person_id.to_string(),
            Typed {
                index,
                outcome: outcome_typed,
                note,
            },
        );
    }
    if problems.is_empty() {
        let (caller, now, cohort, code) = (
            visit.caller.clone(),
            state.now(),
            cohort_id.clone(),
            module.clone(),
        );
        let saved = state
            .db
            .write_async(move |conn| assessments::record_module(conn, &caller, &cohort, &code, &entries, now))
            .await;
        match saved {
            Ok(saved) => {
                return Ok(see_other(&format!(
                    "/cohorts/{cohort_id}/assessments?module={}&done=saved&count={}",
                    utf8_percent_encode(&module, NON_ALPHANUMERIC),
                    saved.recorded
                )))
            }
            Err(peertrack_core::Error::Invalid(errors)) => {
                for error in errors {
                    let Some((index, field)) = line_field(&error.field) else {
                        continue;
                    };
                    let slot = problems.entry(index).or_default();
                    match field {
                        "note" => slot.1 = Some(format!("The feedback {}.", error.message)),
                        _ => slot.0 = Some(format!("This outcome {}.", error.message)),
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    let grid = read_grid(&state, &visit, cohort_id, Some(module)).await?;
    Ok(render(&visit, grid, None, Some(Failed { typed, problems })))
}

/// `rows[3].note` -> (3, "note").
fn line_field(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("rows[")?;
    let (index, field) = rest.split_once("].")?;
    Some((index.parse().ok()?, field))
}

#[cfg(test)]
mod tests {
    use super::line_field;

    #[test]
    fn lines_at_fault_are_found_by_index() {
        assert_eq!(line_field("rows[3].note"), Some((3, "note")));
        assert_eq!(line_field("rows[12].outcome"), Some((12, "outcome")));
        assert_eq!(line_field("note"), None);
    }
}

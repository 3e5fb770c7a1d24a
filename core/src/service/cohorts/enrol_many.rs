//! Enrolling many learners at once from a list (`name,email`, a header row optional), pasted
//! or uploaded: first a preview that checks every row and saves nothing, then the enrolment
//! itself, which checks every row again (it never trusts an earlier preview) and saves all
//! the learners in one transaction, or none when any row needs changing.
//!
//! A row whose learner is already in the cohort, or that repeats an earlier row exactly, is
//! left out with a note rather than refused, so that the same class list can be imported
//! again after a few names were added to it.

use std::collections::HashMap;

use super::*;
use crate::domain::input::{is_email_address, one_line_fault};
use crate::export::csv;

/// The most rows one list may have.
pub const ENROL_MOST_ROWS: usize = 2_000;
/// The largest list, in bytes (500 KB: a request carries at most 1 MiB in all, and
/// 2,000 rows of names and addresses take about 100 KB).
pub const ENROL_MOST_BYTES: usize = 500 * 1024;

/// One row of a list as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerRow {
    /// Its line in the text (from 1).
    pub line: usize,
    /// The name, trimmed.
    pub name: String,
    /// The email address, trimmed.
    pub email: String,
}

/// What enrolling a row would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// The learner will be enrolled.
    Enrol,
    /// Nothing to do, said in plain words (already in the cohort; a repeat of another line).
    LeftOut(String),
    /// The row needs changing before anything can be saved, said in plain words.
    Problem(String),
}

/// A row with what enrolling it would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCheck {
    /// The row.
    pub row: LearnerRow,
    /// What would happen.
    pub outcome: RowOutcome,
}

/// Every row of a list, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrolPreview {
    /// The rows in the order of the list.
    pub rows: Vec<RowCheck>,
}

impl EnrolPreview {
    /// How many learners would be enrolled.
    pub fn to_enrol(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.outcome == RowOutcome::Enrol)
            .count()
    }

    /// How many rows are left out.
    pub fn left_out(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::LeftOut(_)))
            .count()
    }

    /// How many rows need changing.
    pub fn problems(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Problem(_)))
            .count()
    }
}

/// What enrolling a list did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolManyOutcome {
    /// Every row without a problem was saved: this many learners enrolled, this many left out.
    Enrolled {
        /// Learners enrolled.
        enrolled: usize,
        /// Rows left out (already in the cohort, repeated).
        left_out: usize,
    },
    /// Some row needs changing, so nothing was saved; the rows, checked.
    NothingSaved(EnrolPreview),
}

/// The field named in errors about the list as a whole.
pub const LIST_FIELD: &str = "learners";

/// Reads a list: one learner per row, name then email, or in the columns a header row names
/// (`name` and `email`, in any order and case; other columns are ignored, so a progress
/// spreadsheet from `/cohorts/{id}/progress.csv` reads too). A list that is too large, has too
/// many rows, none, or cannot be read as CSV is refused as a whole ([`Error::Invalid`] on
/// [`LIST_FIELD`]).
pub fn read_learner_rows(text: &str) -> Result<Vec<LearnerRow>> {
    let refuse = |why: String| Err(Error::invalid(LIST_FIELD, why));
    if text.len() > ENROL_MOST_BYTES {
        return refuse(format!(
            "The list is larger than {} KB. Please split it into smaller lists.",
            ENROL_MOST_BYTES / 1024
        ));
    }
    let rows = match csv::read(text) {
        Ok(rows) => rows,
        Err(why) => {
            return refuse(format!(
                "The list could not be read: {why}. Check its quotation marks."
            ))
        }
    };
    let header = rows.first().and_then(|(_, cells)| header_columns(cells));
    let (name_at, email_at, skip) = match header {
        Some((name_at, email_at)) => (name_at, email_at, 1),
        None => (0, 1, 0),
    };
    let learners: Vec<LearnerRow> = rows
        .into_iter()
        .skip(skip)
        .map(|(line, cells)| LearnerRow {
            line,
            name: cells.get(name_at).cloned().unwrap_or_default(),
            email: cells.get(email_at).cloned().unwrap_or_default(),
        })
        .collect();
    if learners.is_empty() {
        return refuse("There are no learners in the list. Put one learner on each line: their name, a comma, then their email address.".into());
    }
    if learners.len() > ENROL_MOST_ROWS {
        return refuse(format!(
            "The list has {} learners; at most {ENROL_MOST_ROWS} can be enrolled at once. Please split it.",
            learners.len()
        ));
    }
    Ok(learners)
}

/// The name and email columns, when the row is a header row.
fn header_columns(cells: &[String]) -> Option<(usize, usize)> {
    let find = |names: &[&str]| {
        cells
            .iter()
            .position(|c| names.contains(&c.trim().to_lowercase().as_str()))
    };
    let name = find(&["name", "full name", "learner", "learner name"])?;
    let email = find(&["email", "email address", "e-mail", "e-mail address"])?;
    Some((name, email))
}

/// What is wrong with a row on its own, in plain words, if anything.
fn row_problem(row: &LearnerRow) -> Option<String> {
    let (name, email) = (row.name.as_str(), row.email.as_str());
    if is_email_address(name) && !email.is_empty() && !is_email_address(email) {
        return Some(
            "The name and the email address seem to be the wrong way round: put the name first.".into(),
        );
    }
    if name.is_empty() {
        return Some("The name is missing.".into());
    }
    if name.chars().count() > NAME_MAX {
        return Some(format!("The name is longer than {NAME_MAX} characters."));
    }
    if let Some(fault) = one_line_fault(name) {
        return Some(format!("The name {fault}."));
    }
    if email.is_empty() {
        return Some("The email address is missing.".into());
    }
    if !is_email_address(email) || email.chars().count() > EMAIL_MAX {
        return Some(format!(
            "The email address “{email}” is not right: check it for typing mistakes."
        ));
    }
    None
}

/// The cohort, when the caller may enrol learners in it now (its tutors until it ends, and
/// administrators): for the page that offers enrolling.
pub fn cohort_for_enrolling(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
) -> Result<Cohort> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    may_enrol(caller, &cohort, now.date_naive())?;
    Ok(cohort)
}

/// Checks every row of a list against the cohort and saves nothing; for the cohort's tutors
/// (until it ends) and administrators. Two queries, however long the list.
pub fn preview_enrolments(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    rows: &[LearnerRow],
    now: DateTime<Utc>,
) -> Result<EnrolPreview> {
    cohort_for_enrolling(conn, caller, cohort_id, now)?;
    let emails: Vec<String> = rows
        .iter()
        .filter(|r| is_email_address(&r.email))
        .map(|r| people::normalise_email(&r.email))
        .collect();
    let known: HashMap<String, String> = people::by_emails(conn, &emails)?
        .into_iter()
        .filter_map(|p| Some((p.email?, p.id)))
        .collect();
    let person_ids: Vec<String> = known.values().cloned().collect();
    let enrolled: HashMap<String, Enrolment> =
        cohorts::enrolments_of_people_in(conn, cohort_id, &person_ids)?
            .into_iter()
            .map(|e| (e.person_id.clone(), e))
            .collect();
    // The first line of each address, with its name.
    let mut first_of: HashMap<String, (usize, &str)> = HashMap::new();
    let checked = rows
        .iter()
        .map(|row| {
            let email = people::normalise_email(&row.email);
            let outcome = if let Some(problem) = row_problem(row) {
                RowOutcome::Problem(problem)
            } else if let Some((line, name)) = first_of.get(&email) {
                if *name == row.name {
                    RowOutcome::LeftOut(format!("The same as line {line}, so enrolled once."))
                } else {
                    RowOutcome::Problem(format!(
                        "Line {line} has this email address with another name. One email address is one learner: check which is right."
                    ))
                }
            } else {
                first_of.insert(email.clone(), (row.line, row.name.as_str()));
                match known.get(&email).and_then(|id| enrolled.get(id)) {
                    Some(e) if e.withdrawn_at.is_some() => RowOutcome::LeftOut(
                        "Left this cohort earlier, so not enrolled again here.".into(),
                    ),
                    Some(_) => RowOutcome::LeftOut("Already in this cohort, so left as they are.".into()),
                    None => RowOutcome::Enrol,
                }
            };
            RowCheck {
                row: row.clone(),
                outcome,
            }
        })
        .collect();
    Ok(EnrolPreview { rows: checked })
}

/// Enrols every learner of a list in one transaction (the caller's), from today, after
/// checking every row again as [`preview_enrolments`] does. When any row needs changing,
/// nothing is saved and the checked rows come back ([`EnrolManyOutcome::NothingSaved`]).
/// Each new learner gets their welcome email, as when enrolled one at a time.
pub fn enrol_many(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    rows: &[LearnerRow],
    now: DateTime<Utc>,
) -> Result<EnrolManyOutcome> {
    let preview = preview_enrolments(conn, caller, cohort_id, rows, now)?;
    if preview.problems() > 0 {
        return Ok(EnrolManyOutcome::NothingSaved(preview));
    }
    let cohort = cohorts::get(conn, cohort_id)?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let title = version.definition.title;
    let today = now.date_naive();
    let stored_now = stored(now);
    for check in preview.rows.iter().filter(|r| r.outcome == RowOutcome::Enrol) {
        let row = &check.row;
        enrol_checked(
            conn, caller, &cohort, &title, &row.email, &row.name, today, stored_now,
        )?;
    }
    Ok(EnrolManyOutcome::Enrolled {
        enrolled: preview.to_enrol(),
        left_out: preview.left_out(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, name: &str, email: &str) -> LearnerRow {
        LearnerRow {
            line,
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn lists_with_and_without_a_header() {
        let rows = read_learner_rows("Sam Smith,sam@example.org\n王小明, wang@example.org\n").unwrap();
        assert_eq!(
            rows,
            [
                row(1, "Sam Smith", "sam@example.org"),
                row(2, "王小明", "wang@example.org")
            ]
        );
        let rows = read_learner_rows("\u{feff}Email,Name\r\nsam@example.org,Sam Smith\r\n").unwrap();
        assert_eq!(rows, [row(2, "Sam Smith", "sam@example.org")]);
        let exported = "\u{feff}Name,Email,Enrolment\r\n'=Sam,sam@example.org,Active\r\n";
        assert_eq!(
            read_learner_rows(exported).unwrap(),
            [row(2, "=Sam", "sam@example.org")]
        );
    }

    #[test]
    fn whole_lists_are_refused_in_words() {
        for text in ["", "\n\n", "name,email\n"] {
            assert!(read_learner_rows(text).is_err(), "{text:?}");
        }
        let many = "Sam,sam@example.org\n".repeat(ENROL_MOST_ROWS + 1);
        let error = read_learner_rows(&many).unwrap_err();
        assert!(error.to_string().contains("at most 2000"), "{error}");
    }

    #[test]
    fn rows_say_what_to_change() {
        assert_eq!(row_problem(&row(1, "Sam", "sam@example.org")), None);
        assert!(row_problem(&row(1, "", "sam@example.org"))
            .unwrap()
            .contains("name is missing"));
        assert!(row_problem(&row(1, "Sam", "not-an-address"))
            .unwrap()
            .contains("is not right"));
        assert!(row_problem(&row(1, "sam@example.org", "Sam"))
            .unwrap()
            .contains("wrong way round"));
        assert!(row_problem(&row(1, "Sam", ""))
            .unwrap()
            .contains("email address is missing"));
    }
}

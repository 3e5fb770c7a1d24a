//! The pages people use in a browser (`shared/web-contract.md`): server-rendered HTML over the
//! same core services as the API, so every rule and access decision exists once. Templates are
//! askama's, checked when the binary is built; pages work without JavaScript.

mod admin;
pub mod assets;
mod calendar;
mod check_in;
mod enrol;
mod exports;
mod learner;
mod session;
mod supervisor;
mod tutor;
pub mod tutor_records;
mod welcome;

use askama::Template;
use poem::error::ResponseError;
use poem::http::{header, StatusCode};
use poem::{get, post, IntoResponse, Response, Route};

pub use session::{Visit, SESSION_COOKIE};

/// What every page's frame needs: its title, the asset paths, and, once signed in, the form
/// token for **Sign out**.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's title (its `h1` says the same or more).
    pub title: String,
    /// Where the stylesheet and logo are.
    pub assets: &'static assets::AssetPaths,
    /// The signed-in person's form token; `None` before signing in.
    pub csrf: Option<String>,
}

impl Chrome {
    /// The frame of a page seen before signing in.
    pub fn public(title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            assets: assets::paths(),
            csrf: None,
        }
    }

    /// The frame of a signed-in person's page.
    pub fn signed_in(title: impl Into<String>, visit: &Visit) -> Self {
        Chrome {
            title: title.into(),
            assets: assets::paths(),
            csrf: Some(visit.csrf.clone()),
        }
    }
}

/// A page that could not be shown as asked, shown as a page of its own.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Nobody is signed in (or the session ended): back to the welcome page.
    #[error("not signed in")]
    NotSignedIn,
    /// A form without the token of this browser's session (sent from elsewhere, or after
    /// signing out).
    #[error("the form is out of date")]
    StaleForm,
    /// Nothing here, or nothing this person may know of.
    #[error("not found")]
    NotFound,
    /// Something this person may not do, in plain words.
    #[error("{0}")]
    NotAllowed(String),
    /// The database is not available.
    #[error("unavailable")]
    Unavailable,
    /// Something failed on our side.
    #[error("internal")]
    Internal,
}

impl From<peertrack_core::Error> for PageError {
    fn from(error: peertrack_core::Error) -> Self {
        use peertrack_core::Error as E;
        match error {
            E::NotFound(_) => PageError::NotFound,
            E::NotAllowed(why) => PageError::NotAllowed(why.to_string()),
            E::Unavailable(reason) => {
                tracing::error!(%reason, "database unavailable");
                PageError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "a page failed");
                PageError::Internal
            }
        }
    }
}

/// The page shown for a [`PageError`].
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    message: String,
    link: (&'static str, &'static str),
}

impl ResponseError for PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::NotSignedIn => StatusCode::SEE_OTHER,
            PageError::StaleForm | PageError::NotAllowed(_) => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn as_response(&self) -> Response {
        let (heading, message, link) = match self {
            PageError::NotSignedIn => return see_other("/"),
            PageError::StaleForm => (
                "Please try that again",
                "This form was opened in an earlier visit, or you signed out since. Go back, \
                 reload the page, and send it again."
                    .to_string(),
                ("/home", "Go to your home page"),
            ),
            PageError::NotFound => (
                "Page not found",
                "There is nothing here, or it is not yours to see. Check the address, or start \
                 from your home page."
                    .to_string(),
                ("/home", "Go to your home page"),
            ),
            PageError::NotAllowed(why) => (
                "You cannot do this here",
                why.clone(),
                ("/home", "Go to your home page"),
            ),
            PageError::Unavailable => (
                "Peertrack is not available just now",
                "We cannot reach our records at the moment. Please try again in a few minutes.".to_string(),
                ("/", "Try again"),
            ),
            PageError::Internal => (
                "Something went wrong on our side",
                "It has been logged. Please try again; if it keeps happening, let your training \
                 team know."
                    .to_string(),
                ("/home", "Go to your home page"),
            ),
        };
        let page = MessagePage {
            chrome: Chrome::public(heading),
            heading: heading.to_string(),
            message,
            link,
        };
        html(self.status(), &page)
    }
}

/// A rendered page with its status.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A file to download, named `filename`.
pub fn download(body: impl Into<poem::Body>, content_type: &str, filename: &str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .body(body)
}

/// A page with 200.
pub fn ok(page: &impl Template) -> Response {
    html(StatusCode::OK, page)
}

/// "See other": after a form, the browser asks for `to` (so reloading does not send it again).
pub fn see_other(to: &str) -> Response {
    StatusCode::SEE_OTHER
        .with_header(header::LOCATION, to)
        .into_response()
}

/// Adds every page's route to `route` (the pages share the root with the API's operations).
pub fn add_routes(route: Route) -> Route {
    admin::add_routes(route)
        .at("/", get(welcome::welcome).post(welcome::ask_for_link))
        .at(
            "/sign-in",
            get(welcome::sign_in_page).post(welcome::finish_sign_in),
        )
        .at("/sign-out", post(welcome::sign_out))
        .at("/home", get(welcome::home))
        .at("/me/progress", get(learner::progress::progress))
        .at("/me/certificates", get(learner::certificates::certificates))
        .at(
            "/me/certificates/:id/pdf",
            get(learner::certificates::certificate_pdf),
        )
        .at(
            "/me/certificates/:id/credential",
            get(learner::certificates::certificate_credential),
        )
        .at(
            "/me/sharing",
            get(learner::sharing::sharing).post(learner::sharing::change_sharing),
        )
        .at("/me/access-log", get(learner::access_log::access_log))
        .at(
            "/me/supervision",
            get(learner::supervision::supervision).post(learner::supervision::log_supervision),
        )
        .at(
            "/me/data",
            get(learner::data::data_page).post(learner::data::change_reminders),
        )
        .at("/me/data/export.json", get(learner::data::export))
        .at("/me/cpd", get(learner::cpd::cpd).post(learner::cpd::log_cpd))
        .at("/supervision", get(supervisor::queue))
        .at("/supervision/:id/verify", post(supervisor::verify))
        .at(
            "/supervision/:id/decline",
            get(supervisor::decline_page).post(supervisor::decline),
        )
        .at("/supervision/placements/:id/end", post(supervisor::end_placement))
        // Tutors' records (issue 17): assessments, moving or cancelling a session,
        // withdrawing a learner, a cohort's certificates.
        .at(
            "/cohorts/:id/assessments",
            get(tutor_records::assessments::grid_page).post(tutor_records::assessments::save),
        )
        .at(
            "/sessions/:id/change",
            get(tutor_records::session_change::change_page).post(tutor_records::session_change::change),
        )
        .at(
            "/cohorts/:id/learners/:person_id/withdraw",
            get(tutor_records::withdraw::confirm).post(tutor_records::withdraw::withdraw),
        )
        .at(
            "/cohorts/:id/certificates",
            get(tutor_records::certificates::certificates_page).post(tutor_records::certificates::issue),
        )
        // Self check-in (issue 17).
        .at("/sessions/:id/check-in", get(check_in::screen))
        .at("/check-in", get(check_in::learner_page).post(check_in::check_in))
        // Spreadsheets and calendars: CSV exports, enrolling from a list, calendar feeds.
        .at("/cohorts/:id/progress.csv", get(exports::progress_csv))
        .at("/sessions/:id/register.csv", get(exports::register_csv))
        .at("/cohorts/:id/enrol", get(enrol::enrol_page).post(enrol::enrol))
        .at(
            "/me/calendar",
            get(calendar::calendar_page).post(calendar::change_calendar),
        )
        .at("/calendar/:file", get(calendar::feed))
        // A tutor's cohorts and registers.
        .at("/cohorts", get(tutor::cohorts::cohorts))
        .at("/cohorts/:id", get(tutor::cohorts::cohort))
        .at(
            "/sessions/:id/register",
            get(tutor::attendance::register).post(tutor::attendance::save),
        )
        .at("/assets/:name", get(assets::serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_pages() {
        let response = poem::Error::from(PageError::StaleForm).into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let types: Vec<_> = response.headers().get_all(header::CONTENT_TYPE).iter().collect();
        assert_eq!(types, ["text/html; charset=utf-8"]);
    }
}

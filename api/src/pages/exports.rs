//! The spreadsheets a tutor downloads: `/cohorts/{id}/progress.csv` and
//! `/sessions/{id}/register.csv`. Core builds them (`service::exports`) and decides who may
//! have them (the cohort's tutors and administrators); here they become downloads.

use peertrack_core::service::exports::{self, CsvFile};
use poem::http::header;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Path};
use poem::{handler, Response};

use super::session;
use super::{download, PageError};
use crate::server::AppState;

/// A CSV file as a download that no cache keeps (it names learners).
fn csv_download(file: CsvFile) -> Response {
    let mut response = download(file.bytes, "text/csv; charset=utf-8", &file.file_name);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// `GET /cohorts/{id}/progress.csv`: every learner of the cohort with their progress.
#[handler]
pub async fn progress_csv(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let file = state
        .db
        .read_async(move |conn| exports::cohort_progress(conn, &caller, &id, now))
        .await?;
    Ok(csv_download(file))
}

/// `GET /sessions/{id}/register.csv`: the session's register.
#[handler]
pub async fn register_csv(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let file = state
        .db
        .read_async(move |conn| exports::register(conn, &caller, &id))
        .await?;
    Ok(csv_download(file))
}

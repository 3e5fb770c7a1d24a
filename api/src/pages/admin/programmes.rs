//! `/admin/programmes`: every programme with its versions, and publishing a new version from a
//! programme file, TOML as `peertrack admin publish-programme` reads it, or the same as JSON.
//! A file with a fault publishes nothing; each fault is named beside the upload field.

use askama::Template;
use peertrack_core::service::{administration, programmes};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Multipart, Query};
use poem::{handler, Response};

use crate::pages::learner::{day_of, Done};
use crate::pages::session::{self, Visit};
use crate::pages::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// A version as listed.
struct VersionRow {
    version: u32,
    published: String,
    modules: usize,
}

/// A programme as listed.
struct ProgrammeRow {
    code: String,
    title: String,
    versions: Vec<VersionRow>,
}

#[derive(Template)]
#[template(path = "admin_programmes.html")]
struct ProgrammesPage {
    chrome: Chrome,
    csrf: String,
    programmes: Vec<ProgrammeRow>,
    problems: Vec<String>,
    done: Option<String>,
}

async fn programmes_page(
    state: &AppState,
    visit: &Visit,
    done: Option<String>,
    problems: Vec<String>,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| administration::programmes(conn, &caller))
        .await?;
    let programmes = found
        .into_iter()
        .filter_map(|versions| {
            let newest = versions.first()?.definition.clone();
            Some(ProgrammeRow {
                code: newest.code,
                title: newest.title,
                versions: versions
                    .into_iter()
                    .map(|v| VersionRow {
                        version: v.definition.version,
                        published: day_of(v.published_at),
                        modules: v.definition.modules.len(),
                    })
                    .collect(),
            })
        })
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &ProgrammesPage {
            chrome: Chrome::signed_in("Programmes", visit),
            csrf: visit.csrf.clone(),
            programmes,
            problems,
            done,
        },
    ))
}

/// `GET /admin/programmes`: every programme and its versions, and the upload form.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = query.0.done.as_deref().and_then(|done| {
        let (code, version) = done.split_once(':')?;
        let plain = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        (plain(code) && version.parse::<u32>().is_ok()).then(|| {
            format!(
                "{code} version {version} is published. New cohorts follow it; running cohorts keep theirs."
            )
        })
    });
    programmes_page(&state, &visit, done, Vec::new()).await
}

/// The largest programme file read (the seeded ones are a few kilobytes).
const LARGEST_FILE: usize = 512 * 1024;

/// `POST /admin/programmes`: publishes the uploaded programme file.
#[handler]
pub async fn publish(
    state: Data<&AppState>,
    jar: &CookieJar,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().map(str::to_string);
        match name.as_deref() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                file = Some((name, field.bytes().await.unwrap_or_default()));
            }
            _ => {}
        }
    }
    visit.check(&csrf)?;
    let problems = match file {
        None => vec!["Choose the programme file to publish.".to_string()],
        Some((_, bytes)) if bytes.is_empty() => {
            vec!["The file is empty. Choose the programme file to publish.".to_string()]
        }
        Some((_, bytes)) if bytes.len() > LARGEST_FILE => {
            vec![
                "The file is larger than a programme file can be (512 KB). Check that it is the right file."
                    .to_string(),
            ]
        }
        Some((name, bytes)) => match String::from_utf8(bytes) {
            Err(_) => vec!["The file is not text. Choose the programme's .toml or .json file.".to_string()],
            Ok(text) => {
                let json = name.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
                let (caller, now) = (visit.caller.clone(), state.now());
                let published = state
                    .db
                    .write_async(move |conn| programmes::publish_file(conn, &caller, &text, json, now))
                    .await;
                match published {
                    Ok((version, _)) => {
                        let done = format!("{}:{}", version.definition.code, version.definition.version);
                        let query: String =
                            percent_encoding::utf8_percent_encode(&done, percent_encoding::NON_ALPHANUMERIC)
                                .to_string();
                        return Ok(see_other(&format!("/admin/programmes?done={query}")));
                    }
                    Err(peertrack_core::Error::Invalid(faults)) => faults
                        .into_iter()
                        .map(|f| {
                            if f.field == "file" || f.field.is_empty() {
                                format!("The file {}.", f.message)
                            } else {
                                format!("In the file, {} {}.", f.field, f.message)
                            }
                        })
                        .collect(),
                    Err(peertrack_core::Error::Conflict(why)) => {
                        vec![format!("It could not be published: {why}.")]
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        },
    };
    programmes_page(&state, &visit, None, problems).await
}

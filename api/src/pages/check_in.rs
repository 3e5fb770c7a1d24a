//! Self check-in: `GET /sessions/{id}/check-in`, the tutor's screen with a QR code that
//! changes every 30 seconds, and `GET`/`POST /check-in`, where a learner who scanned it checks
//! themselves in. Every rule is core's (`service::check_in`).
//!
//! The screen refreshes itself without script by a `Refresh` header timed to the next code
//! (a `<meta http-equiv="refresh">` would do the same, but a page that reloads by itself must
//! let people stop it, WCAG 2.2.1: the screen has a link that does, and keeps the header off).

use askama::Template;
use peertrack_core::domain::check_in::grouped;
use peertrack_core::domain::local_time::{self, clock_time};
use peertrack_core::domain::AttendanceStatus;
use peertrack_core::service::check_in::{self as service, Attempt, CheckedIn, Outcome, Refusal, ScreenState};
use poem::http::{header, StatusCode};
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Request, Response};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::session::{self, Visit};
use super::{html, see_other, Chrome, PageError};
use crate::server::AppState;

/// "present", "late", ... as a sentence says it.
fn mark_words(status: AttendanceStatus) -> &'static str {
    match status {
        AttendanceStatus::Present => "present",
        AttendanceStatus::Late => "late",
        AttendanceStatus::Absent => "absent",
        AttendanceStatus::Excused => "excused",
    }
}

/// A learner on the screen's list of who checked in.
pub struct Arrival {
    name: String,
    time: String,
    mark: &'static str,
    tutor_marked: bool,
}

impl From<&CheckedIn> for Arrival {
    fn from(c: &CheckedIn) -> Self {
        Arrival {
            name: c.name.clone(),
            time: clock_time(c.checked_in_at),
            mark: mark_words(c.status),
            tutor_marked: c.tutor_marked,
        }
    }
}

#[derive(Template)]
#[template(path = "check_in_screen.html")]
struct ScreenPage {
    chrome: Chrome,
    cohort_id: String,
    cohort_name: String,
    title: String,
    when: String,
    /// The QR code as SVG markup, when check-in is open.
    qr_svg: Option<String>,
    /// The address the QR code carries.
    url: String,
    /// The code in groups of four, for typing.
    code_text: String,
    /// Where a learner who cannot scan types the code.
    type_at: String,
    /// Not open yet: when it opens.
    opens: Option<String>,
    ended: bool,
    cancelled: bool,
    refreshing: bool,
    session_id: String,
    arrivals: Vec<Arrival>,
    on_register: usize,
}

/// The screen's query: `?still=1` stops it refreshing itself.
#[derive(Debug, serde::Deserialize)]
pub struct ScreenQuery {
    still: Option<String>,
}

/// The QR code of `text` as inline SVG markup (no `<?xml?>` line), labelled for screen readers.
fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|error| {
        tracing::error!(%error, "a check-in QR code could not be made");
        PageError::Internal
    })?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code for checking in to this session\" ",
        1,
    ))
}

/// `GET /sessions/{id}/check-in`: the check-in screen, for the cohort's tutors and
/// administrators.
#[handler]
pub async fn screen(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
    query: Query<ScreenQuery>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let now = state.now();
    let state: &AppState = &state;
    let read = |caller: peertrack_core::access::Caller, id: String| async move {
        state
            .db
            .read_async(move |conn| service::screen(conn, &caller, &id, now))
            .await
    };
    let mut screen = read(visit.caller.clone(), id.clone()).await?;
    if screen.state == ScreenState::Unprepared {
        let (caller, session_id) = (visit.caller.clone(), id.clone());
        state
            .db
            .write_async(move |conn| service::prepare(conn, &caller, &session_id, now))
            .await?;
        screen = read(visit.caller.clone(), id.clone()).await?;
    }
    let public = state.config.public_url.trim_end_matches('/').to_string();
    let refreshing = query.0.still.is_none();
    let (mut qr, mut url, mut code_text, mut opens, mut refresh_in) =
        (None, String::new(), String::new(), None, None);
    match &screen.state {
        ScreenState::Open { code, next_code_at } => {
            url = format!("{public}/check-in?session={}&code={code}", screen.session.id);
            qr = Some(qr_svg(&url)?);
            code_text = grouped(code);
            // One second after the next window starts, so that a clock a little behind still
            // shows the new code.
            refresh_in = Some((*next_code_at - now).num_seconds().max(0) + 1);
        }
        ScreenState::NotYet(at) => {
            opens = Some(clock_time(*at));
            refresh_in = Some((*at - now).num_seconds().clamp(1, 30));
        }
        ScreenState::Ended | ScreenState::Cancelled | ScreenState::Unprepared => {}
    }
    let page = ScreenPage {
        chrome: Chrome::signed_in("Self check-in", &visit),
        cohort_id: screen.session.cohort_id.clone(),
        cohort_name: screen.cohort_name.clone(),
        title: screen.session.title.clone(),
        when: local_time::session_span(screen.session.starts_at, screen.session.ends_at),
        qr_svg: qr,
        url,
        code_text,
        type_at: format!("{public}/check-in"),
        opens,
        ended: screen.state == ScreenState::Ended,
        cancelled: screen.state == ScreenState::Cancelled,
        refreshing,
        session_id: screen.session.id.clone(),
        arrivals: screen.checked_in.iter().map(Arrival::from).collect(),
        on_register: screen.on_register,
    };
    let mut response = html(StatusCode::OK, &page);
    if let (true, Some(seconds)) = (refreshing, refresh_in) {
        if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert("refresh", value);
        }
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "check_in.html")]
struct LearnerPage {
    chrome: Chrome,
    csrf: String,
    /// The session's title and cohort, when known.
    place: Option<String>,
    session_id: String,
    code: String,
    /// Checked in: "present at 10:04".
    done: Option<String>,
    /// A tutor had marked them already.
    tutor_marked: bool,
    refusal: Option<&'static str>,
    /// Show the **Check in** button for this code.
    confirm: bool,
}

impl LearnerPage {
    /// Whether to offer the field to type the code: nothing done, and a (new) code would help.
    fn ask_code(&self) -> bool {
        self.done.is_none()
            && !self.confirm
            && self.refusal.is_none_or(|m| m == Refusal::CodeChanged.message())
    }
}

impl LearnerPage {
    fn new(visit: &Visit) -> Self {
        LearnerPage {
            chrome: Chrome::signed_in("Check in", visit),
            csrf: visit.csrf.clone(),
            place: None,
            session_id: String::new(),
            code: String::new(),
            done: None,
            tutor_marked: false,
            refusal: None,
            confirm: false,
        }
    }

    fn with_attempt(mut self, attempt: Attempt) -> Self {
        self.place = Some(format!("{} ({})", attempt.session.title, attempt.cohort_name));
        self.session_id = attempt.session.id;
        match attempt.outcome {
            Outcome::Refused(refusal) => self.refusal = Some(refusal.message()),
            Outcome::Ready => self.confirm = true,
            Outcome::CheckedIn(checked_in) if checked_in.tutor_marked => {
                self.done = Some(mark_words(checked_in.status).to_string());
                self.tutor_marked = true;
            }
            Outcome::CheckedIn(checked_in) => {
                self.done = Some(format!(
                    "{} at {}",
                    mark_words(checked_in.status),
                    clock_time(checked_in.checked_in_at)
                ));
            }
        }
        self
    }

    fn status(&self) -> StatusCode {
        match self.refusal {
            Some(m) if m == Refusal::NotOnList.message() => StatusCode::FORBIDDEN,
            Some(m) if m == Refusal::Closed.message() => StatusCode::CONFLICT,
            Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
            None => StatusCode::OK,
        }
    }
}

/// The check-in address's query.
#[derive(Debug, serde::Deserialize)]
pub struct CheckInQuery {
    session: Option<String>,
    code: Option<String>,
}

/// Keeps at most `n` characters of what was sent.
fn clipped(text: Option<String>, n: usize) -> String {
    text.unwrap_or_default().trim().chars().take(n).collect()
}

/// `GET /check-in?session=&code=`: what the QR code opens. Not signed in: sign in, then come
/// back here. Signed in: a **Check in** button for this code (opening it changes nothing), or
/// the check-in already made, or why it cannot be made.
#[handler]
pub async fn learner_page(
    state: Data<&AppState>,
    request: &Request,
    jar: &CookieJar,
    query: Query<CheckInQuery>,
) -> Result<Response, PageError> {
    let Some(visit) = session::visit(&state, jar).await else {
        let back = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/check-in");
        session::remember_return(&state, jar, back);
        return Ok(see_other("/"));
    };
    let session_id = clipped(query.0.session, 64);
    let code = clipped(query.0.code, 40);
    let mut page = LearnerPage::new(&visit);
    page.code = code.clone();
    if !session_id.is_empty() {
        let (caller, now, id, sent) = (
            visit.caller.clone(),
            state.now(),
            session_id.clone(),
            code.clone(),
        );
        let attempt = state
            .db
            .read_async(move |conn| service::preview(conn, &caller, &id, &sent, now))
            .await?;
        page = page.with_attempt(attempt);
        if code.is_empty() && page.refusal == Some(Refusal::CodeChanged.message()) {
            // Opened without a code: ask for it rather than refuse.
            page.refusal = None;
        }
    }
    Ok(html(page.status(), &page))
}

/// The **Check in** form.
#[derive(Debug, serde::Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
}

/// `POST /check-in`: checks the signed-in learner in with the code they scanned (or typed).
#[handler]
pub async fn check_in(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<CheckInForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let session_id: String = form.0.session.trim().chars().take(64).collect();
    let code: String = form.0.code.trim().chars().take(40).collect();
    let (caller, now, sent) = (visit.caller.clone(), state.now(), code.clone());
    let attempt = state
        .db
        .write_async(move |conn| {
            let session_id = if session_id.is_empty() {
                match service::session_for_code(conn, &caller, &sent, now)? {
                    Ok(id) => id,
                    Err(refusal) => return Ok(Err(refusal)),
                }
            } else {
                session_id
            };
            Ok(Ok(service::check_in(conn, &caller, &session_id, &sent, now)?))
        })
        .await?;
    match attempt {
        Ok(attempt) if matches!(attempt.outcome, Outcome::CheckedIn(_)) => {
            Ok(see_other(&format!("/check-in?session={}", attempt.session.id)))
        }
        Ok(attempt) => {
            let mut page = LearnerPage::new(&visit).with_attempt(attempt);
            page.code = code;
            Ok(html(page.status(), &page))
        }
        Err(refusal) => {
            let mut page = LearnerPage::new(&visit);
            page.refusal = Some(refusal.message());
            page.code = code;
            Ok(html(page.status(), &page))
        }
    }
}

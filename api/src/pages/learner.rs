//! A peer worker's own pages under `/me/`: progress, certificates, sharing, who looked them
//! up, supervision, continuing development, and their data.

use askama::Template;
use chrono::NaiveDate;
use peertrack_core::domain::{CertificateStatus, RequirementKind, SupervisionFormat};
use peertrack_core::service::certificates::{self as certificate_service, CertificateDetails, RenewalCheck};
use peertrack_core::service::{consents, me, organisations, personal_data, placements};
use peertrack_core::Error;
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path, Query};
use poem::{handler, Response};

use super::session::{self, Visit};
use super::{download, html, ok, see_other, Chrome, PageError};
use crate::server::AppState;

/// Field errors from core, by field, for showing beside each field.
#[derive(Debug, Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    fn from_error(error: Error) -> Result<Self, PageError> {
        match error {
            Error::Invalid(errors) => Ok(Problems(
                errors.into_iter().map(|e| (e.field, e.message)).collect(),
            )),
            other => Err(other.into()),
        }
    }

    /// The message for a field, if it is at fault.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// Whether anything is at fault.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// "3 March 2027".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn status_words(status: CertificateStatus) -> (&'static str, &'static str) {
    match status {
        CertificateStatus::Valid => ("Valid", "good"),
        CertificateStatus::Expired => ("Expired", "todo"),
        CertificateStatus::Revoked => ("Withdrawn", "bad"),
    }
}

// ---------------------------------------------------------------------------------------------
// Progress

/// One step of the way to a certificate.
pub struct Step {
    title: String,
    met: bool,
    words: String,
}

/// A cohort and the story of where the learner stands in it.
pub struct CohortStory {
    programme: String,
    cohort: String,
    enrolled_on: String,
    steps: Vec<Step>,
    outcome: String,
    certified: bool,
}

#[derive(Template)]
#[template(path = "me_progress.html")]
struct ProgressPage {
    chrome: Chrome,
    stories: Vec<CohortStory>,
}

fn step_title(kind: &RequirementKind) -> String {
    match kind {
        RequirementKind::Enrolment => "Join a cohort".into(),
        RequirementKind::Attendance => "Come to the sessions".into(),
        RequirementKind::CoreModules => "Achieve the core modules".into(),
        RequirementKind::OptionalModules => "Achieve optional modules".into(),
        RequirementKind::SupervisionSessions => "Supervision during your placement".into(),
        RequirementKind::SupervisionHours | RequirementKind::SupervisionHoursInFormat(_) => {
            "Hours of supervision".into()
        }
        RequirementKind::PracticeHours => "Hours of practice".into(),
        RequirementKind::CpdHours | RequirementKind::CpdHoursInCategory(_) => "Continuing development".into(),
    }
}

/// `GET /me/progress`: for each programme, each requirement met or not, in plain words.
#[handler]
pub async fn progress(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now, public_url) = (visit.caller.clone(), state.now(), state.config.public_url.clone());
    let (found, held) = state
        .db
        .read_async(move |conn| {
            Ok((
                me::progress(conn, &caller, now)?,
                certificate_service::mine(conn, &caller, &public_url, now)?,
            ))
        })
        .await?;
    let stories = found
        .into_iter()
        .map(|(cohort, version, learner)| {
            let steps = learner
                .eligibility
                .requirements
                .iter()
                .map(|r| Step {
                    title: step_title(&r.kind),
                    met: r.met,
                    words: if r.kind == RequirementKind::Attendance && learner.attendance.counted > 0 {
                        attendance_words(&learner.attendance, r.required, r.met)
                    } else {
                        r.explanation.clone()
                    },
                })
                .collect();
            let certificate = held.iter().find(|c| {
                c.programme_code == version.definition.code && c.status == CertificateStatus::Valid
            });
            let (outcome, certified) = match certificate {
                Some(c) => (
                    format!(
                        "You hold certificate {}, issued on {}. Well done.",
                        c.certificate.number,
                        long_date(c.certificate.issued_on)
                    ),
                    true,
                ),
                None if learner.eligibility.eligible => (
                    "You meet every requirement. Your tutor can now issue your certificate.".into(),
                    true,
                ),
                None => (
                    "Once every step above is done, your tutor can issue your certificate.".into(),
                    false,
                ),
            };
            CohortStory {
                programme: version.definition.title.clone(),
                cohort: cohort.name,
                enrolled_on: long_date(learner.enrolment.enrolled_on),
                steps,
                outcome,
                certified,
            }
        })
        .collect();
    Ok(ok(&ProgressPage {
        chrome: Chrome::signed_in("Your progress", &visit),
        stories,
    }))
}

/// "You have been to 9 of the 11 sessions held since you joined: 81%; you need 80%."
fn attendance_words(rate: &peertrack_core::domain::AttendanceRate, required: f64, met: bool) -> String {
    let percent = rate.permille_floor().unwrap_or(1000) / 10;
    let mut words = format!(
        "You have been to {} of the {} session{} held since you joined: {percent}%; you need {required}%.",
        rate.attended,
        rate.counted,
        if rate.counted == 1 { "" } else { "s" },
    );
    if !met {
        let short = rate.sessions_short_of(required as u8);
        if short == u32::MAX {
            words.push_str(
                " That can no longer be reached by coming to more sessions; please talk to your tutor.",
            );
        } else {
            words.push_str(&format!(
                " Coming to the next {short} session{} would get you there.",
                if short == 1 { "" } else { "s" }
            ));
        }
    }
    if rate.excused > 0 {
        words.push_str(&format!(
            " {} excused absence{} do not count against you.",
            rate.excused,
            if rate.excused == 1 { "" } else { "s" }
        ));
    }
    words
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// A certificate as its holder sees it.
pub struct HeldCertificate {
    id: String,
    number: String,
    programme: String,
    awarding_body: String,
    status: (&'static str, &'static str),
    issued_on: String,
    expires_on: Option<String>,
    verification_url: String,
    linkedin: String,
    revoked_reason: Option<String>,
    renewal: Option<Renewal>,
}

/// Where a certificate's renewal stands.
pub struct Renewal {
    renewable: bool,
    counts_from: String,
    lines: Vec<(bool, String)>,
}

#[derive(Template)]
#[template(path = "me_certificates.html")]
struct CertificatesPage {
    chrome: Chrome,
    certificates: Vec<HeldCertificate>,
}

/// LinkedIn's "add to profile" address for a certificate, built from its fields alone (no
/// request goes to LinkedIn until the holder follows the link).
fn linkedin_link(details: &CertificateDetails) -> String {
    use chrono::Datelike;
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let certificate = &details.certificate;
    let mut link = format!(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name={}&organizationName={}&issueYear={}&issueMonth={}&certUrl={}&certId={}",
        encode(&details.programme_title),
        encode(&details.awarding_body),
        certificate.issued_on.year(),
        certificate.issued_on.month(),
        encode(&details.verification_url),
        encode(&certificate.number),
    );
    if let Some(expires) = certificate.expires_on {
        link.push_str(&format!(
            "&expirationYear={}&expirationMonth={}",
            expires.year(),
            expires.month()
        ));
    }
    link
}

fn held(details: CertificateDetails, renewal: Option<RenewalCheck>) -> HeldCertificate {
    HeldCertificate {
        linkedin: linkedin_link(&details),
        id: details.certificate.id.clone(),
        number: details.certificate.number.clone(),
        programme: details.programme_title.clone(),
        awarding_body: details.awarding_body.clone(),
        status: status_words(details.status),
        issued_on: long_date(details.certificate.issued_on),
        expires_on: details.certificate.expires_on.map(long_date),
        verification_url: details.verification_url.clone(),
        revoked_reason: details.certificate.revoked_reason.clone(),
        renewal: renewal.map(|check| Renewal {
            renewable: check.renewable,
            counts_from: long_date(check.counts_from),
            lines: check
                .requirements
                .into_iter()
                .map(|r| (r.met, r.explanation))
                .collect(),
        }),
    }
}

/// `GET /me/certificates`: each certificate with its status, PDF, verification link, signed
/// credential, and a LinkedIn link.
#[handler]
pub async fn certificates(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now, public_url) = (visit.caller.clone(), state.now(), state.config.public_url.clone());
    let found = state
        .db
        .read_async(move |conn| certificate_service::mine_with_renewal(conn, &caller, &public_url, now))
        .await?;
    Ok(ok(&CertificatesPage {
        chrome: Chrome::signed_in("Your certificates", &visit),
        certificates: found.into_iter().map(|(d, r)| held(d, r)).collect(),
    }))
}

/// `GET /me/certificates/{id}/pdf`: the certificate to print or keep.
#[handler]
pub async fn certificate_pdf(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let public_url = state.config.public_url.clone();
    let caller = visit.caller.clone();
    let document = state
        .db
        .read_async(move |conn| certificate_service::document_for(conn, &caller, &id, &public_url))
        .await?;
    let number = document.number.clone();
    let bytes = tokio::task::spawn_blocking(move || peertrack_core::documents::certificate_pdf(&document))
        .await
        .map_err(|_| PageError::Internal)?
        .map_err(|error| {
            tracing::error!(%error, "a certificate PDF could not be made");
            PageError::Internal
        })?;
    Ok(download(bytes, "application/pdf", &format!("{number}.pdf")))
}

/// `GET /me/certificates/{id}/credential`: the signed Open Badges credential, to download.
#[handler]
pub async fn certificate_credential(
    state: Data<&AppState>,
    jar: &CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let (caller, now, public_url) = (visit.caller.clone(), state.now(), state.config.public_url.clone());
    let keys = state.keys.clone();
    let (jws, number) = state
        .db
        .write_async(move |conn| {
            let jws =
                certificate_service::signed_credential_for(conn, &caller, &keys, &id, &public_url, now)?;
            let number = certificate_service::get_as(conn, &caller, &id, &public_url, now)?
                .certificate
                .number;
            Ok((jws, number))
        })
        .await?;
    Ok(download(jws, "application/jwt", &format!("{number}.jwt")))
}

// ---------------------------------------------------------------------------------------------
// Sharing

/// An organisation and whether the person shares with it.
pub struct Organisation {
    id: String,
    name: String,
    since: Option<String>,
}

#[derive(Template)]
#[template(path = "me_sharing.html")]
struct SharingPage {
    chrome: Chrome,
    csrf: String,
    organisations: Vec<Organisation>,
    done: Option<String>,
}

/// What a sharing page may say happened.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /me/sharing`: each organisation, whether you share with it, and a button to change it.
#[handler]
pub async fn sharing(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let (all, mine) = state
        .db
        .read_async(move |conn| {
            Ok((
                organisations::list(conn, &caller, None, 500)?,
                consents::mine(conn, &caller)?,
            ))
        })
        .await?;
    let organisations = all
        .into_iter()
        .map(|o| Organisation {
            since: mine
                .iter()
                .find(|(c, _)| c.organisation_id == o.id && c.withdrawn_at.is_none())
                .map(|(c, _)| long_date(c.granted_at.date())),
            id: o.id,
            name: o.name,
        })
        .collect();
    let done = match query.0.done.as_deref() {
        Some("shared") => Some("Done: you now share with that organisation.".to_string()),
        Some("stopped") => Some("Done: that organisation can no longer see you.".to_string()),
        _ => None,
    };
    Ok(ok(&SharingPage {
        chrome: Chrome::signed_in("Sharing", &visit),
        csrf: visit.csrf.clone(),
        organisations,
        done,
    }))
}

/// The Share / Stop sharing form.
#[derive(Debug, serde::Deserialize)]
pub struct SharingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    share: String,
}

/// `POST /me/sharing`: **Share** or **Stop sharing** with one organisation.
#[handler]
pub async fn change_sharing(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<SharingForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now) = (visit.caller.clone(), state.now());
    let (organisation_id, share) = (form.0.organisation_id, form.0.share == "yes");
    state
        .db
        .write_async(move |conn| {
            if share {
                consents::share(conn, &caller, &organisation_id, now).map(|_| ())
            } else {
                consents::stop_sharing(conn, &caller, &organisation_id, now).map(|_| ())
            }
        })
        .await?;
    Ok(see_other(if share {
        "/me/sharing?done=shared"
    } else {
        "/me/sharing?done=stopped"
    }))
}

// ---------------------------------------------------------------------------------------------
// Who looked me up

#[derive(Template)]
#[template(path = "me_access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    entries: Vec<(String, String)>,
}

/// `GET /me/access-log`: every partner look-up, newest first.
#[handler]
pub async fn access_log(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let found = state
        .db
        .write_async(move |conn| personal_data::my_access_log(conn, &caller, None, 200))
        .await?;
    let entries = found
        .into_iter()
        .map(|e| {
            let how = match e.endpoint.as_str() {
                "register.person" => "looked you up in the register",
                _ => "found you in a search of qualified peer supporters",
            };
            let who = match &e.api_key_name {
                Some(system) => format!("{} (through {system})", e.organisation_name),
                None => e.organisation_name.clone(),
            };
            (
                format!(
                    "{} at {} UTC",
                    long_date(e.accessed_at.date()),
                    e.accessed_at.format("%H:%M")
                ),
                format!("{who} {how}."),
            )
        })
        .collect();
    Ok(ok(&AccessLogPage {
        chrome: Chrome::signed_in("Who looked you up", &visit),
        entries,
    }))
}

// ---------------------------------------------------------------------------------------------
// Supervision

/// A supervision session and what became of it.
pub struct LoggedSession {
    occurred_on: String,
    minutes: i32,
    format: &'static str,
    status: (&'static str, &'static str),
}

/// A placement with its supervision.
pub struct PlacementView {
    id: String,
    host: String,
    supervisor: String,
    dates: String,
    open: bool,
    sessions: Vec<LoggedSession>,
}

#[derive(Template)]
#[template(path = "me_supervision.html")]
struct SupervisionPage {
    chrome: Chrome,
    csrf: String,
    placements: Vec<PlacementView>,
    form: SupervisionForm,
    problems: Problems,
    done: bool,
}

fn format_words(format: &str) -> &'static str {
    match format {
        "group" => "Group",
        "co_reflection" => "Co-reflection",
        "observation" => "Observed practice",
        _ => "One to one",
    }
}

async fn supervision_page(
    state: &AppState,
    visit: &Visit,
    form: SupervisionForm,
    problems: Problems,
    done: bool,
) -> Result<Response, PageError> {
    let caller = visit.caller.clone();
    let found = state
        .db
        .read_async(move |conn| me::placements(conn, &caller))
        .await?;
    let today = state.now().date_naive();
    let placements = found
        .into_iter()
        .map(|p| PlacementView {
            open: p.placement.starts_on <= today && p.placement.ends_on.is_none_or(|end| end >= today),
            dates: match p.placement.ends_on {
                Some(end) => format!("{} to {}", long_date(p.placement.starts_on), long_date(end)),
                None => format!("from {}", long_date(p.placement.starts_on)),
            },
            id: p.placement.id,
            host: p.host,
            supervisor: p.supervisor.clone(),
            sessions: p
                .supervision
                .into_iter()
                .rev()
                .map(|s| LoggedSession {
                    occurred_on: long_date(s.occurred_on),
                    minutes: s.duration_minutes,
                    format: format_words(&s.format),
                    status: if s.verified_by.is_some() {
                        ("Confirmed", "good")
                    } else {
                        ("Waiting for your supervisor", "todo")
                    },
                })
                .collect(),
        })
        .collect();
    let status = if problems.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &SupervisionPage {
            chrome: Chrome::signed_in("Your supervision", visit),
            csrf: visit.csrf.clone(),
            placements,
            form,
            problems,
            done,
        },
    ))
}

/// `GET /me/supervision`: your supervision sessions and their status; a form to log one.
#[handler]
pub async fn supervision(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let done = query.0.done.as_deref() == Some("logged");
    let form = SupervisionForm {
        occurred_on: state.now().date_naive().to_string(),
        duration_minutes: "60".into(),
        format: "individual".into(),
        ..SupervisionForm::default()
    };
    supervision_page(&state, &visit, form, Problems::default(), done).await
}

/// The form to log supervision.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SupervisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    placement_id: String,
    #[serde(default)]
    occurred_on: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    notes: String,
}

/// `POST /me/supervision`: logs a session, which waits for the supervisor to confirm it.
#[handler]
pub async fn log_supervision(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<SupervisionForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let form = form.0;
    let mut problems = Vec::new();
    let occurred_on = form.occurred_on.trim().parse::<NaiveDate>().map_err(|_| {
        problems.push((
            "occurred_on".to_string(),
            "Enter the date the session took place".to_string(),
        ));
    });
    let minutes = form.duration_minutes.trim().parse::<i32>().map_err(|_| {
        problems.push((
            "duration_minutes".to_string(),
            "Enter how long it lasted, in minutes, for example 60".to_string(),
        ));
    });
    let format = SupervisionFormat::parse(&form.format).ok_or_else(|| {
        problems.push((
            "format".to_string(),
            "Choose how the session was held".to_string(),
        ));
    });
    let (Ok(occurred_on), Ok(minutes), Ok(format)) = (occurred_on, minutes, format) else {
        return supervision_page(&state, &visit, form, Problems(problems), false).await;
    };
    let input = placements::NewSupervision {
        occurred_on,
        duration_minutes: minutes,
        format,
        notes: Some(form.notes.clone()),
    };
    let (caller, now, placement_id) = (visit.caller.clone(), state.now(), form.placement_id.clone());
    let logged = state
        .db
        .write_async(move |conn| placements::log(conn, &caller, &placement_id, &input, now))
        .await;
    match logged {
        Ok(_) => Ok(see_other("/me/supervision?done=logged")),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            supervision_page(&state, &visit, form, problems, false).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Continuing development

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

// ---------------------------------------------------------------------------------------------
// My data

#[derive(Template)]
#[template(path = "me_data.html")]
struct DataPage {
    chrome: Chrome,
    csrf: String,
    name: String,
    email: String,
    reminders: bool,
    done: bool,
}

/// `GET /me/data`: download everything held about you; reminders on or off.
#[handler]
pub async fn data_page(
    state: Data<&AppState>,
    jar: &CookieJar,
    query: Query<Done>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let person = state
        .db
        .read_async(move |conn| me::profile(conn, &caller))
        .await?;
    Ok(ok(&DataPage {
        chrome: Chrome::signed_in("Your data", &visit),
        csrf: visit.csrf.clone(),
        name: person.display_name().to_string(),
        email: person.email.clone().unwrap_or_default(),
        reminders: person.reminders_enabled,
        done: query.0.done.as_deref() == Some("saved"),
    }))
}

/// The reminders form.
#[derive(Debug, serde::Deserialize)]
pub struct RemindersForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reminders: String,
}

/// `POST /me/data`: turns reminders on or off.
#[handler]
pub async fn change_reminders(
    state: Data<&AppState>,
    jar: &CookieJar,
    form: Form<RemindersForm>,
) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    visit.check(&form.csrf)?;
    let (caller, now, on) = (visit.caller.clone(), state.now(), form.reminders == "on");
    state
        .db
        .write_async(move |conn| me::set_reminders(conn, &caller, on, now))
        .await?;
    Ok(see_other("/me/data?done=saved"))
}

/// `GET /me/data/export.json`: everything held about you, as a file.
#[handler]
pub async fn export(state: Data<&AppState>, jar: &CookieJar) -> Result<Response, PageError> {
    let visit = session::require(&state, jar).await?;
    let caller = visit.caller.clone();
    let data = state
        .db
        .write_async(move |conn| personal_data::my_export(conn, &caller))
        .await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|_| PageError::Internal)?;
    Ok(download(body, "application/json", "peertrack-my-data.json"))
}

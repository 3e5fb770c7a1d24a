//! `/me/progress`: each programme's requirements as one story, in the learner's words.

use askama::Template;
use peertrack_core::domain::{CertificateStatus, RequirementKind};
use peertrack_core::service::certificates::{self as certificate_service};
use peertrack_core::service::me;
use poem::web::cookie::CookieJar;
use poem::web::Data;
use poem::{handler, Response};

use super::long_date;
use crate::pages::session;
use crate::pages::{ok, Chrome, PageError};
use crate::server::AppState;

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

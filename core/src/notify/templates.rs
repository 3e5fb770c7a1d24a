//! Email templates: for each kind of email a plain-text part and an HTML part, written in
//! plain, warm words (see `shared/domain.md` on language), rendered with minijinja.
//!
//! The text template holds the subject in a `subject` block. Both parts extend a layout that
//! greets the person, signs off, and, for emails people can turn off, says how. Every link is
//! absolute, built from the public URL. A template that needs a value the payload lacks fails
//! to render rather than sending an email with a gap in it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde_json::{Map, Value};

use super::{Email, TEMPLATE_SOURCES};
use crate::domain::local_time;

/// An email ready to send: subject and both parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Why an email could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No template has this name.
    #[error("there is no email template called {0:?}")]
    UnknownTemplate(String),
    /// The payload is not a JSON object.
    #[error("the email's data is not a JSON object")]
    NotAnObject,
    /// The template failed, typically for a value missing from the payload.
    #[error("the {template} email could not be written: {source}")]
    Template {
        /// Which template.
        template: String,
        /// minijinja's error.
        source: minijinja::Error,
    },
}

/// What a person who does not want reminders can do; shown under every non-essential email.
const OPT_OUT: &str = "You are getting this because reminders are on for you in Peertrack. \
You can turn them off at any time: sign in at {sign_in_url} and switch off reminders in your \
settings, or ask your training team to do it for you. Emails you need, such as sign-in links \
and certificates, will still reach you.";

/// The compiled templates, with the public URL every link starts from.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    public_url: String,
}

impl Templates {
    /// Compiles every template; `public_url` is the base of every link (no trailing slash).
    pub fn new(public_url: &str) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.set_formatter(html_formatter);
        env.add_filter("date", date_filter);
        env.add_filter("time", time_filter);
        for (name, source) in TEMPLATE_SOURCES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("the email template {name} does not compile: {e}"));
        }
        Templates {
            env,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    /// The public URL links start from.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Renders `template` with `payload` (a JSON object) plus the links every email may use.
    pub fn render(&self, template: &str, payload: &Value) -> Result<RenderedEmail, RenderError> {
        let kind =
            Email::from_template(template).ok_or_else(|| RenderError::UnknownTemplate(template.into()))?;
        let Value::Object(fields) = payload else {
            return Err(RenderError::NotAnObject);
        };
        let mut context: Map<String, Value> = fields.clone();
        let sign_in_url = format!("{}/sign-in", self.public_url);
        let opt_out = OPT_OUT.replace("{sign_in_url}", &sign_in_url);
        context.insert("public_url".into(), Value::from(self.public_url.clone()));
        context.insert("sign_in_url".into(), Value::from(sign_in_url));
        context.insert("optional".into(), Value::from(!kind.essential()));
        context.insert("opt_out".into(), Value::from(opt_out));
        let failed = |source| RenderError::Template {
            template: template.to_string(),
            source,
        };
        let text_template = self
            .env
            .get_template(&format!("{template}.txt"))
            .map_err(failed)?;
        let mut captured = text_template.render_captured(&context).map_err(failed)?;
        let subject = captured
            .with_state_mut(|state| state.render_block("subject"))
            .map_err(failed)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = captured.into_output();
        context.insert("subject".into(), Value::from(subject.clone()));
        let html = self
            .env
            .get_template(&format!("{template}.html"))
            .and_then(|t| t.render(minijinja::Value::from_serialize(&context)))
            .map_err(failed)?;
        Ok(RenderedEmail {
            subject,
            text: tidy_text(&text),
            html: linkify_opt_out(html, &self.public_url),
        })
    }
}

/// The opt-out line in HTML, with its link clickable; the layout leaves a marker for it.
fn linkify_opt_out(html: String, public_url: &str) -> String {
    let sign_in_url = format!("{public_url}/sign-in");
    let line = escape_html(&OPT_OUT.replace("{sign_in_url}", "\u{0}")).replace(
        '\u{0}',
        &format!("<a href=\"{0}\">{0}</a>", escape_html(&sign_in_url)),
    );
    html.replace(OPT_OUT_MARKER, &line)
}

/// Where the HTML layout puts the opt-out line.
const OPT_OUT_MARKER: &str = "<!--opt-out-->";

/// Escapes the five characters that matter in HTML text and attributes (minijinja's own
/// escaping also turns every `/` into `&#x2f;`, which makes links in the source hard to read).
/// The service's HTML pages use it too.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (minijinja::AutoEscape::Html, Some(text)) if !value.is_safe() => out
            .write_str(&escape_html(text))
            .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string())),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Collapses runs of blank lines the template logic leaves behind, and ends with one newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let trimmed = out.trim();
    format!("{trimmed}\n")
}

/// A payload's date (a day alone) or instant (RFC 3339, or a stored UTC timestamp).
enum When {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

fn parse_when(value: &str) -> Option<When> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(When::Instant(at.with_timezone(&Utc)));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(When::Instant(at.and_utc()));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok().map(When::Day)
}

fn not_a_date(value: &str) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, format!("{value:?} is not a date"))
}

/// `2027-03-01` -> "Monday 1 March 2027"; an instant -> its day in the UK.
fn date_filter(value: &str) -> Result<String, minijinja::Error> {
    let date = match parse_when(value).ok_or_else(|| not_a_date(value))? {
        When::Day(date) => date,
        When::Instant(at) => local_time::local_date(at),
    };
    Ok(local_time::long_date(date))
}

/// An instant -> "10:00", as a UK clock shows it (24-hour).
fn time_filter(value: &str) -> Result<String, minijinja::Error> {
    match parse_when(value) {
        Some(When::Instant(at)) => Ok(local_time::clock_time(at)),
        _ => Err(not_a_date(value)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::notify::Email;

    fn templates() -> Templates {
        Templates::new("https://peertrack.example.org/")
    }

    /// A payload with everything any template asks for.
    fn full_payload(template: &str) -> Value {
        let mut payload = json!({
            "name": "Rowan Learner",
            "cohort_name": "Dundee spring 2027",
            "programme_title": "Peer2Peer: Vocational Peer Support Training",
            "starts_on": "2027-03-01",
            "ends_on": "2027-04-26",
            "enrolled_on": "2027-03-08",
            "session_id": "s1",
            "session_title": "Module 2: The Peer Support Relationship",
            "starts_at": "2027-03-15T10:00:00",
            "ends_at": "2027-03-15T13:00:00",
            "was_starts_at": "2027-03-14T10:00:00",
            "was_ends_at": "2027-03-14T13:00:00",
            "learner_name": "Rowan Learner",
            "sessions": [
                {"title": "Week 3", "starts_at": "2027-03-15T10:00:00"},
                {"title": "Week 4", "starts_at": "2027-03-22T10:00:00"}
            ],
            "module_code": "M2",
            "module_title": "The Peer Support Relationship",
            "outcome": "achieved",
            "certificate_id": "c1",
            "number": "P2P-2027-000042",
            "issued_on": "2027-05-01",
            "expires_on": "2029-05-01",
            "verification_url": "https://peertrack.example.org/verify/K7QM-4TXR-9HWD",
            "attached": true,
            "days_left": 60,
            "reason": "issued in error to the wrong person",
            "role": "learner",
            "organisation_name": "Penumbra",
            "weeks": 4,
            "last_on": "2027-02-01",
            "link": "https://peertrack.example.org/sign-in?token=ptl_secret",
            "minutes": 15,
            "supervisor_name": "Sam Supervisor",
            "occurred_on": "2027-02-01",
            "duration_minutes": 60,
        });
        if template == "supervision_nudge" {
            payload["role"] = json!("supervisor");
        }
        payload
    }

    #[test]
    fn every_template_renders_both_parts_with_a_subject() {
        let templates = templates();
        for kind in Email::ALL.iter().copied() {
            let email = templates
                .render(kind.template(), &full_payload(kind.template()))
                .unwrap_or_else(|e| panic!("{}: {e}", kind.template()));
            assert!(!email.subject.is_empty(), "{}", kind.template());
            assert!(!email.subject.contains('\n'), "{}", kind.template());
            assert!(
                email.text.starts_with("Hello Rowan Learner,\n"),
                "{}",
                kind.template()
            );
            assert!(email.html.contains("<html lang=\"en\">"), "{}", kind.template());
            assert!(email.html.contains("Hello Rowan Learner,"), "{}", kind.template());
            assert!(
                !email.text.contains("\n\n\n"),
                "{}: {}",
                kind.template(),
                email.text
            );
        }
    }

    #[test]
    fn the_words_are_the_language_of_recovery() {
        let templates = templates();
        let forbidden = [
            "user", "users", "patient", "patients", "case", "cases", "client", "clients",
        ];
        for kind in Email::ALL.iter().copied() {
            let email = templates
                .render(kind.template(), &full_payload(kind.template()))
                .unwrap();
            let all = format!("{} {} {}", email.subject, email.text, email.html).to_lowercase();
            for word in all.split(|c: char| !c.is_alphanumeric()) {
                assert!(
                    !forbidden.contains(&word),
                    "{} says {word:?}: {}",
                    kind.template(),
                    email.text
                );
            }
        }
    }

    #[test]
    fn every_link_is_absolute() {
        let templates = templates();
        for kind in Email::ALL.iter().copied() {
            let email = templates
                .render(kind.template(), &full_payload(kind.template()))
                .unwrap();
            for href in email.html.split("href=\"").skip(1) {
                let target = href.split('"').next().unwrap();
                assert!(
                    target.starts_with("https://peertrack.example.org/"),
                    "{}: {target}",
                    kind.template()
                );
            }
            assert!(!email.text.contains("href"), "{}", kind.template());
        }
    }

    #[test]
    fn only_optional_emails_say_how_to_turn_them_off() {
        let templates = templates();
        for kind in Email::ALL.iter().copied() {
            let email = templates
                .render(kind.template(), &full_payload(kind.template()))
                .unwrap();
            let says_how = email.text.contains("turn them off");
            assert_eq!(says_how, !kind.essential(), "{}", kind.template());
            assert_eq!(
                email.html.contains("turn them off"),
                !kind.essential(),
                "{}",
                kind.template()
            );
            if !kind.essential() {
                assert!(
                    email.text.contains("https://peertrack.example.org/sign-in"),
                    "{}",
                    kind.template()
                );
                assert!(
                    email
                        .html
                        .contains("<a href=\"https://peertrack.example.org/sign-in\">"),
                    "{}",
                    kind.template()
                );
            }
        }
    }

    #[test]
    fn the_enrolment_email_gives_the_cohort_dates_in_words() {
        let email = templates()
            .render("enrolment", &full_payload("enrolment"))
            .unwrap();
        assert_eq!(
            email.subject,
            "Welcome to Peer2Peer: Vocational Peer Support Training"
        );
        assert!(email
            .text
            .contains("The cohort runs from Monday 1 March 2027 to Monday 26 April 2027."));
        assert!(email.text.contains("Your place counts from Monday 8 March 2027."));
    }

    #[test]
    fn session_times_are_uk_clock_times() {
        let mut payload = full_payload("session_moved");
        // 09:00 UTC in July is 10:00 British Summer Time; in January the clocks read UTC.
        payload["was_starts_at"] = json!("2027-01-12T09:00:00");
        payload["was_ends_at"] = json!("2027-01-12T11:00:00");
        payload["starts_at"] = json!("2027-07-06T09:00:00Z");
        payload["ends_at"] = json!("2027-07-06T11:00:00");
        let email = templates().render("session_moved", &payload).unwrap();
        assert!(
            email
                .text
                .contains("It was planned for Tuesday 12 January 2027, 09:00 to 11:00."),
            "{}",
            email.text
        );
        assert!(
            email
                .text
                .contains("It is now on Tuesday 6 July 2027, from 10:00 to 12:00."),
            "{}",
            email.text
        );
        assert!(!email.text.contains("UTC") && !email.html.contains("UTC"));
    }

    #[test]
    fn html_escapes_what_people_typed_and_text_keeps_it() {
        let mut payload = full_payload("certificate_revoked");
        payload["reason"] = json!("<b>duplicate</b> & issued twice");
        let email = templates().render("certificate_revoked", &payload).unwrap();
        assert!(email
            .html
            .contains("&lt;b&gt;duplicate&lt;/b&gt; &amp; issued twice"));
        assert!(email.text.contains("<b>duplicate</b> & issued twice"));
    }

    #[test]
    fn a_missing_value_fails_rather_than_leaving_a_gap() {
        let mut payload = full_payload("certificate_issued");
        payload.as_object_mut().unwrap().remove("number");
        let error = templates().render("certificate_issued", &payload).unwrap_err();
        assert!(matches!(error, RenderError::Template { .. }), "{error}");
        assert!(matches!(
            templates().render("no_such_email", &json!({})),
            Err(RenderError::UnknownTemplate(_))
        ));
    }

    #[test]
    fn not_yet_achieved_is_said_kindly() {
        let mut payload = full_payload("assessment_recorded");
        payload["outcome"] = json!("not_yet_achieved");
        let email = templates().render("assessment_recorded", &payload).unwrap();
        assert_eq!(email.subject, "An update on The Peer Support Relationship");
        assert!(email.text.contains("\"Not yet\" simply means there is more time"));
    }
}

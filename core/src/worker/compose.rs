//! Turning a queued message into an email: fill in what the payload only points to (a
//! session's title, a module's name, the certificate PDF), render both parts, and build the
//! MIME message with a Message-ID that is the same on every attempt.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::Value;

use crate::documents;
use crate::notify::templates::Templates;
use crate::notify::Email;
use crate::service::certificates as certificate_service;
use crate::store::outbox::OutboxMessage;
use crate::store::{certificates, cohorts, people, programmes, DbConnection};
use crate::{Error, Result};

/// A message ready for the transport.
#[derive(Debug, Clone)]
pub struct ComposedEmail {
    /// The MIME message.
    pub message: Message,
    /// A file name (without `.eml`) that is the same on every attempt.
    pub file_stem: String,
}

/// What to do with a claimed message.
#[derive(Debug)]
pub enum Composition {
    /// Send this.
    Ready(Box<ComposedEmail>),
    /// Do not send it, on purpose (turned off, or the person was erased); why.
    Skip(String),
    /// It can never be sent as it stands; why.
    Fail(String),
}

/// The Message-ID for an idempotency key: every attempt at one email carries the same one, so
/// a receiving server (or a person) can tell a repeat from a new email.
pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    format!("<{}@{domain}>", key_digest(idempotency_key, 32))
}

fn key_digest(key: &str, length: usize) -> String {
    crate::store::tokens::hash_secret(key)[..length].to_string()
}

/// Composes the email for a claimed outbox message.
pub fn compose(
    conn: &mut DbConnection,
    templates: &Templates,
    from: &Mailbox,
    queued: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<Composition> {
    let Some(kind) = Email::from_template(&queued.template) else {
        return Ok(Composition::Fail(format!(
            "there is no email template called {:?}",
            queued.template
        )));
    };
    if kind.holds_secret() && crate::store::utc(queued.give_up_at) <= now {
        return Ok(Composition::Fail(
            "the link in this email expired before it could be sent".into(),
        ));
    }
    if let Some(person_id) = &queued.person_id {
        let person = people::get(conn, person_id)?;
        if person.erased_at.is_some() || person.email.is_none() {
            return Ok(Composition::Skip(
                "the person's details were erased at their request".into(),
            ));
        }
        if !kind.essential() && !person.reminders_enabled {
            return Ok(Composition::Skip(
                "the person turned off reminders and other optional emails".into(),
            ));
        }
    }
    let mut payload: Value = serde_json::from_str(&queued.payload)
        .map_err(|e| Error::Corrupt(format!("outbox payload of message {}: {e}", queued.id)))?;
    let pdf = fill_in(
        conn,
        templates,
        &queued.template,
        queued.person_id.as_deref(),
        &mut payload,
    )?;
    let rendered = match templates.render(&queued.template, &payload) {
        Ok(rendered) => rendered,
        Err(error) => return Ok(Composition::Fail(error.to_string())),
    };
    let to: Mailbox = match queued.recipient.parse() {
        Ok(to) => to,
        Err(e) => {
            return Ok(Composition::Fail(format!(
                "the recipient address cannot be used: {e}"
            )))
        }
    };
    let alternative = MultiPart::alternative()
        .singlepart(readable_part(ContentType::TEXT_PLAIN, rendered.text))
        .singlepart(readable_part(ContentType::TEXT_HTML, rendered.html));
    let body = match pdf {
        Some((file_name, bytes)) => MultiPart::mixed().multipart(alternative).singlepart(
            Attachment::new(file_name)
                .body(bytes, ContentType::parse("application/pdf").expect("a MIME type")),
        ),
        None => alternative,
    };
    let domain = from.email.domain().to_string();
    let built = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(message_id(&queued.idempotency_key, &domain)))
        .date(std::time::SystemTime::from(now))
        // RFC 3834: an automatic email; out-of-office replies should not answer it.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ))
        .multipart(body);
    let message = match built {
        Ok(message) => message,
        Err(e) => return Ok(Composition::Fail(format!("the email cannot be built: {e}"))),
    };
    let file_stem = format!(
        "{}-{}-{}",
        queued.created_at.format("%Y%m%d-%H%M%S"),
        queued.template.replace('_', "-"),
        key_digest(&queued.idempotency_key, 12)
    );
    Ok(Composition::Ready(Box::new(ComposedEmail { message, file_stem })))
}

/// A text part sent as it reads (7bit, or 8bit for letters beyond ASCII) whenever its lines
/// allow, so an `.eml` file opened in an editor shows whole links rather than quoted-printable.
/// lettre would switch to quoted-printable for any line of 76 characters or more; RFC 5322
/// allows 998, and a paragraph or a sign-in link on one line is easier to read and to copy.
fn readable_part(content_type: ContentType, text: String) -> SinglePart {
    let lines_fit = text.lines().all(|line| line.len() <= 998);
    let plain = !text.contains(['\0', '\r']);
    let body = if lines_fit && plain {
        let encoding = if text.is_ascii() {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::EightBit
        };
        Body::dangerous_pre_encoded(text.replace('\n', "\r\n").into_bytes(), encoding)
    } else {
        Body::new(text)
    };
    SinglePart::builder().header(content_type).body(body)
}

/// Adds to the payload what the template shows but the queued payload only points to; returns
/// the certificate PDF to attach, if any.
fn fill_in(
    conn: &mut DbConnection,
    templates: &Templates,
    template: &str,
    person_id: Option<&str>,
    payload: &mut Value,
) -> Result<Option<(String, Vec<u8>)>> {
    let Value::Object(fields) = payload else {
        return Ok(None);
    };
    let text = |fields: &serde_json::Map<String, Value>, name: &str| {
        fields.get(name).and_then(Value::as_str).map(str::to_string)
    };
    match template {
        "missed_session" if !fields.contains_key("session_title") => {
            if let Some(session_id) = text(fields, "session_id") {
                if let Ok(session) = cohorts::session(conn, &session_id) {
                    let cohort = cohorts::get(conn, &session.cohort_id)?;
                    fields.insert("session_title".into(), Value::from(session.title));
                    fields.insert("starts_at".into(), serde_json::json!(session.starts_at));
                    fields.insert("cohort_name".into(), Value::from(cohort.name));
                }
            }
        }
        "assessment_recorded" if !fields.contains_key("module_title") => {
            if let (Some(code), Some(person_id)) = (text(fields, "module_code"), person_id) {
                if let Some(title) = module_title(conn, person_id, &code)? {
                    fields.insert("module_title".into(), Value::from(title));
                }
            }
        }
        "certificate_issued" => {
            let pdf = match text(fields, "certificate_id") {
                Some(id) => certificate_pdf(conn, templates.public_url(), &id)?,
                None => None,
            };
            fields.insert("attached".into(), Value::from(pdf.is_some()));
            return Ok(pdf);
        }
        _ => {}
    }
    Ok(None)
}

/// The title of a module with this code in one of the person's programmes.
fn module_title(conn: &mut DbConnection, person_id: &str, code: &str) -> Result<Option<String>> {
    for enrolment in cohorts::enrolments_of_person(conn, person_id)?.into_iter().rev() {
        let cohort = cohorts::get(conn, &enrolment.cohort_id)?;
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        if let Some(module) = version.definition.modules.iter().find(|m| m.code == code) {
            return Ok(Some(module.title.clone()));
        }
    }
    Ok(None)
}

/// The certificate as a PDF and its file name; `None` (with a warning logged) when it cannot be
/// drawn, so the email still goes, pointing to the download instead.
fn certificate_pdf(conn: &mut DbConnection, public_url: &str, id: &str) -> Result<Option<(String, Vec<u8>)>> {
    let certificate = match certificates::get(conn, id) {
        Ok(certificate) => certificate,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    let document = certificate_service::document(conn, &certificate, public_url)?;
    match documents::certificate_pdf(&document) {
        Ok(bytes) => Ok(Some((format!("certificate-{}.pdf", certificate.number), bytes))),
        Err(error) => {
            tracing::warn!(certificate = %certificate.id, %error, "the certificate PDF could not be attached");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_depends_only_on_the_key() {
        let first = message_id("enrolment:e1", "peertrack.example.org");
        assert_eq!(first, message_id("enrolment:e1", "peertrack.example.org"));
        assert_ne!(first, message_id("enrolment:e2", "peertrack.example.org"));
        assert!(first.starts_with('<') && first.ends_with("@peertrack.example.org>"));
        assert_eq!(first.len(), 1 + 32 + 1 + "peertrack.example.org".len() + 1);
    }
}

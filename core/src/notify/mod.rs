//! Notifications: what to tell people, queued in the outbox inside the transaction that causes
//! them (every email Peertrack sends is an [`Email`], with its [`templates`]), and the
//! time-based ones the [`scheduler`] finds. Services queue them; `crate::worker` delivers them.
//! Webhooks go out through the same outbox, to destinations [`destination`]'s rules allow, by
//! [`webhook`]'s guarded client, signed as [`webhook_signature`] says; their URLs are shown and
//! logged only as [`redaction`] leaves them.

pub mod destination;
pub mod redaction;
pub mod scheduler;
pub mod templates;
pub mod webhook;
pub mod webhook_signature;

use chrono::{Duration, NaiveDateTime};

use crate::store::outbox::{self, NewMessage};
use crate::store::people::Person;
use crate::store::DbConnection;
use crate::Result;

/// How long delivery of an email is retried before it is marked failed.
pub const EMAIL_DEADLINE: Duration = Duration::days(3);

/// Declares every email Peertrack sends: its variant, its template name (the files
/// `templates/{name}.txt` and `templates/{name}.html`), and whether people can turn it off.
/// Adding an email is one line here and its two template files.
macro_rules! emails {
    ($($(#[$doc:meta])* $variant:ident => $template:literal, $essential:expr;)+) => {
        /// Every email Peertrack sends.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Email {
            $($(#[$doc])* $variant,)+
        }

        impl Email {
            /// Every email, in the order they are declared.
            pub const ALL: &'static [Email] = &[$(Email::$variant,)+];

            /// The template's name, as queued in the outbox.
            pub fn template(self) -> &'static str {
                match self {
                    $(Email::$variant => $template,)+
                }
            }

            /// Sent whatever the person's preferences (sign-in links, certificates); otherwise
            /// the email is a reminder or a nudge that people can turn off, and it says how.
            pub fn essential(self) -> bool {
                match self {
                    $(Email::$variant => $essential,)+
                }
            }
        }

        /// Each template's text and HTML source, by file name.
        pub(crate) const TEMPLATE_SOURCES: &[(&str, &str)] = &[
            ("layout.txt", include_str!("templates/layout.txt")),
            ("layout.html", include_str!("templates/layout.html")),
            $(
                (concat!($template, ".txt"), include_str!(concat!("templates/", $template, ".txt"))),
                (concat!($template, ".html"), include_str!(concat!("templates/", $template, ".html"))),
            )+
        ];
    };
}

emails! {
    /// Welcome, with the cohort's dates, to a learner who was enrolled.
    Enrolment => "enrolment", true;
    /// The day before each session.
    SessionReminder => "session_reminder", false;
    /// A session moved to another time, to its learners.
    SessionMoved => "session_moved", true;
    /// A session was called off, to its learners.
    SessionCancelled => "session_cancelled", true;
    /// To a learner marked absent.
    MissedSession => "missed_session", false;
    /// To the cohort's tutors after a learner's second absence in a row.
    AbsencesNoted => "absences_noted", false;
    /// A module assessment was recorded.
    AssessmentRecorded => "assessment_recorded", true;
    /// A certificate was issued, with the PDF attached.
    CertificateIssued => "certificate_issued", true;
    /// A certificate expires in 60 or 14 days.
    CertificateExpiring => "certificate_expiring", true;
    /// A certificate was withdrawn.
    CertificateRevoked => "certificate_revoked", true;
    /// No supervision logged for 4 weeks of a running placement.
    SupervisionNudge => "supervision_nudge", false;
    /// To a learner whose logged supervision session the supervisor declined, with the reason.
    SupervisionDeclined => "supervision_declined", true;
    /// A one-time sign-in link.
    SignIn => "sign_in", true;
}

impl Email {
    /// The email a queued template name makes, if it is one of ours.
    pub fn from_template(template: &str) -> Option<Email> {
        Email::ALL.iter().copied().find(|e| e.template() == template)
    }

    /// What the email is, in a few plain words (for the administrators' list of failed emails).
    pub fn describe(self) -> &'static str {
        match self {
            Email::Enrolment => "Welcome to a course",
            Email::SessionReminder => "Reminder of a session tomorrow",
            Email::SessionMoved => "A session moved",
            Email::SessionCancelled => "A session called off",
            Email::MissedSession => "Sorry we missed you at a session",
            Email::AbsencesNoted => "Absences noted, to the tutors",
            Email::AssessmentRecorded => "A module assessment recorded",
            Email::CertificateIssued => "A certificate, with its PDF",
            Email::CertificateExpiring => "A certificate expiring soon",
            Email::CertificateRevoked => "A certificate withdrawn",
            Email::SupervisionNudge => "A nudge to log supervision",
            Email::SupervisionDeclined => "Supervision declined, with the reason",
            Email::SignIn => "A sign-in link",
        }
    }

    /// Its payload carries a secret (a sign-in link), dropped once the email is sent or given up.
    pub fn holds_secret(self) -> bool {
        self == Email::SignIn
    }
}

/// Queues `email` to `person`, once per `idempotency_key`. People whose details were erased
/// get nothing. Returns whether a message was queued.
pub fn queue_email(
    conn: &mut DbConnection,
    idempotency_key: String,
    email: Email,
    person: &Person,
    payload: serde_json::Value,
    now: NaiveDateTime,
) -> Result<bool> {
    queue_email_until(
        conn,
        idempotency_key,
        email,
        person,
        payload,
        now,
        now + EMAIL_DEADLINE,
    )
}

/// Like [`queue_email`], with its own deadline: a sign-in link is worth nothing once it expires.
pub fn queue_email_until(
    conn: &mut DbConnection,
    idempotency_key: String,
    email: Email,
    person: &Person,
    payload: serde_json::Value,
    now: NaiveDateTime,
    give_up_at: NaiveDateTime,
) -> Result<bool> {
    let Some(address) = person.email.clone() else {
        return Ok(false);
    };
    outbox::enqueue(
        conn,
        &NewMessage {
            idempotency_key,
            channel: "email".into(),
            template: email.template().into(),
            recipient: address,
            person_id: Some(person.id.clone()),
            payload,
            give_up_at,
        },
        now,
    )
}

//! The way emails leave: an SMTP server named by a URL, or, when none is configured, a folder
//! where each email is written as a readable `.eml` file.
//!
//! SMTP URLs: `smtp://[login:password@]host[:port]` connects in plain text and upgrades with
//! STARTTLS whenever the server offers it; `?tls=required` refuses to go on without STARTTLS and
//! `?tls=none` never tries it (a trusted local relay); `smtps://` speaks TLS from the start.
//! Credentials, percent-encoded in the URL, are used when given.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text only (`?tls=none`): for a relay on the same machine or network.
    None,
    /// STARTTLS when the server offers it (the default for `smtp://`).
    Opportunistic,
    /// STARTTLS or nothing (`?tls=required`).
    Required,
    /// TLS from the first byte (`smtps://`).
    Wrapper,
}

/// An SMTP server, as a `PEERTRACK_SMTP_URL` names it.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// Login and password, if the URL has them.
    pub credentials: Option<(String, String)>,
    /// The name to greet the server with, from the URL's path, if any.
    pub hello_name: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a transport could not be set up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct TransportError(pub String);

impl SmtpSettings {
    /// Reads `smtp://` or `smtps://` URLs (see the module documentation).
    pub fn parse(url: &str) -> Result<Self, TransportError> {
        let bad = |why: &str| TransportError(format!("{why} (for example smtp://127.0.0.1:2525)"));
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("an SMTP URL starts with smtp:// or smtps://"))?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, path.trim_matches('/')),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let tls = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix("tls="));
        let security = match (scheme.to_ascii_lowercase().as_str(), tls) {
            ("smtp", None | Some("opportunistic")) => SmtpSecurity::Opportunistic,
            ("smtp", Some("required")) => SmtpSecurity::Required,
            ("smtp", Some("none")) => SmtpSecurity::None,
            ("smtps", None) => SmtpSecurity::Wrapper,
            ("smtp" | "smtps", Some(other)) => {
                return Err(bad(&format!(
                "tls={other} is not understood: use tls=required, tls=opportunistic or tls=none with smtp://"
            )))
            }
            (other, _) => return Err(bad(&format!("{other}:// is not an SMTP URL"))),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("the port is not a number"))?;
        if host.is_empty() {
            return Err(bad("the SMTP URL names no host"));
        }
        let port = port.unwrap_or(match security {
            SmtpSecurity::Wrapper => 465,
            SmtpSecurity::Required => 587,
            SmtpSecurity::None | SmtpSecurity::Opportunistic => 25,
        });
        let credentials = match userinfo {
            Some(info) => {
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                Some((percent_decode(user)?, percent_decode(password)?))
            }
            None => None,
        };
        Ok(SmtpSettings {
            host: host.to_string(),
            port,
            security,
            credentials,
            hello_name: (!path.is_empty()).then(|| path.to_string()),
        })
    }

    /// The server in words, with no password, for logs.
    pub fn describe(&self) -> String {
        let scheme = if self.security == SmtpSecurity::Wrapper {
            "smtps"
        } else {
            "smtp"
        };
        let user = match &self.credentials {
            Some((user, _)) => format!("{user}:***@"),
            None => String::new(),
        };
        let security = match self.security {
            SmtpSecurity::None => "plain text",
            SmtpSecurity::Opportunistic => "STARTTLS when offered",
            SmtpSecurity::Required => "STARTTLS required",
            SmtpSecurity::Wrapper => "TLS",
        };
        format!("{scheme}://{user}{}:{} ({security})", self.host, self.port)
    }
}

/// `host:port`, `host`, `[::1]:25`.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => port.parse().ok().map(|p| (host, Some(p))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) => port.parse().ok().map(|p| (host, Some(p))),
        None => Some((text, None)),
    }
}

fn percent_decode(text: &str) -> Result<String, TransportError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| TransportError("the SMTP URL has a broken %-escape".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| TransportError("the SMTP URL's credentials are not UTF-8".into()))
}

/// Why one email was not delivered.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct SendError {
    /// Retrying cannot help (the server refused the message for good, e.g. `550`).
    pub permanent: bool,
    /// What went wrong, without the email's content.
    pub message: String,
}

/// Where emails go.
#[derive(Clone)]
pub enum MailTransport {
    /// An SMTP server.
    Smtp {
        /// lettre's transport, one connection per email.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// The server, for logs.
        settings: SmtpSettings,
    },
    /// A folder of `.eml` files.
    Folder(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How long one SMTP conversation may take before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl MailTransport {
    /// SMTP when a URL is given, otherwise `.eml` files in `mail_dir`.
    pub fn new(smtp_url: Option<&str>, mail_dir: &Path) -> Result<Self, TransportError> {
        match smtp_url {
            Some(url) => Self::smtp(&SmtpSettings::parse(url)?, SMTP_TIMEOUT),
            None => Ok(MailTransport::Folder(mail_dir.to_path_buf())),
        }
    }

    /// An SMTP transport for these settings.
    pub fn smtp(settings: &SmtpSettings, timeout: Duration) -> Result<Self, TransportError> {
        let tls_parameters = || {
            TlsParameters::new(settings.host.clone())
                .map_err(|e| TransportError(format!("TLS cannot be set up for {}: {e}", settings.host)))
        };
        let tls = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls_parameters()?),
            SmtpSecurity::Required => Tls::Required(tls_parameters()?),
            SmtpSecurity::Wrapper => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        if let Some(name) = &settings.hello_name {
            builder = builder.hello_name(lettre::transport::smtp::extension::ClientId::Domain(name.clone()));
        }
        Ok(MailTransport::Smtp {
            transport: Box::new(builder.build()),
            settings: settings.clone(),
        })
    }

    /// Where emails go, in words, for logs.
    pub fn describe(&self) -> String {
        match self {
            MailTransport::Smtp { settings, .. } => format!("SMTP server {}", settings.describe()),
            MailTransport::Folder(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends one email. In a folder it is written as `{file_stem}.eml`, whole or not at all, so a
    /// second delivery of the same message replaces the first rather than adding a copy.
    pub async fn send(&self, message: &Message, file_stem: &str) -> Result<(), SendError> {
        match self {
            MailTransport::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(_) => Ok(()),
                Err(error) => Err(SendError {
                    permanent: error.is_permanent(),
                    message: smtp_error_words(&error),
                }),
            },
            MailTransport::Folder(dir) => {
                write_eml(dir, file_stem, &message.formatted())
                    .await
                    .map_err(|e| SendError {
                        permanent: false,
                        message: format!("cannot write to the mail folder {}: {e}", dir.display()),
                    })
            }
        }
    }
}

fn smtp_error_words(error: &lettre::transport::smtp::Error) -> String {
    // lettre's messages name the failure and the server's reply, never the email itself.
    let mut words = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

async fn write_eml(dir: &Path, stem: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let target = dir.join(format!("{stem}.eml"));
    let partial = dir.join(format!(".{stem}.eml.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, &target).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_host_port_security_and_credentials() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security, plain.credentials),
            ("127.0.0.1", 2525, SmtpSecurity::Opportunistic, None)
        );
        let tls = SmtpSettings::parse("smtps://mailer:p%40ss%3Aword@smtp.example.org").unwrap();
        assert_eq!(tls.port, 465);
        assert_eq!(tls.security, SmtpSecurity::Wrapper);
        assert_eq!(
            tls.credentials,
            Some(("mailer".to_string(), "p@ss:word".to_string()))
        );
        assert_eq!(
            tls.describe(),
            "smtps://mailer:***@smtp.example.org:465 (TLS)",
            "no password in logs"
        );
        assert!(!format!("{tls:?}").contains("p@ss"));
        let required = SmtpSettings::parse("smtp://relay.example.org?tls=required").unwrap();
        assert_eq!((required.port, required.security), (587, SmtpSecurity::Required));
        let none = SmtpSettings::parse("smtp://localhost/peertrack.example.org?tls=none").unwrap();
        assert_eq!(none.security, SmtpSecurity::None);
        assert_eq!(none.hello_name.as_deref(), Some("peertrack.example.org"));
        let v6 = SmtpSettings::parse("smtp://[::1]:2525").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 2525));
    }

    #[test]
    fn bad_smtp_urls_are_refused_in_words() {
        for url in [
            "127.0.0.1:25",
            "http://mail.example.org",
            "smtp://mail.example.org:port",
            "smtp://:25",
            "smtp://mail.example.org?tls=maybe",
            "smtps://mail.example.org?tls=none",
            "smtp://us%zzer:pw@mail.example.org",
        ] {
            assert!(SmtpSettings::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn without_a_url_emails_go_to_the_folder() {
        let transport = MailTransport::new(None, Path::new("mail")).unwrap();
        assert_eq!(transport.describe(), ".eml files in mail");
        let transport = MailTransport::new(Some("smtp://127.0.0.1:2525"), Path::new("mail")).unwrap();
        assert!(transport.describe().contains("127.0.0.1:2525"));
    }
}

//! Configuration from `PEERTRACK_*` environment variables, with embedded defaults.

use std::net::SocketAddr;

use peertrack_core::notify::destination::DestinationPolicy;
use peertrack_core::store::DatabaseUrl;
use peertrack_core::worker::transport::SmtpSettings;

use crate::connection_deadlines::Timeouts;
use crate::forwarded::TrustedProxies;

/// Where the database lives. Default: `peertrack.db` in the working directory.
pub const DATABASE_URL: &str = "PEERTRACK_DATABASE_URL";
/// The address to listen on. Default: `127.0.0.1:8080`.
pub const LISTEN: &str = "PEERTRACK_LISTEN";
/// The public base URL used in links. Default: `http://` + the listen address.
pub const PUBLIC_URL: &str = "PEERTRACK_PUBLIC_URL";
/// The SMTP server, e.g. `smtp://127.0.0.1:2525`. Unset: emails go to `mail/` as `.eml` files.
pub const SMTP_URL: &str = "PEERTRACK_SMTP_URL";
/// Where emails are written as `.eml` files when no SMTP server is set. Default: `mail`.
pub const MAIL_DIR: &str = "PEERTRACK_MAIL_DIR";
/// The sender address of emails.
pub const MAIL_FROM: &str = "PEERTRACK_MAIL_FROM";
/// The folder holding the Ed25519 keys that sign credentials. Default: `peertrack-keys`.
pub const KEY_DIR: &str = "PEERTRACK_KEY_DIR";
/// `true` lets webhooks go to `http://` URLs and to this machine or private networks (for a
/// partner on the same private network, or for testing). Default: `false`, only public
/// `https://` addresses; link-local addresses such as cloud metadata are refused either way.
pub const WEBHOOK_ALLOW_PRIVATE: &str = "PEERTRACK_WEBHOOK_ALLOW_PRIVATE";
/// Seconds a request's line and headers may take to arrive (from its first byte, or from the
/// connection opening), and then its body again. Default: 30.
pub const REQUEST_READ_TIMEOUT: &str = "PEERTRACK_REQUEST_READ_TIMEOUT";
/// Seconds a kept-alive connection may wait for its next request. Default: 75, longer than
/// the 60 s that reverse proxies commonly keep idle connections to a backend, so they close first.
pub const IDLE_TIMEOUT: &str = "PEERTRACK_IDLE_TIMEOUT";

/// The reverse proxies whose `Forwarded`, `X-Forwarded-For` and `X-Forwarded-Proto` headers are
/// believed: addresses and CIDR ranges, separated by commas (`127.0.0.1, 10.0.0.0/8`). Unset:
/// none; every client is its TCP peer.
pub const TRUSTED_PROXIES: &str = "PEERTRACK_TRUSTED_PROXIES";
/// The bearer token `GET /metrics` asks for. Unset: there is no `/metrics`.
pub const METRICS_TOKEN: &str = "PEERTRACK_METRICS_TOKEN";

/// A second address to listen on that serves only `GET /metrics`, without a token (keep it
/// private: loopback or a monitoring network). Unset: none.
pub const METRICS_LISTEN: &str = "PEERTRACK_METRICS_LISTEN";

/// The service's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database.
    pub database: DatabaseUrl,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Base of every link in emails and certificates, without a trailing slash.
    pub public_url: String,
    /// SMTP server, if any.
    pub smtp_url: Option<String>,
    /// Sender of emails.
    pub mail_from: String,
    /// Where emails are written when there is no SMTP server.
    pub mail_dir: std::path::PathBuf,
    /// Where the signing keys live.
    pub key_dir: std::path::PathBuf,
    /// Where webhooks may be posted.
    pub webhook_destinations: DestinationPolicy,
    /// How long requests may take to arrive, and connections may wait for one.
    pub timeouts: Timeouts,
    /// The reverse proxies whose forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// The bearer token for `GET /metrics`; `None`: no metrics are served.
    pub metrics_token: Option<String>,
    /// A private listener for `GET /metrics` alone, if any.
    pub metrics_listen: Option<SocketAddr>,
}

impl Config {
    /// Whether the token sent is the metrics token (compared in constant time).
    pub fn is_metrics_token(&self, sent: &str) -> bool {
        let Some(token) = &self.metrics_token else {
            return false;
        };
        token.len() == sent.len()
            && token
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// A configuration value that cannot be used, naming its variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong, in plain words.
    pub reason: String,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let database_text = set(DATABASE_URL).unwrap_or_else(|| "peertrack.db".to_string());
        let database = DatabaseUrl::parse(&database_text).map_err(|e| ConfigError {
            variable: DATABASE_URL,
            reason: e.to_string(),
        })?;
        let listen_text = set(LISTEN).unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| ConfigError {
            variable: LISTEN,
            reason: format!("{listen_text:?} is not an address and port such as 127.0.0.1:8080"),
        })?;
        let public_url = match set(PUBLIC_URL) {
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_string();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError {
                        variable: PUBLIC_URL,
                        reason: format!("{url:?} must start with http:// or https://"),
                    });
                }
                url
            }
            None => format!("http://{listen}"),
        };
        let smtp_url = set(SMTP_URL).map(|u| u.trim().to_string());
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError {
                    variable: SMTP_URL,
                    reason: format!("{url:?} must start with smtp:// or smtps://"),
                });
            }
            // The reason names the problem, never the password.
            SmtpSettings::parse(url).map_err(|e| ConfigError {
                variable: SMTP_URL,
                reason: e.to_string(),
            })?;
        }
        let mail_from =
            set(MAIL_FROM).unwrap_or_else(|| "Peertrack <no-reply@peertrack.localhost>".to_string());
        if !mail_from.contains('@') {
            return Err(ConfigError {
                variable: MAIL_FROM,
                reason: format!("{mail_from:?} is not an address such as Peertrack <no-reply@example.org>"),
            });
        }
        let mail_dir = set(MAIL_DIR).unwrap_or_else(|| "mail".to_string()).into();
        let key_dir = set(KEY_DIR)
            .unwrap_or_else(|| "peertrack-keys".to_string())
            .into();
        let webhook_destinations = match set(WEBHOOK_ALLOW_PRIVATE)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("false" | "no" | "0") => DestinationPolicy::PublicOnly,
            Some("true" | "yes" | "1") => DestinationPolicy::AllowPrivate,
            Some(other) => {
                return Err(ConfigError {
                    variable: WEBHOOK_ALLOW_PRIVATE,
                    reason: format!("{other:?} is not true or false"),
                })
            }
        };
        let seconds = |variable: &'static str, default: u64| match set(variable) {
            None => Ok(std::time::Duration::from_secs(default)),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n @ 1..=3600) => Ok(std::time::Duration::from_secs(n)),
                _ => Err(ConfigError {
                    variable,
                    reason: format!("{text:?} is not a number of seconds from 1 to 3600"),
                }),
            },
        };
        let timeouts = Timeouts {
            request_read: seconds(REQUEST_READ_TIMEOUT, 30)?,
            idle: seconds(IDLE_TIMEOUT, 75)?,
        };
        let trusted_proxies = match set(TRUSTED_PROXIES) {
            None => TrustedProxies::default(),
            Some(text) => TrustedProxies::parse(&text).map_err(|reason| ConfigError {
                variable: TRUSTED_PROXIES,
                reason,
            })?,
        };
        let metrics_token = set(METRICS_TOKEN).map(|t| t.trim().to_string());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError {
                variable: METRICS_TOKEN,
                reason: "is shorter than 16 characters; use a long random value".into(),
            });
        }
        let metrics_listen = match set(METRICS_LISTEN) {
            None => None,
            Some(text) => Some(text.trim().parse::<SocketAddr>().map_err(|_| ConfigError {
                variable: METRICS_LISTEN,
                reason: format!("{text:?} is not an address and port such as 127.0.0.1:9100"),
            })?),
        };
        Ok(Config {
            metrics_listen,
            trusted_proxies,
            metrics_token,
            timeouts,
            key_dir,
            database,
            listen,
            public_url,
            smtp_url,
            mail_from,
            mail_dir,
            webhook_destinations,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database, DatabaseUrl::Sqlite("peertrack.db".into()));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(config.smtp_url.is_none());
        assert_eq!(config.mail_dir, std::path::PathBuf::from("mail"));
        assert_eq!(config.webhook_destinations, DestinationPolicy::PublicOnly);
        assert_eq!(config.timeouts.request_read, std::time::Duration::from_secs(30));
        assert_eq!(config.timeouts.idle, std::time::Duration::from_secs(75));
    }

    #[test]
    fn timeouts_are_whole_seconds_within_an_hour() {
        let set = config(&[(REQUEST_READ_TIMEOUT, "5"), (IDLE_TIMEOUT, " 120 ")]).unwrap();
        assert_eq!(set.timeouts.request_read, std::time::Duration::from_secs(5));
        assert_eq!(set.timeouts.idle, std::time::Duration::from_secs(120));
        for bad in ["0", "-1", "1.5", "30s", "3601"] {
            let error = config(&[(IDLE_TIMEOUT, bad)]).unwrap_err();
            assert_eq!(error.variable, IDLE_TIMEOUT, "{bad}");
            assert_eq!(
                config(&[(REQUEST_READ_TIMEOUT, bad)]).unwrap_err().variable,
                REQUEST_READ_TIMEOUT
            );
        }
    }

    #[test]
    fn private_webhook_destinations_are_allowed_only_when_asked_for() {
        for (text, expected) in [
            ("true", DestinationPolicy::AllowPrivate),
            ("TRUE", DestinationPolicy::AllowPrivate),
            ("1", DestinationPolicy::AllowPrivate),
            ("false", DestinationPolicy::PublicOnly),
            ("0", DestinationPolicy::PublicOnly),
            ("", DestinationPolicy::PublicOnly),
        ] {
            let config = config(&[(WEBHOOK_ALLOW_PRIVATE, text)]).unwrap();
            assert_eq!(config.webhook_destinations, expected, "{text:?}");
        }
        let error = config(&[(WEBHOOK_ALLOW_PRIVATE, "sometimes")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "PEERTRACK_WEBHOOK_ALLOW_PRIVATE: \"sometimes\" is not true or false"
        );
    }

    #[test]
    fn every_database_url_form_is_understood() {
        for (text, expected) in [
            ("data/p.db", DatabaseUrl::Sqlite("data/p.db".into())),
            ("sqlite://data/p.db", DatabaseUrl::Sqlite("data/p.db".into())),
            ("sqlite:p.db", DatabaseUrl::Sqlite("p.db".into())),
            (
                "postgres://root@localhost/test",
                DatabaseUrl::Postgres("postgres://root@localhost/test".into()),
            ),
            (
                "postgresql://h/db",
                DatabaseUrl::Postgres("postgresql://h/db".into()),
            ),
        ] {
            assert_eq!(
                config(&[(DATABASE_URL, text)]).unwrap().database,
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_values_name_their_variable() {
        let error = config(&[(DATABASE_URL, "mysql://localhost/db")]).unwrap_err();
        assert_eq!(error.variable, DATABASE_URL);
        assert!(error
            .to_string()
            .starts_with("PEERTRACK_DATABASE_URL: unknown scheme \"mysql\""));
        assert_eq!(config(&[(LISTEN, "port 80")]).unwrap_err().variable, LISTEN);
        assert_eq!(
            config(&[(PUBLIC_URL, "example.org")]).unwrap_err().variable,
            PUBLIC_URL
        );
        assert_eq!(
            config(&[(SMTP_URL, "127.0.0.1:25")]).unwrap_err().variable,
            SMTP_URL
        );
        let error = config(&[(SMTP_URL, "smtp://mailer:hunter2@mail.example.org:port")]).unwrap_err();
        assert_eq!(error.variable, SMTP_URL);
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert_eq!(config(&[(MAIL_FROM, "nobody")]).unwrap_err().variable, MAIL_FROM);
    }

    #[test]
    fn trusted_proxies_and_the_metrics_token_are_read_and_checked() {
        let none = config(&[]).unwrap();
        assert!(none.trusted_proxies.is_empty());
        assert!(none.metrics_token.is_none());
        assert!(!none.is_metrics_token(""));
        let set = config(&[
            (TRUSTED_PROXIES, "127.0.0.1, 10.0.0.0/8"),
            (METRICS_TOKEN, "a-long-metrics-token"),
        ])
        .unwrap();
        assert!(set.trusted_proxies.trusts("10.1.2.3".parse().unwrap()));
        assert!(set.is_metrics_token("a-long-metrics-token"));
        assert!(!set.is_metrics_token("a-long-metrics-tokeN"));
        let error = config(&[(TRUSTED_PROXIES, "10.0.0.0/8 nginx")]).unwrap_err();
        assert_eq!(error.variable, TRUSTED_PROXIES);
        assert_eq!(
            config(&[(METRICS_TOKEN, "short")]).unwrap_err().variable,
            METRICS_TOKEN
        );
    }

    #[test]
    fn public_url_loses_its_trailing_slash() {
        let config = config(&[(PUBLIC_URL, "https://peertrack.example.org/")]).unwrap();
        assert_eq!(config.public_url, "https://peertrack.example.org");
    }
}

//! Posting webhooks without letting a partner's URL reach inside Peertrack's network.
//!
//! The rules are in [`super::destination`]. They are applied when a webhook is registered
//! ([`check_destination`]) and again at every delivery, because the addresses a name resolves
//! to can change in between: the client's own resolver checks every address a name resolves
//! to and hands the connection only addresses that passed, so what was checked is what is
//! connected to. Redirects are not followed (one could point anywhere) and no proxy is used
//! (a proxy would resolve the name itself, unchecked).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::destination::{self, Destination, DestinationPolicy, Refusal};
use super::webhook_signature::{sign, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// How long one delivery may take, resolving the name included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long registration waits for a name to resolve before leaving the check to delivery.
const REGISTRATION_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a webhook was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The URL itself is refused (its scheme, or the address written in it): nothing was
    /// sent, and nothing ever will be under this policy.
    #[error("not sent: {}", describe(.0))]
    Refused(Refusal),
    /// The URL's name led to a refused address this time: nothing was sent. Names can change,
    /// so this is tried again.
    #[error("not sent: {0}")]
    RefusedAddress(Refusal),
    /// Sending failed, or the receiver did not accept the event.
    #[error("{0}")]
    Failed(String),
}

fn describe(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Address { .. } => refusal.to_string(),
        other => format!("the webhook's URL {other}"),
    }
}

/// The HTTP client for webhooks, holding its destinations to a [`DestinationPolicy`].
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: DestinationPolicy,
}

impl WebhookClient {
    /// A client that posts only where `policy` allows.
    pub fn new(policy: DestinationPolicy) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("Peertrack/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver { policy }))
            .connect_timeout(DELIVERY_TIMEOUT)
            .build()
            .map_err(|e| format!("the webhook client could not start: {e}"))?;
        Ok(WebhookClient { http, policy })
    }

    /// The policy it holds destinations to.
    pub fn policy(&self) -> DestinationPolicy {
        self.policy
    }

    /// Posts `event` to `url` as message `message_id`, signed with `secret` (Standard
    /// Webhooks, see [`super::webhook_signature`]). Errors never quote the URL, which may hold
    /// a secret.
    pub async fn post(
        &self,
        url: &str,
        secret: &str,
        message_id: &str,
        event: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), PostError> {
        // Addresses written in the URL never reach the resolver, so they are checked here.
        destination::check_url(url, self.policy).map_err(PostError::Refused)?;
        let body = event.to_string();
        let response = self
            .http
            .post(url.trim())
            .header("Content-Type", "application/json")
            .header(ID_HEADER, message_id)
            .header(TIMESTAMP_HEADER, now.timestamp().to_string())
            .header(SIGNATURE_HEADER, sign(secret, message_id, now.timestamp(), &body))
            .body(body)
            .timeout(DELIVERY_TIMEOUT)
            .send()
            .await
            .map_err(|error| match refusal_in(&error) {
                Some(refusal) => PostError::RefusedAddress(refusal),
                // reqwest quotes the whole URL, secrets and all: leave it out.
                None => PostError::Failed(format!(
                    "could not reach the webhook: {}",
                    chain(&error.without_url())
                )),
            })?;
        if response.status().is_success() {
            Ok(())
        } else if response.status().is_redirection() {
            Err(PostError::Failed(format!(
                "the webhook answered {} (redirects are not followed: register the final address)",
                response.status()
            )))
        } else {
            Err(PostError::Failed(format!(
                "the webhook answered {}",
                response.status()
            )))
        }
    }
}

/// Checks a URL as it is registered: its scheme and written address, and the addresses its
/// name resolves to now. A name that does not resolve (yet) is left to the check at delivery.
pub async fn check_destination(url: &str, policy: DestinationPolicy) -> Result<(), Refusal> {
    let Destination::Name { host, port } = destination::check_url(url, policy)? else {
        return Ok(());
    };
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let resolved: Vec<SocketAddr> = match tokio::time::timeout(REGISTRATION_LOOKUP_TIMEOUT, lookup).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(_)) | Err(_) => return Ok(()),
    };
    destination::check_addresses(&host, resolved.iter().map(|a| a.ip()), policy)
}

/// Resolves names as the system does, then refuses any name with an address the policy does
/// not allow; only checked addresses reach the connection.
struct CheckedResolver {
    policy: DestinationPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            destination::check_addresses(&host, addresses.iter().map(|a| a.ip()), policy)?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The resolver's refusal, if that is why a request failed.
fn refusal_in(error: &reqwest::Error) -> Option<Refusal> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<Refusal>() {
            return Some(refusal.clone());
        }
        source = current.source();
    }
    None
}

/// An error with its causes, which reqwest's own message leaves out.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

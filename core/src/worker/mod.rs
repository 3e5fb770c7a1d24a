//! The delivery worker: claims due messages from the outbox, sends them, and records what
//! happened; retries failures with capped exponential backoff until the message's deadline;
//! and every few minutes runs the scheduler that queues time-based emails.
//!
//! Claims carry a lease. A worker that stops gracefully finishes the email it is sending and
//! hands the rest of its batch back; one that dies leaves its claims to run out, after which
//! another worker (or the same one, restarted) takes the messages again. Several workers may
//! run on PostgreSQL at once; each message goes to one of them.

pub mod compose;
pub mod transport;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use lettre::message::Mailbox;
use tokio::sync::Notify;

use self::compose::Composition;
use self::transport::{MailTransport, SMTP_TIMEOUT};
use crate::domain::Clock;
use crate::notify::destination::DestinationPolicy;
use crate::notify::scheduler;
use crate::notify::templates::Templates;
use crate::notify::webhook::{PostError, WebhookClient};
use crate::notify::Email;
use crate::store::outbox::OutboxMessage;
use crate::store::{delivery, stored, utc, Database};
use crate::Result;

/// When to try a failed email again: `first` after the first failure, doubling each time, never
/// more than `cap` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt.
    pub first: Duration,
    /// The longest wait between attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first: Duration::from_secs(5),
            cap: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed attempts (1 for the first).
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }
}

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The sender, e.g. `Peertrack <no-reply@peertrack.example.org>`.
    pub from: String,
    /// The base of every link in emails.
    pub public_url: String,
    /// How often to look for due messages when the queue is empty.
    pub poll_interval: Duration,
    /// How long a claim lasts; a message claimed by a worker that died is retried after it.
    pub lease: Duration,
    /// Most messages claimed at once.
    pub batch_size: i64,
    /// When to retry.
    pub retry: RetryPolicy,
    /// How often the scheduler looks for time-based emails.
    pub schedule_interval: Duration,
    /// Where webhooks may be posted: public `https://` addresses unless told otherwise.
    pub webhook_destinations: DestinationPolicy,
}

impl WorkerSettings {
    /// Defaults: look every second, 90-second leases, batches of 10, retries from 5 seconds up
    /// to 10 minutes apart, the scheduler every 5 minutes, webhooks to public addresses only.
    pub fn new(from: impl Into<String>, public_url: impl Into<String>) -> Self {
        WorkerSettings {
            from: from.into(),
            public_url: public_url.into().trim_end_matches('/').to_string(),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(90),
            batch_size: 10,
            retry: RetryPolicy::default(),
            schedule_interval: Duration::from_secs(300),
            webhook_destinations: DestinationPolicy::PublicOnly,
        }
    }
}

/// The worker could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WorkerError(pub String);

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages claimed.
    pub claimed: usize,
    /// Delivered.
    pub sent: usize,
    /// Failed this time, to be tried again.
    pub retrying: usize,
    /// Given up on.
    pub failed: usize,
    /// Not sent on purpose.
    pub skipped: usize,
    /// Handed back unsent (the worker is stopping, or the lease was running out).
    pub released: usize,
}

/// Claims, sends and records; see the module documentation.
pub struct DeliveryWorker {
    db: Database,
    transport: MailTransport,
    templates: Arc<Templates>,
    clock: Arc<dyn Clock>,
    from: Mailbox,
    settings: WorkerSettings,
    stopping: Arc<AtomicBool>,
    wake: Arc<Notify>,
    webhooks: WebhookClient,
}

/// Webhook deliveries, as opposed to email.
const WEBHOOK: &str = "webhook";

impl std::fmt::Debug for DeliveryWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorker")
            .field("transport", &self.transport)
            .field("settings", &self.settings)
            .finish()
    }
}

/// Stops a running worker gracefully.
#[derive(Debug, Clone)]
pub struct StopHandle {
    stopping: Arc<AtomicBool>,
    wake: Arc<Notify>,
}

impl StopHandle {
    /// Asks the worker to stop after the email it is sending.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
    Skipped(String),
}

impl DeliveryWorker {
    /// A worker over `db` sending through `transport`.
    pub fn new(
        db: Database,
        transport: MailTransport,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> std::result::Result<Self, WorkerError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| WorkerError(format!("{:?} is not a sender address: {e}", settings.from)))?;
        let webhooks = WebhookClient::new(settings.webhook_destinations).map_err(WorkerError)?;
        Ok(DeliveryWorker {
            db,
            transport,
            templates: Arc::new(Templates::new(&settings.public_url)),
            clock,
            from,
            settings,
            stopping: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(Notify::new()),
            webhooks,
        })
    }

    /// A handle that stops this worker's [`DeliveryWorker::run`].
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            stopping: self.stopping.clone(),
            wake: self.wake.clone(),
        }
    }

    /// Where emails go, in words.
    pub fn transport(&self) -> &MailTransport {
        &self.transport
    }

    /// Delivers and schedules until stopped through a [`StopHandle`]: a round of delivery as
    /// soon as one ends with more waiting, otherwise every `poll_interval`; the scheduler at
    /// start and every `schedule_interval`. Errors (the database away) are logged and retried.
    pub async fn run(self) {
        tracing::info!(transport = %self.transport.describe(), "the email worker is running");
        let mut next_schedule = Instant::now();
        let mut failing_rounds: u32 = 0;
        while !self.stopping.load(Ordering::SeqCst) {
            if Instant::now() >= next_schedule {
                match self.schedule().await {
                    Ok(queued) if queued > 0 => tracing::info!(queued, "scheduled emails queued"),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the email scheduler could not run; it will try again")
                    }
                }
                next_schedule = Instant::now() + self.settings.schedule_interval;
            }
            if let Err(error) = self.deliver_webhooks_due().await {
                tracing::warn!(%error, "webhooks could not be delivered this round; trying again");
            }
            let more_waiting = match self.deliver_due().await {
                Ok(round) => {
                    failing_rounds = 0;
                    round.claimed as i64 >= self.settings.batch_size && round.released == 0
                }
                Err(error) => {
                    failing_rounds = failing_rounds.saturating_add(1);
                    tracing::warn!(%error, "emails could not be delivered this round; trying again");
                    false
                }
            };
            if !more_waiting && !self.stopping.load(Ordering::SeqCst) {
                // While the database is away, look less often (up to every 30 seconds).
                let pause = self
                    .settings
                    .poll_interval
                    .saturating_mul(1 << failing_rounds.min(5))
                    .min(Duration::from_secs(30).max(self.settings.poll_interval));
                let _ = tokio::time::timeout(pause, self.wake.notified()).await;
            }
        }
        tracing::info!("the email worker stopped");
    }

    /// Queues the time-based emails due now (reminders, notes, notices, nudges); returns how
    /// many were queued.
    pub async fn schedule(&self) -> Result<usize> {
        let now = self.clock.now();
        let public_url = self.settings.public_url.clone();
        let queued = self
            .db
            .write_async(move |conn| scheduler::queue_due(conn, now, &public_url))
            .await?;
        // Expiry reaches the partners' change feed (and their webhooks) on the day it happens.
        let expired = self
            .db
            .write_async(move |conn| crate::service::register::record_expiries(conn, now))
            .await?;
        if expired > 0 {
            tracing::info!(expired, "certificate expiries recorded in the change feed");
        }
        Ok(queued.total())
    }

    /// One round: claims up to a batch of due messages and tries each once.
    pub async fn deliver_due(&self) -> Result<Round> {
        let started = Instant::now();
        let now = self.clock.now();
        let lease_until = stored(now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default());
        let batch = self.settings.batch_size;
        let claimed = self
            .db
            .write_async(move |conn| {
                delivery::claim_due(conn, delivery::EMAIL, stored(now), lease_until, batch)
            })
            .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        // Stop sending before a claim could run out mid-send and another worker take it too.
        let safe_for = self
            .settings
            .lease
            .saturating_sub(SMTP_TIMEOUT + Duration::from_secs(5))
            .max(self.settings.lease / 2);
        let mut unsent = claimed.into_iter().enumerate();
        while let Some((position, message)) = unsent.next() {
            let late = position > 0 && started.elapsed() > safe_for;
            if self.stopping.load(Ordering::SeqCst) || late {
                let mut back = vec![message.id];
                back.extend(unsent.map(|(_, m)| m.id));
                round.released = self
                    .db
                    .write_async(move |conn| delivery::release(conn, &back))
                    .await?;
                break;
            }
            match self.deliver(&message).await? {
                Outcome::Sent => round.sent += 1,
                Outcome::Retry(_) => round.retrying += 1,
                Outcome::Failed(_) => round.failed += 1,
                Outcome::Skipped(_) => round.skipped += 1,
            }
        }
        Ok(round)
    }

    /// One round of webhook deliveries: claims due `webhook` messages, posts each signed with
    /// its webhook's secret, and records the outcome with the same retries as email.
    pub async fn deliver_webhooks_due(&self) -> Result<Round> {
        let now = self.clock.now();
        let lease_until = stored(now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default());
        let batch = self.settings.batch_size;
        let claimed = self
            .db
            .write_async(move |conn| delivery::claim_due(conn, WEBHOOK, stored(now), lease_until, batch))
            .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        for message in claimed {
            let outcome = self.post_webhook(&message).await?;
            match &outcome {
                Outcome::Sent => round.sent += 1,
                Outcome::Retry(_) => round.retrying += 1,
                Outcome::Failed(_) => round.failed += 1,
                Outcome::Skipped(_) => round.skipped += 1,
            }
            self.record(&message, &outcome).await?;
        }
        Ok(round)
    }

    async fn post_webhook(&self, message: &OutboxMessage) -> Result<Outcome> {
        let payload: serde_json::Value = serde_json::from_str(&message.payload).unwrap_or_default();
        let webhook_id = payload["webhook_id"].as_str().unwrap_or_default().to_string();
        let webhook = self
            .db
            .read_async(move |conn| match crate::store::webhooks::get(conn, &webhook_id) {
                Ok(w) => Ok(Some(w)),
                Err(crate::Error::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            })
            .await?;
        let Some(webhook) = webhook.filter(|w| w.disabled_at.is_none()) else {
            return Ok(Outcome::Skipped("the webhook was removed".into()));
        };
        let now = self.clock.now();
        let posted = self
            .webhooks
            .post(
                &webhook.url,
                &webhook.secret,
                &message.idempotency_key,
                &payload["event"],
                now,
            )
            .await;
        Ok(match posted {
            Ok(()) => Outcome::Sent,
            // The URL itself is refused: trying again cannot help.
            Err(error @ PostError::Refused(_)) => Outcome::Failed(error.to_string()),
            Err(error) if now >= self.deadline(message) => Outcome::Failed(format!(
                "gave up after {} attempts; the last said: {error}",
                message.attempts
            )),
            Err(error) => Outcome::Retry(error.to_string()),
        })
    }

    async fn deliver(&self, message: &OutboxMessage) -> Result<Outcome> {
        let now = self.clock.now();
        let composed = {
            let templates = self.templates.clone();
            let from = self.from.clone();
            let queued = message.clone();
            self.db
                .read_async(move |conn| compose::compose(conn, &templates, &from, &queued, now))
                .await?
        };
        let outcome = match composed {
            Composition::Skip(reason) => Outcome::Skipped(reason),
            Composition::Fail(reason) => Outcome::Failed(reason),
            Composition::Ready(email) => match self.transport.send(&email.message, &email.file_stem).await {
                Ok(()) => Outcome::Sent,
                Err(error) if error.permanent => Outcome::Failed(error.message),
                Err(error) => {
                    if self.clock.now() >= self.deadline(message) {
                        Outcome::Failed(format!(
                            "gave up after {} attempts; the last said: {}",
                            message.attempts, error.message
                        ))
                    } else {
                        Outcome::Retry(error.message)
                    }
                }
            },
        };
        // Recording is retried for a while: a sent email whose outcome is lost would go again
        // once its lease ran out.
        let mut tries = 0;
        while let Err(error) = self.record(message, &outcome).await {
            tries += 1;
            if tries == 5 {
                return Err(error);
            }
            tracing::warn!(message = message.id, %error, "the outcome of an email could not be recorded; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(outcome)
    }

    /// When to stop retrying this message: its own `give_up_at`.
    fn deadline(&self, message: &OutboxMessage) -> DateTime<Utc> {
        utc(message.give_up_at)
    }

    async fn record(&self, message: &OutboxMessage, outcome: &Outcome) -> Result<()> {
        let id = message.id;
        let now = self.clock.now();
        let forget_secret = Email::from_template(&message.template)
            .is_some_and(|k| k.holds_secret())
            .then(|| "{}".to_string());
        let template = message.template.clone();
        match outcome {
            Outcome::Sent => {
                tracing::info!(message = id, %template, attempts = message.attempts, "email sent");
                self.db
                    .write_async(move |conn| {
                        delivery::mark_sent(conn, id, stored(now), forget_secret.as_deref())
                    })
                    .await?;
            }
            Outcome::Skipped(reason) => {
                tracing::info!(message = id, %template, %reason, "email not sent");
                let reason = reason.clone();
                self.db
                    .write_async(move |conn| {
                        delivery::mark_skipped(conn, id, &reason, forget_secret.as_deref())
                    })
                    .await?;
            }
            Outcome::Failed(error) => {
                tracing::error!(message = id, %template, attempts = message.attempts, %error, "email failed for good");
                let error = error.clone();
                self.db
                    .write_async(move |conn| {
                        delivery::mark_failed(conn, id, &error, forget_secret.as_deref())
                    })
                    .await?;
            }
            Outcome::Retry(error) => {
                let wait = self.settings.retry.delay_after(message.attempts);
                let next =
                    (now + chrono::Duration::from_std(wait).unwrap_or_default()).min(self.deadline(message));
                tracing::warn!(message = id, %template, attempts = message.attempts, retry_in_seconds = wait.as_secs_f64(), %error, "email not delivered; will retry");
                let error = error.clone();
                let next: NaiveDateTime = stored(next);
                self.db
                    .write_async(move |conn| delivery::schedule_retry(conn, id, &error, next))
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_start_within_seconds_and_are_never_more_than_ten_minutes_apart() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=12).map(|n| policy.delay_after(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600, 600]);
        assert_eq!(policy.delay_after(10_000), Duration::from_secs(600));
        assert_eq!(policy.delay_after(0), Duration::from_secs(5));
    }
}

//! Webhooks over real HTTP on both databases: a partner's receiver on loopback gets exactly the
//! change events its organisation may see, each signed as Standard Webhooks 1.0 says (checked
//! here independently; `.ci/credential-check` checks them with the reference `standardwebhooks`
//! library), in order, once, also when the receiver was down for a while.
//!
//! Loopback is allowed there only because the harness allows private destinations. With the
//! default rules, webhooks to this machine, private networks or cloud metadata are refused when
//! registered, and a delivery whose name leads there by then is not made; nor is a redirect
//! followed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use peertrack_core::domain::SystemClock;
use peertrack_core::notify::destination::DestinationPolicy;
use peertrack_core::store;
use peertrack_core::store::outbox::OutboxMessage;
use peertrack_core::worker::transport::MailTransport;
use peertrack_e2e::mail::quick_settings;
use peertrack_e2e::scenario::{eligible_learner, organisation, partner};
use peertrack_e2e::{e2e_on_both_backends, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One delivery as received: its headers (names in lower case) and body.
type Delivery = (Vec<(String, String)>, String);

/// A webhook receiver on loopback that keeps what it is sent, or answers 503 while "down".
#[derive(Clone, Default)]
struct Receiver {
    /// Each delivery's headers (names in lower case) and body.
    received: Arc<Mutex<Vec<Delivery>>>,
    down: Arc<AtomicBool>,
    refused: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/peertrack", listener.local_addr().unwrap());
        let me = self.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    let (head, body) = loop {
                        let read = socket.read(&mut buffer).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..read]);
                        let text = String::from_utf8_lossy(&request).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let head = text[..end].to_string();
                            let length: usize = head
                                .lines()
                                .find_map(|l| {
                                    l.to_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if request.len() >= end + 4 + length {
                                break (
                                    head,
                                    String::from_utf8_lossy(&request[end + 4..end + 4 + length]).to_string(),
                                );
                            }
                        }
                    };
                    let answer = if me.down.load(Ordering::SeqCst) {
                        *me.refused.lock().unwrap() += 1;
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    } else {
                        let headers = head
                            .lines()
                            .skip(1)
                            .filter_map(|l| l.split_once(':'))
                            .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_string()))
                            .collect();
                        me.received.lock().unwrap().push((headers, body));
                        "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                    };
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        url
    }
}

/// The receiver's own check, as Standard Webhooks 1.0 says: HMAC-SHA256 keyed with the
/// secret's base64 part decoded, over "<webhook-id>.<webhook-timestamp>.<body>", in
/// `webhook-signature` as `v1,<base64>`; timestamps more than five minutes away are refused.
fn signature_is_valid(secret: &str, headers: &[(String, String)], body: &str) -> bool {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    if id.is_empty() {
        return false;
    }
    let age = Utc::now().timestamp() - timestamp.parse::<i64>().unwrap_or(0);
    if !(-300..300).contains(&age) {
        return false;
    }
    let Ok(key) = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header("webhook-signature").split(' ').any(|s| s == expected)
}

async fn webhooks_deliver_signed_events_once_and_survive_receiver_downtime(server: &TestServer) {
    let receiver = Receiver::default();
    receiver.down.store(true, Ordering::SeqCst);
    let url = receiver.start().await;

    let partner_id = organisation(server, "Penumbra HR").await;
    let id = partner_id.clone();
    let key = server
        .database
        .db
        .write_async(move |conn| {
            Ok(store::tokens::create_api_key(conn, &id, "HR", store::stored(Utc::now()))?.0)
        })
        .await
        .unwrap();
    let registered = server
        .http
        .post(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let webhook: Value = registered.json().await.unwrap();
    let secret = webhook["secret"].as_str().unwrap().to_string();
    let listed: Value = server
        .http
        .get(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"][0]["secret"],
        Value::Null,
        "the secret is shown once"
    );

    // A learner who shares with the partner, then has their certificate revoked; another who
    // never shares with it.
    let sharer = eligible_learner(server, "P2P", "w1").await;
    let (_, certificate) = sharer.certify(server).await;
    server
        .call(
            &sharer.learner,
            Method::PUT,
            &format!("/v1/me/consents/{partner_id}"),
            None,
        )
        .await;
    let certificate_id = certificate["id"].as_str().unwrap();
    server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/certificates/{certificate_id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    let stranger = eligible_learner(server, "P2P", "w2").await;
    stranger.certify(server).await;

    // The receiver is down: deliveries are refused and retried.
    let mail = tempfile::tempdir().unwrap();
    let mut settings = quick_settings(server);
    settings.webhook_destinations = DestinationPolicy::AllowPrivate;
    let worker = server.start_worker(MailTransport::new(None, mail.path()).unwrap(), settings);
    let started = std::time::Instant::now();
    while *receiver.refused.lock().unwrap() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the worker keeps trying while the receiver is down"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.down.store(false, Ordering::SeqCst);
    let started = std::time::Instant::now();
    while receiver.received.lock().unwrap().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "every event arrives once the receiver is back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    worker.stop().await;

    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "each event once: {received:?}");
    // Retries are independent, so after an outage events may arrive in any order; each says
    // its place in the change feed (`position`), which is the order they happened in.
    let mut events: Vec<Value> = received
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    events.sort_by_key(|e| e["position"].as_i64());
    assert_eq!(events[0]["kind"], "consent.granted");
    assert_eq!(events[1]["kind"], "certificate.revoked");
    assert!(events[0]["position"].as_i64() < events[1]["position"].as_i64());
    assert!(secret.starts_with("whsec_"), "{secret}");
    let wrong = format!("whsec_{}", STANDARD.encode([7u8; 32]));
    for (headers, body) in &received {
        assert!(
            signature_is_valid(&secret, headers, body),
            "headers {headers:?} for {body}"
        );
        assert!(!signature_is_valid(&wrong, headers, body));
    }
    // Each event has its own id, the same on every retry of it.
    assert_ne!(
        received[0].0.iter().find(|(n, _)| n == "webhook-id"),
        received[1].0.iter().find(|(n, _)| n == "webhook-id")
    );
    assert!(
        events.iter().all(|e| e["person_id"] == sharer.person_id.as_str()),
        "nothing about the stranger"
    );
    let webhook_rows: Vec<_> = server
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.channel == "webhook")
        .collect();
    assert!(
        webhook_rows.iter().all(|m| m.status == "sent"),
        "{webhook_rows:?}"
    );
    assert!(webhook_rows.iter().any(|m| m.attempts > 1), "some were retried");

    // Removed webhooks receive nothing more.
    let webhook_id = webhook["id"].as_str().unwrap();
    let removed = server
        .http
        .delete(server.url(&format!("/v1/webhooks/{webhook_id}")))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let listed: Value = server
        .http
        .get(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty());
}

/// A listener on loopback that counts the connections made to it and answers each with
/// `answer`; returns its port and the count.
async fn counting_listener(answer: String) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, connections)
}

/// Stores a webhook as if it had been registered when its URL was acceptable: when its name
/// led elsewhere (a name can be pointed anywhere later), or before these rules.
async fn stored_webhook(server: &TestServer, organisation_id: &str, url: String) -> String {
    let webhook = store::webhooks::Webhook {
        id: store::new_id(),
        organisation_id: organisation_id.to_string(),
        url,
        secret: store::tokens::new_secret("whsec"),
        created_at: store::stored(Utc::now()),
        disabled_at: None,
    };
    let id = webhook.id.clone();
    server
        .database
        .db
        .write_async(move |conn| store::webhooks::create(conn, &webhook))
        .await
        .unwrap();
    id
}

/// Someone shares with the organisation, which queues a `consent.granted` event for each of
/// its webhooks.
async fn share_with(server: &TestServer, organisation_id: &str, email: &str) {
    let (_, token) = server.person_with_token(email, "Rowan Peer").await;
    let (status, body) = server
        .call(
            &token,
            Method::PUT,
            &format!("/v1/me/consents/{organisation_id}"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Waits until `done` holds for the webhook deliveries in the outbox; returns them.
async fn wait_for_deliveries(
    server: &TestServer,
    done: impl Fn(&[OutboxMessage]) -> bool,
) -> Vec<OutboxMessage> {
    let started = std::time::Instant::now();
    loop {
        let deliveries: Vec<OutboxMessage> = server
            .outbox()
            .await
            .into_iter()
            .filter(|m| m.channel == "webhook")
            .collect();
        if done(&deliveries) {
            return deliveries;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the deliveries did not get there: {deliveries:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn delivery_to<'a>(deliveries: &'a [OutboxMessage], url: &str) -> &'a OutboxMessage {
    deliveries
        .iter()
        .find(|m| m.recipient == url)
        .unwrap_or_else(|| panic!("no delivery to {url}: {deliveries:#?}"))
}

async fn webhooks_to_this_machine_or_private_networks_are_refused_when_registered(server: &TestServer) {
    let (_, key) = partner(server, "Penumbra HR").await;
    for (url, says) in [
        (
            "https://127.0.0.1/hooks",
            "127.0.0.1 is an address on Peertrack's own machine",
        ),
        ("https://127.0.0.1:8080/hooks", "loopback"),
        (
            "https://0x7f.1/hooks",
            "127.0.0.1 is an address on Peertrack's own machine",
        ),
        (
            "https://10.0.0.1/hooks",
            "10.0.0.1 is an address on a private network",
        ),
        ("https://192.168.1.20/hooks", "private network"),
        ("https://100.64.0.1/hooks", "carrier-grade NAT"),
        (
            "https://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is an address where cloud servers keep their metadata",
        ),
        (
            "https://[::1]/hooks",
            "[::1] is an address on Peertrack's own machine",
        ),
        ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("https://[fd00::1]/hooks", "private network"),
        ("https://0.0.0.0/hooks", "unspecified"),
        ("http://localhost/hooks", "must be an https:// address"),
        ("http://hr.example.org/hooks", "must be an https:// address"),
        // A name is judged by what it resolves to: localhost is this machine.
        ("https://localhost/hooks", "localhost leads to"),
        ("https://localhost:8443/hooks", "loopback"),
    ] {
        let response = server
            .http
            .post(server.url("/v1/webhooks"))
            .header("X-Api-Key", &key)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{url}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{url}: {message}");
    }
    let listed: Value = server
        .http
        .get(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]), "nothing was registered");

    // A public https:// address is fine (a name that does not resolve yet is checked again at
    // each delivery).
    let response = server
        .http
        .post(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .json(&json!({ "url": "https://hr.penumbra.example.org/peertrack" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn a_delivery_whose_destination_leads_to_this_machine_is_not_made(server: &TestServer) {
    let (port, connections) =
        counting_listener("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".into()).await;
    let (partner_id, _) = partner(server, "Penumbra HR").await;
    let by_name = format!("https://localhost:{port}/hooks");
    let by_address = format!("http://127.0.0.1:{port}/hooks");
    stored_webhook(server, &partner_id, by_name.clone()).await;
    stored_webhook(server, &partner_id, by_address.clone()).await;
    share_with(server, &partner_id, "rowan@example.org").await;

    let mail = tempfile::tempdir().unwrap();
    let settings = quick_settings(server);
    assert_eq!(settings.webhook_destinations, DestinationPolicy::PublicOnly);
    let worker = server.start_worker(MailTransport::new(None, mail.path()).unwrap(), settings);
    let deliveries = wait_for_deliveries(server, |deliveries| {
        deliveries.len() == 2
            && deliveries
                .iter()
                .any(|m| m.recipient == by_name && m.attempts >= 3)
            && deliveries
                .iter()
                .any(|m| m.recipient == by_address && m.status == "failed")
    })
    .await;
    worker.stop().await;

    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing connected to this machine"
    );
    // The name may lead somewhere else later: it is tried again, until its deadline.
    let named = delivery_to(&deliveries, &by_name);
    assert_eq!(named.status, "pending", "{named:?}");
    let reason = named.last_error.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("not sent: localhost leads to") && reason.contains("loopback"),
        "{reason}"
    );
    // An address written in the URL never changes: it fails at once.
    let addressed = delivery_to(&deliveries, &by_address);
    assert_eq!(addressed.attempts, 1, "{addressed:?}");
    let reason = addressed.last_error.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("not sent: the webhook's URL must be an https:// address"),
        "{reason}"
    );
}

async fn redirects_are_not_followed(server: &TestServer) {
    // The redirect points at a second listener, as one could point at anything inside.
    let (inside, reached_inside) =
        counting_listener("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".into()).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{inside}/admin\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (outside, reached_outside) = counting_listener(redirect).await;
    let (partner_id, key) = partner(server, "Penumbra HR").await;
    // By name, so that the name goes through the checking resolver and its port is kept.
    let url = format!("http://localhost:{outside}/hooks");
    let registered = server
        .http
        .post(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201, "private destinations are allowed here");
    share_with(server, &partner_id, "rowan@example.org").await;

    let mail = tempfile::tempdir().unwrap();
    let mut settings = quick_settings(server);
    settings.webhook_destinations = DestinationPolicy::AllowPrivate;
    let worker = server.start_worker(MailTransport::new(None, mail.path()).unwrap(), settings);
    let deliveries =
        wait_for_deliveries(server, |deliveries| deliveries.iter().any(|m| m.attempts >= 2)).await;
    worker.stop().await;

    assert!(
        reached_outside.load(Ordering::SeqCst) >= 2,
        "the name was resolved and posted to"
    );
    assert_eq!(
        reached_inside.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    let delivery = delivery_to(&deliveries, &url);
    assert_eq!(delivery.status, "pending");
    let reason = delivery.last_error.as_deref().unwrap_or_default();
    assert!(
        reason.contains("307") && reason.contains("redirects are not followed"),
        "{reason}"
    );
}

async fn cloud_metadata_is_refused_even_where_private_networks_are_allowed(server: &TestServer) {
    let (_, key) = partner(server, "Penumbra HR").await;
    let register = |url: String| {
        let request = server
            .http
            .post(server.url("/v1/webhooks"))
            .header("X-Api-Key", &key)
            .json(&json!({ "url": url }));
        async move { request.send().await.unwrap() }
    };
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://168.63.129.16/machine?comp=goalstate",
        "http://100.100.100.200/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata.goog/computeMetadata/v1/",
        "http://[fd20:ce::254]/computeMetadata/v1/",
        "http://192.0.0.192/opc/v1/instance/",
        "http://[fd00:c1::a9fe:a9fe]/opc/v2/instance/",
        "http://[::ffff:100.100.100.200]/",
    ] {
        let response = register(url.to_string()).await;
        assert_eq!(response.status(), 422, "{url}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("metadata"), "{url}: {message}");
    }
    // The setting still allows what it is for: a partner on the same private network.
    assert_eq!(register("http://10.1.2.3/hooks".into()).await.status(), 201);
}

async fn secrets_in_a_webhook_url_are_never_shown(server: &TestServer) {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (partner_id, key) = partner(server, "Penumbra HR").await;
    let url = format!("http://hr:Pa55word@127.0.0.1:{closed_port}/hooks?token=s3cretToken&v=2");
    let shown = format!("http://REDACTED@127.0.0.1:{closed_port}/hooks?token=REDACTED&v=REDACTED");
    let registered: Value = server
        .http
        .post(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["url"], shown.as_str(), "{registered}");
    let listed: Value = server
        .http
        .get(server.url("/v1/webhooks"))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["url"], shown.as_str(), "{listed}");

    // A row written before redaction, with the URL in it and in its error, shows redacted too.
    let old_url = url.clone();
    server
        .database
        .db
        .write_async(move |conn| {
            let now = store::stored(Utc::now());
            store::outbox::enqueue(
                conn,
                &store::outbox::NewMessage {
                    idempotency_key: "webhook:old:1".into(),
                    channel: "webhook".into(),
                    template: "register_change".into(),
                    recipient: old_url.clone(),
                    person_id: None,
                    payload: json!({ "webhook_id": "gone", "event": {} }),
                    give_up_at: now + chrono::Duration::days(3),
                },
                now,
            )?;
            let id = store::delivery::by_key(conn, "webhook:old:1")?.unwrap().id;
            let error = format!("could not reach the webhook: error sending request for url ({old_url})");
            store::delivery::schedule_retry(conn, id, &error, now + chrono::Duration::days(1))
        })
        .await
        .unwrap();

    share_with(server, &partner_id, "rowan@example.org").await;
    let mail = tempfile::tempdir().unwrap();
    let mut settings = quick_settings(server);
    settings.webhook_destinations = DestinationPolicy::AllowPrivate;
    let worker = server.start_worker(MailTransport::new(None, mail.path()).unwrap(), settings);
    wait_for_deliveries(server, |deliveries| {
        deliveries.iter().any(|m| {
            m.template == "register_change"
                && m.attempts >= 1
                && m.last_error.is_some()
                && m.idempotency_key != "webhook:old:1"
        })
    })
    .await;
    worker.stop().await;

    let (status, outbox) = server
        .call(&server.admin_token, Method::GET, "/v1/outbox", None)
        .await;
    assert_eq!(status, 200, "{outbox}");
    let deliveries: Vec<&Value> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["template"] == "register_change")
        .collect();
    assert_eq!(deliveries.len(), 2, "{outbox}");
    for delivery in deliveries {
        assert_eq!(delivery["recipient"], shown.as_str(), "{delivery}");
        let error = delivery["last_error"].as_str().unwrap();
        assert!(error.starts_with("could not reach the webhook"), "{error}");
        for secret in ["Pa55word", "s3cretToken", "hr:"] {
            assert!(!error.contains(secret), "{error}");
        }
    }
    let text = outbox.to_string();
    assert!(
        !text.contains("Pa55word") && !text.contains("s3cretToken"),
        "{text}"
    );
}

e2e_on_both_backends!(
    webhooks_deliver_signed_events_once_and_survive_receiver_downtime,
    redirects_are_not_followed,
    cloud_metadata_is_refused_even_where_private_networks_are_allowed,
    secrets_in_a_webhook_url_are_never_shown,
);

/// A server with the default webhook rules, as production runs, rather than the harness's.
async fn server_with_default_webhook_rules(backend: Backend) -> Option<TestServer> {
    TestServer::start_with_settings(backend, Arc::new(SystemClock), &[]).await
}

mod with_default_rules {
    use super::*;

    e2e_on_both_backends!(
        start = server_with_default_webhook_rules;
        webhooks_to_this_machine_or_private_networks_are_refused_when_registered,
        a_delivery_whose_destination_leads_to_this_machine_is_not_made,
    );
}

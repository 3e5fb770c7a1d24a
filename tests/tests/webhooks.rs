//! Webhooks over real HTTP on both databases: a partner's receiver on loopback gets exactly the
//! change events its organisation may see, each signed with HMAC-SHA256 (checked here
//! independently), in order, once, also when the receiver was down for a while.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use peertrack_core::notify::transport::MailTransport;
use peertrack_core::store;
use peertrack_e2e::mail::quick_settings;
use peertrack_e2e::scenario::{eligible_learner, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A webhook receiver on loopback that keeps what it is sent, or answers 503 while "down".
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<(String, String)>>>,
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
                        let signature = head
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("peertrack-signature: ")
                                    .or_else(|| l.strip_prefix("Peertrack-Signature: "))
                            })
                            .unwrap_or_default()
                            .to_string();
                        me.received.lock().unwrap().push((signature, body));
                        "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                    };
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        url
    }
}

/// The receiver's own check: HMAC-SHA256 over "<t>.<body>" with the secret, as documented.
fn signature_is_valid(secret: &str, header: &str, body: &str) -> bool {
    let mut timestamp = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = Some(value.to_string()),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    let (Some(timestamp), Some(v1)) = (timestamp, v1) else {
        return false;
    };
    let age = Utc::now().timestamp() - timestamp.parse::<i64>().unwrap_or(0);
    if !(0..300).contains(&age) {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
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
            Ok(store::access::create_api_key(conn, &id, "HR", store::stored(Utc::now()))?.0)
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
    let (_, certificate) = server
        .call(
            &sharer.tutor,
            Method::POST,
            "/v1/certificates",
            Some(json!({"person_id": sharer.person_id, "cohort_id": sharer.cohort_id})),
        )
        .await;
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
    server
        .call(
            &stranger.tutor,
            Method::POST,
            "/v1/certificates",
            Some(json!({"person_id": stranger.person_id, "cohort_id": stranger.cohort_id})),
        )
        .await;

    // The receiver is down: deliveries are refused and retried.
    let mail = tempfile::tempdir().unwrap();
    let worker = server.start_worker(
        MailTransport::new(None, mail.path()).unwrap(),
        quick_settings(server),
    );
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
    let events: Vec<Value> = received
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(events[0]["kind"], "consent.granted");
    assert_eq!(events[1]["kind"], "certificate.revoked");
    assert!(events[0]["position"].as_i64() < events[1]["position"].as_i64());
    for (signature, body) in &received {
        assert!(
            signature_is_valid(&secret, signature, body),
            "signature {signature} for {body}"
        );
        assert!(!signature_is_valid("whsec_wrong", signature, body));
    }
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

e2e_on_both_backends!(webhooks_deliver_signed_events_once_and_survive_receiver_downtime);

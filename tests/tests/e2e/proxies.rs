//! Behind a reverse proxy: the per-client limits count the address a trusted proxy forwarded,
//! and cookies are `Secure` when it says the browser used `https`; from a peer that is not a
//! trusted proxy the same headers change nothing.

use std::sync::Arc;

use diesel::RunQueryDsl;
use peertrack_core::domain::SystemClock;
use peertrack_e2e::{Backend, TestServer};
use reqwest::StatusCode;

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

/// Sends 30 unknown verification codes as `client` (through the proxy's header), then one more;
/// returns the status of the last.
async fn guess_as(server: &TestServer, forwarded_for: &str, tries: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for n in 0..tries {
        let response = server
            .http
            .get(server.url(&format!("/v1/verify/ZZZZ-ZZZZ-{n:04}")))
            .header("x-forwarded-for", forwarded_for)
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    statuses
}

/// The `Set-Cookie` of the welcome page (the form cookie), asked for with `proto`.
async fn form_cookie(server: &TestServer, proto: Option<&str>) -> String {
    let mut request = server.http.get(server.url("/"));
    if let Some(proto) = proto {
        request = request.header("x-forwarded-proto", proto);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("peertrack_form="))
        .expect("the welcome page sets its form cookie")
}

mod trusted {
    use super::*;

    async fn behind_proxy(backend: Backend) -> Option<TestServer> {
        // The tests' client connects from 127.0.0.1: it stands for the proxy.
        TestServer::start_with_settings(
            backend,
            Arc::new(SystemClock),
            &[
                ("PEERTRACK_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
                ("PEERTRACK_METRICS_TOKEN", METRICS_TOKEN),
            ],
        )
        .await
    }

    /// Two clients behind the same proxy are limited separately, and the address a client
    /// writes into its own `X-Forwarded-For` (left of what the proxy appended) is not believed.
    async fn clients_behind_a_trusted_proxy_are_limited_separately(server: &TestServer) {
        let first = guess_as(server, "198.51.100.1", 31).await;
        assert!(
            first[..30].iter().all(|s| *s == StatusCode::NOT_FOUND),
            "{first:?}"
        );
        assert_eq!(first[30], StatusCode::TOO_MANY_REQUESTS);
        let other = guess_as(server, "198.51.100.2", 1).await;
        assert_eq!(other, [StatusCode::NOT_FOUND], "another client is not limited");
        // The limited client claims another address; the proxy appended the real one.
        let spoofed = guess_as(server, "203.0.113.99, 198.51.100.1", 1).await;
        assert_eq!(spoofed, [StatusCode::TOO_MANY_REQUESTS]);
        // An inner proxy of ours (10.0.0.0/8) is skipped.
        let inner = guess_as(server, "198.51.100.1, 10.1.2.3", 1).await;
        assert_eq!(inner, [StatusCode::TOO_MANY_REQUESTS]);
    }

    async fn the_proxy_decides_whether_cookies_are_secure(server: &TestServer) {
        let https = form_cookie(server, Some("https")).await;
        assert!(https.contains("; Secure") || https.contains(";Secure"), "{https}");
        let http = form_cookie(server, Some("http")).await;
        assert!(!http.contains("Secure"), "{http}");
        let untold = form_cookie(server, None).await;
        assert!(!untold.contains("Secure"), "the public URL is http: {untold}");
    }

    /// `/metrics` answers only its token, in the Prometheus text format, with the request
    /// histogram by route template; `/ready` answers once the database is migrated.
    async fn metrics_and_readiness(server: &TestServer) {
        let ready = server.http.get(server.url("/ready")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        // A request with an id in its path, to see its label.
        let unknown = server
            .http
            .get(server.url("/v1/verify/ABCD-EFGH-JKLM"))
            .header("x-forwarded-for", "198.51.100.50")
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        for wrong in [None, Some("Bearer not-the-metrics-token"), Some(METRICS_TOKEN)] {
            let mut request = server.http.get(server.url("/metrics"));
            if let Some(value) = wrong {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{wrong:?}");
        }
        let response = server
            .http
            .get(server.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        let text = response.text().await.unwrap();
        assert!(
            text.contains("# TYPE peertrack_http_request_duration_seconds histogram"),
            "{text}"
        );
        let verify_bucket = text
            .lines()
            .find(|l| {
                l.starts_with("peertrack_http_request_duration_seconds_bucket")
                    && l.contains("route=\"/v1/verify/{code}\"")
            })
            .unwrap_or_else(|| panic!("no bucket labelled with the verify route's template:\n{text}"));
        assert!(verify_bucket.contains("le=\""), "{verify_bucket}");
        assert!(!text.contains("ABCD-EFGH-JKLM"), "no code in a label");
        for series in [
            "peertrack_outbox_messages{channel=\"email\",status=\"pending\"}",
            "peertrack_outbox_oldest_due_age_seconds",
            "peertrack_access_log_backlog",
            "peertrack_webhook_deliveries{outcome=\"sent\"}",
            "peertrack_db_pool_connections{state=\"in_use\"}",
            "peertrack_db_pool_max_connections",
        ] {
            assert!(text.contains(series), "{series} missing:\n{text}");
        }
        // A build newer than its database (a migration not applied) is not ready; still alive.
        server
            .database
            .db
            .write(|conn| {
                diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261207000500'")
                    .execute(conn)?;
                Ok(())
            })
            .unwrap();
        let ready = server.http.get(server.url("/ready")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready.headers()["content-type"], "application/problem+json");
        let health = server.http.get(server.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }

    peertrack_e2e::e2e_on_both_backends!(
        start = behind_proxy;
        metrics_and_readiness,
        clients_behind_a_trusted_proxy_are_limited_separately,
        the_proxy_decides_whether_cookies_are_secure,
    );
}

mod untrusted {
    use super::*;

    /// With no trusted proxy, a client cannot escape its limit by naming other addresses.
    async fn forwarded_headers_from_anyone_else_are_ignored(server: &TestServer) {
        for n in 0..30 {
            let statuses = guess_as(server, &format!("198.51.100.{n}"), 1).await;
            assert_eq!(statuses, [StatusCode::NOT_FOUND]);
        }
        let last = guess_as(server, "192.0.2.200", 1).await;
        assert_eq!(
            last,
            [StatusCode::TOO_MANY_REQUESTS],
            "the TCP peer is the client"
        );
        let cookie = form_cookie(server, Some("https")).await;
        assert!(!cookie.contains("Secure"), "{cookie}");
        // No metrics token set: no metrics, whatever is sent.
        let metrics = server
            .http
            .get(server.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(metrics.status(), StatusCode::NOT_FOUND);
    }

    peertrack_e2e::e2e_on_both_backends!(forwarded_headers_from_anyone_else_are_ignored);
}

//! `GET /metrics` (Prometheus text format, rendered by `metrics-exporter-prometheus`) and
//! `GET /ready`.
//!
//! `/metrics` exists only when `PEERTRACK_METRICS_TOKEN` is set, and answers only
//! `Authorization: Bearer <that token>`; anyone else gets 404 as for any unknown path. With
//! `PEERTRACK_METRICS_LISTEN` it is also served, without a token, on that (private) address
//! alone. It has:
//!
//! - `peertrack_http_request_duration_seconds` (histogram, with `_bucket` series): every
//!   request by method, route template (`/v1/people/:id`, never an id or a code) and status;
//! - `peertrack_outbox_messages{channel, status}`, `peertrack_outbox_oldest_due_age_seconds`:
//!   emails and webhook deliveries waiting, sent, failed or skipped, and how long the oldest due
//!   one has waited (a rising figure means delivery is stuck);
//! - `peertrack_webhook_deliveries{outcome}`: webhook deliveries by outcome;
//! - `peertrack_access_log_backlog`: register answers whose look-ups are not yet in each
//!   person's access log;
//! - `peertrack_db_pool_connections{state}` and `peertrack_db_pool_max_connections`.
//!
//! The outbox and access-log figures are read from the database at each scrape, so they are the
//! same on every instance; the request figures and the pool are this instance's own.
//!
//! `/ready` answers 200 when the database answers and has every migration this build knows, and
//! 503 otherwise (take the instance out of rotation); `/health` stays the liveness check. Both
//! are outside the partner API's OpenAPI document, like `/docs`.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use peertrack_core::store::{self, operations};
use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

use crate::problem::Problem;
use crate::server::AppState;

/// The request histogram's name.
pub const REQUEST_DURATION: &str = "peertrack_http_request_duration_seconds";

/// The outbox's statuses.
const STATUSES: [&str; 4] = ["pending", "sent", "failed", "skipped"];

/// Buckets of the request histogram, in seconds: from a cached answer to a slow export.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use (once per process: tests start many servers).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_string()), BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness): then this one only renders
        // what is recorded through it, and the request figures stay empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Installs the recorder, so that requests are counted from the first.
pub fn install() {
    handle();
}

/// Times every request into the histogram, labelled by its route template.
pub async fn record_request<E: Endpoint>(next: Arc<E>, request: Request) -> poem::Result<Response> {
    let started = Instant::now();
    // A client may send any method name; only the known ones get series of their own.
    let method = match request.method().as_str() {
        known @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => known.to_string(),
        _ => "other".to_string(),
    };
    let result = next.call(request).await.map(IntoResponse::into_response);
    let (status, pattern) = match &result {
        Ok(response) => (response.status(), response.data::<poem::PathPattern>().cloned()),
        Err(error) => (error.status(), error.data::<poem::PathPattern>().cloned()),
    };
    // Unknown paths are one route, so that scanning for paths cannot make new series.
    let route = pattern.map_or_else(|| "unmatched".to_string(), |p| route_label(&p.0));
    metrics::histogram!(
        REQUEST_DURATION,
        "method" => method,
        "route" => route,
        "status" => status.as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    result
}

/// The label of a matched route: the OpenAPI document's template for an API operation
/// (`/v1/verify/{code}`, where poem's own pattern says `/v1/verify/:param0`), else poem's
/// pattern (`/people/:id`). Either way, never the id itself.
fn route_label(pattern: &str) -> String {
    static TEMPLATES: OnceLock<Vec<String>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        serde_json::from_str::<serde_json::Value>(crate::server::openapi_json())
            .ok()
            .and_then(|document| {
                document["paths"]
                    .as_object()
                    .map(|paths| paths.keys().cloned().collect())
            })
            .unwrap_or_default()
    });
    let segments: Vec<&str> = pattern.split('/').collect();
    let same = |template: &&String| {
        let theirs: Vec<&str> = template.split('/').collect();
        theirs.len() == segments.len()
            && theirs.iter().zip(&segments).all(|(t, p)| {
                let (t_param, p_param) = (t.starts_with('{'), p.starts_with(':') || p.starts_with('*'));
                if t_param || p_param {
                    t_param && p_param
                } else {
                    t == p
                }
            })
    };
    templates
        .iter()
        .find(same)
        .cloned()
        .unwrap_or_else(|| pattern.to_string())
}

/// `GET /metrics`.
#[poem::handler]
pub async fn metrics_endpoint(state: poem::web::Data<&AppState>, request: &Request) -> Response {
    let sent = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if state.config.metrics_token.is_none() || !state.config.is_metrics_token(sent.trim()) {
        // The same answer as for any unknown path: nothing says there are metrics here.
        return problem(StatusCode::NOT_FOUND, "There is nothing at this address.");
    }
    render(&state).await
}

/// `GET /metrics` on the private listener (`PEERTRACK_METRICS_LISTEN`): no token asked.
#[poem::handler]
pub async fn private_metrics_endpoint(state: poem::web::Data<&AppState>) -> Response {
    render(&state).await
}

/// The private listener's application: `GET /metrics` and nothing else.
pub fn private_app(state: AppState) -> impl Endpoint {
    install();
    poem::Route::new()
        .at("/metrics", poem::get(private_metrics_endpoint))
        .data(state)
}

/// The figures in the Prometheus text format.
async fn render(state: &AppState) -> Response {
    let db = state.db.clone();
    let now = store::stored(chrono::Utc::now());
    match db.read_async(move |conn| operations::figures(conn, now)).await {
        Ok(figures) => {
            let count_of = |channel: &str, status: &str| {
                figures
                    .outbox
                    .iter()
                    .filter(|(c, s, _)| c == channel && s == status)
                    .map(|(_, _, count)| *count as f64)
                    .sum::<f64>()
            };
            // Every known channel and status, 0 included, so that a status no longer held is
            // 0 rather than the last figure seen; and any other that the outbox holds.
            let mut series: Vec<(String, String)> = ["email", "webhook"]
                .iter()
                .flat_map(|c| STATUSES.iter().map(move |s| (c.to_string(), s.to_string())))
                .collect();
            for (channel, status, _) in &figures.outbox {
                if !series.iter().any(|(c, s)| c == channel && s == status) {
                    series.push((channel.clone(), status.clone()));
                }
            }
            for (channel, status) in series {
                let count = count_of(&channel, &status);
                metrics::gauge!("peertrack_outbox_messages", "channel" => channel, "status" => status)
                    .set(count);
            }
            for outcome in STATUSES {
                metrics::gauge!("peertrack_webhook_deliveries", "outcome" => outcome)
                    .set(count_of("webhook", outcome));
            }
            metrics::gauge!("peertrack_outbox_oldest_due_age_seconds").set(figures.oldest_due_seconds);
            metrics::gauge!("peertrack_access_log_backlog").set(figures.access_log_backlog as f64);
        }
        Err(error) => tracing::warn!(%error, "the outbox figures could not be read"),
    }
    let (open, idle, max) = state.db.pool_state();
    metrics::gauge!("peertrack_db_pool_connections", "state" => "in_use")
        .set(f64::from(open - idle.min(open)));
    metrics::gauge!("peertrack_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("peertrack_db_pool_max_connections").set(f64::from(max));
    handle()
        .render()
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .with_header(poem::http::header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// `GET /ready`.
#[poem::handler]
pub async fn ready_endpoint(state: poem::web::Data<&AppState>) -> Response {
    let db = state.db.clone();
    let checked = tokio::task::spawn_blocking(move || db.pending_migrations()).await;
    match checked {
        Ok(Ok(0)) => serde_json::json!({ "status": "ready" })
            .to_string()
            .with_content_type("application/json")
            .into_response(),
        Ok(Ok(pending)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("The database has {pending} migrations to apply before this instance can serve."),
        ),
        _ => problem(StatusCode::SERVICE_UNAVAILABLE, "The database is not answering."),
    }
}

fn problem(status: StatusCode, detail: &str) -> Response {
    serde_json::to_vec(&Problem::new(status, detail))
        .unwrap_or_default()
        .with_status(status)
        .with_content_type("application/problem+json")
        .into_response()
}

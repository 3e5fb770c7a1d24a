//! The HTTP service: the OpenAPI operations, the docs, and the middleware around them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use peertrack_core::domain::Clock;
use peertrack_core::store::Database;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;
use tracing::Instrument;

use crate::config::Config;
use crate::connection_deadlines::{DeadlineAcceptor, Timeouts};
use crate::problem::{problem_for_poem_error, Problem};
pub use crate::rate_limit::Limits;
use crate::routes;
use peertrack_core::credential::KeyRing;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// The clock; fixed in tests.
    pub clock: Arc<dyn Clock>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The keys that sign credentials.
    pub keys: Arc<KeyRing>,
    /// Per-client limits.
    pub limits: Arc<Limits>,
}

impl AppState {
    /// Now, by the state's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// The OpenAPI service with every operation.
pub fn api_service() -> OpenApiService<routes::Apis, ()> {
    OpenApiService::new(routes::apis(), "Peertrack", env!("CARGO_PKG_VERSION"))
        .description(
            "Peer support training and certification records: cohorts, attendance, assessments, \
             supervision and certificates, and a consent-based register for partner organisations. \
             Errors are RFC 9457 problem details; lists page with `limit` and `cursor`.",
        )
        .license("AGPL-3.0-or-later")
}

/// The OpenAPI document, as `peertrack openapi` prints it and `openapi/openapi.json` holds it
/// (see [`crate::openapi`]); built once.
pub fn openapi_json() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| crate::openapi::document(&api_service().spec()))
}

/// Where the API's operations are (every path in the OpenAPI document starts with one of these;
/// a test checks it).
pub const API_PREFIXES: &[&str] = &["/v1", "/health", "/.well-known", "/verify"];

/// The whole HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    crate::metrics::install();
    let service = api_service();
    let docs = poem::endpoint::make_sync(|_| {
        poem::Response::builder()
            .content_type("text/html; charset=utf-8")
            .body(crate::headers::docs_html())
    });
    let spec = poem::endpoint::make_sync(|_| {
        poem::Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(openapi_json())
    });
    // The API's operations live under these prefixes; the pages have the rest, `/` included.
    let service = Arc::new(poem::IntoEndpoint::into_endpoint(service));
    let mut route = crate::pages::add_routes(Route::new())
        .at("/docs", docs)
        .at("/openapi.json", spec)
        .at("/ready", crate::metrics::ready_endpoint)
        .at("/metrics", crate::metrics::metrics_endpoint);
    for prefix in API_PREFIXES {
        route = route.nest_no_strip(*prefix, service.clone());
    }
    // Boxed once midway: each layer names the one inside it twice, and the whole type would
    // otherwise outgrow the compiler's limits in the tests' wrapper.
    let inner = route
        .with(poem::middleware::CookieJarManager::new())
        .around(limit_body)
        .around(crate::metrics::record_request)
        .catch_all_error(|error: poem::Error| async move { problem_response(error) })
        .boxed();
    inner
        .around(crate::headers::security_headers)
        .around(log_request)
        .around(crate::forwarded::identify_client)
        .data(state)
}

/// The target of the one line logged per request (`RUST_LOG=peertrack::request=info`).
pub const REQUEST_LOG_TARGET: &str = "peertrack::request";

/// Logs each request once answered (method, path, status, time taken), in a span the handler's
/// own logs share. Query values are withheld: the sign-in page takes its one-time token in the
/// query, and a log is no place for it. (poem's `Tracing` logs the whole URI.)
async fn log_request<E: Endpoint>(next: Arc<E>, request: Request) -> poem::Result<Response> {
    let span = tracing::info_span!(
        target: REQUEST_LOG_TARGET,
        "request",
        remote_addr = %crate::rate_limit::client_address(&request),
        method = %request.method(),
        path = %loggable_path(request.original_uri()),
    );
    async move {
        let started = Instant::now();
        let result = next.call(request).await.map(IntoResponse::into_response);
        let status = match &result {
            Ok(response) => response.status(),
            Err(error) => error.status(),
        };
        tracing::info!(
            target: REQUEST_LOG_TARGET,
            status = status.as_u16(),
            duration = ?started.elapsed(),
            "response"
        );
        result
    }
    .instrument(span)
    .await
}

/// The path, and the names of the query parameters with their values withheld:
/// `/sign-in?token=…`. A name that does not look like one is withheld too.
fn loggable_path(uri: &poem::http::Uri) -> String {
    let Some(query) = uri.query().filter(|q| !q.is_empty()) else {
        return uri.path().to_string();
    };
    let names: Vec<String> = query
        .split('&')
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .map(|name| {
            let plain = name.len() <= 32 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if plain {
                format!("{name}=…")
            } else {
                "…".to_string()
            }
        })
        .collect();
    format!("{}?{}", uri.path(), names.join("&"))
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with 413, whether or not they declare a length, and
/// bodies that do not arrive within the request read timeout with 408.
async fn limit_body<E: Endpoint>(next: std::sync::Arc<E>, mut request: Request) -> poem::Result<Response> {
    let too_large = || poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    let declared = request
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        // Answer from the declared length alone, before the client sends the body.
        return Err(too_large());
    }
    let read_timeout = request
        .data::<AppState>()
        .map_or(Duration::from_secs(30), |state| {
            state.config.timeouts.request_read
        });
    let reading = request.take_body().into_bytes_limit(MAX_BODY_BYTES);
    let body = match tokio::time::timeout(read_timeout, reading).await {
        Ok(read) => read.map_err(|_| too_large())?,
        Err(_) => return Ok(body_too_slow(read_timeout)),
    };
    request.set_body(Body::from(body));
    next.call(request).await.map(IntoResponse::into_response)
}

/// 408 for a body that did not arrive within the read timeout; the connection is closed.
fn body_too_slow(read_timeout: Duration) -> Response {
    let problem = Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "The request body did not arrive within {} seconds. Please send it again.",
            read_timeout.as_secs()
        ),
    );
    let mut response = problem_into_response(&problem);
    response.headers_mut().insert(
        poem::http::header::CONNECTION,
        poem::http::HeaderValue::from_static("close"),
    );
    response
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

fn problem_into_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    serde_json::to_vec(problem)
        .unwrap_or_default()
        .with_status(status)
        .with_content_type("application/problem+json")
        .into_response()
}

/// Turns any error into problem details; errors that already carry a problem keep it, and so
/// do the pages' own answers (HTML, or a redirect to the welcome page).
fn problem_response(error: poem::Error) -> Response {
    let problem = problem_for_poem_error(&error);
    let response = error.into_response();
    if is_problem(&response) || is_page(&response) {
        return response;
    }
    problem_into_response(&problem)
}

fn is_page(response: &Response) -> bool {
    response.status() == StatusCode::SEE_OTHER
        || response
            .headers()
            .get(poem::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// A server listening on `listen`, for `peertrack serve` and for tests (port 0 picks one).
pub async fn bind(listen: std::net::SocketAddr) -> std::io::Result<(impl Acceptor, std::net::SocketAddr)> {
    let acceptor = TcpListener::bind(listen).into_acceptor().await?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no address"))?;
    Ok((acceptor, address))
}

/// Serves `state` on `acceptor` until `shutdown` resolves, then finishes in-flight requests.
pub async fn run(
    acceptor: impl Acceptor + 'static,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeouts = state.config.timeouts;
    serve(acceptor, app(state), timeouts, shutdown).await
}

/// Serves `endpoint` (the [`app`], perhaps wrapped by a test) like [`run`], closing
/// connections whose requests do not arrive within `timeouts`.
pub async fn serve(
    acceptor: impl Acceptor + 'static,
    endpoint: impl Endpoint + 'static,
    timeouts: Timeouts,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    poem::Server::new_with_acceptor(DeadlineAcceptor::new(acceptor, timeouts))
        .run_with_graceful_shutdown(endpoint, shutdown, Some(Duration::from_secs(20)))
        .await
}

//! The HTTP service: the OpenAPI operations, the docs, and the middleware around them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use peertrack_core::domain::Clock;
use peertrack_core::store::Database;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Tracing;
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;

use crate::config::Config;
use crate::problem::problem_for_poem_error;
use crate::routes;

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

/// The OpenAPI document, as `peertrack openapi` prints it and `openapi/openapi.json` holds it.
pub fn openapi_json() -> String {
    api_service().spec()
}

/// The whole HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    let service = api_service();
    let docs = service.swagger_ui();
    let spec = service.spec_endpoint();
    Route::new()
        .nest("/docs", docs)
        .at("/openapi.json", spec)
        .nest("/", service)
        .around(limit_body)
        .catch_all_error(|error: poem::Error| async move { problem_response(error) })
        .with(Tracing)
        .data(state)
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with 413, whether or not they declare a length.
async fn limit_body<E: Endpoint>(next: std::sync::Arc<E>, mut request: Request) -> poem::Result<Response> {
    let too_large = || poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    let declared = request
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES => return Err(too_large()),
        Some(_) => {}
        None => {
            let body = request
                .take_body()
                .into_bytes_limit(MAX_BODY_BYTES)
                .await
                .map_err(|_| too_large())?;
            request.set_body(Body::from(body));
        }
    }
    next.call(request).await.map(IntoResponse::into_response)
}

/// Turns any error into problem details; errors that already carry a problem keep it.
fn problem_response(error: poem::Error) -> Response {
    let problem = problem_for_poem_error(&error);
    let response = error.into_response();
    let is_problem = response
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return response;
    }
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    body.with_status(status)
        .with_content_type("application/problem+json")
        .into_response()
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
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app(state), shutdown, Some(Duration::from_secs(20)))
        .await
}

//! `GET /health`.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::Tag;
use crate::problem::Problem;
use crate::server::AppState;

/// The service's health.
#[derive(Debug, Object)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}

/// The answers of `GET /health`.
#[derive(Debug, ApiResponse)]
pub enum HealthResponse {
    /// The service and its database are up.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// The database does not answer.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

/// Health checks.
pub struct HealthApi;

#[OpenApi(tag = "Tag::Health")]
impl HealthApi {
    /// Is the service up?
    ///
    /// Answers 200 `{"status":"ok"}` when the database answers a query, 503 otherwise. For load
    /// balancers and monitoring; needs no credentials.
    #[oai(path = "/health", method = "get")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        let db = state.db.clone();
        let answered = tokio::task::spawn_blocking(move || db.ping()).await;
        match answered {
            Ok(Ok(())) => HealthResponse::Ok(Json(Health { status: "ok".into() })),
            _ => HealthResponse::Unavailable(Json(Problem::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "The database is not answering.",
            ))),
        }
    }
}

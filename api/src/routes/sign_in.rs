//! Signing in by email link: `POST /v1/auth/magic-link` and `POST /v1/auth/session`; and
//! signing out, `DELETE /v1/auth/session`.
//!
//! Asking for a link answers 202 with the same body whether or not the address belongs to
//! anyone, and does the work after answering, so neither the answer nor its timing tells.

use chrono::{DateTime, Utc};
use peertrack_core::domain::input::EMAIL_MAX;
use peertrack_core::service::sign_in;
use poem::web::Data;
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::server::AppState;
use crate::types::Text;

/// Who wants a sign-in link.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    /// The email address Peertrack knows the person by.
    pub email: Text<3, EMAIL_MAX>,
}

/// The same answer for every address.
#[derive(Debug, Object)]
pub struct MagicLinkAccepted {
    /// Always `accepted`.
    pub status: String,
    /// What happens next, in words.
    pub detail: String,
}

/// Answers of `POST /v1/auth/magic-link`.
#[derive(Debug, ApiResponse)]
pub enum MagicLinkResponse {
    /// Accepted. If the address belongs to someone in Peertrack, an email with a sign-in link
    /// is on its way; the answer is the same when it does not.
    #[oai(status = 202)]
    Accepted(Json<MagicLinkAccepted>),
    /// Too many links were asked for this address or from this client; try again later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
}

/// A token from a sign-in link.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The `token` from the link's `?token=`.
    pub token: Text<1, 200>,
}

/// A bearer token for the API.
#[derive(Debug, Object)]
pub struct SessionToken {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Answers of `POST /v1/auth/session`.
#[derive(Debug, ApiResponse)]
pub enum SessionResponse {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionToken>, #[oai(header = "Cache-Control")] String),
    /// The link was already used, has expired, or is not one of ours.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Too many tokens that did not work from this client; try again later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
}

/// Answers of `DELETE /v1/auth/session`.
#[derive(Debug, ApiResponse)]
pub enum SignedOut {
    /// Signed out: the token sent with this request no longer works.
    #[oai(status = 204)]
    NoContent,
}

fn too_many(detail: &str) -> Json<Problem> {
    Json(Problem::new(poem::http::StatusCode::TOO_MANY_REQUESTS, detail))
}

/// Queues a sign-in link for `email`, if the address is known, after the answer has gone: the
/// answer's timing must not depend on whether the address is known.
pub fn queue_link_after_answering(state: &AppState, email: String) {
    let db = state.db.clone();
    let now = state.now();
    let public_url = state.config.public_url.clone();
    tokio::spawn(async move {
        let queued = db
            .write_async(move |conn| sign_in::request_link(conn, &email, now, &public_url))
            .await;
        if let Err(error) = queued {
            tracing::error!(%error, "a sign-in link could not be queued");
        }
    });
}

/// Sign-in operations.
pub struct SignInApi;

#[OpenApi(tag = "Tag::SignIn")]
impl SignInApi {
    /// Ask for a sign-in link
    ///
    /// Emails a link to `{public_url}/sign-in?token=...` that signs the person in once, within
    /// 15 minutes. Answers 202 with the same body whether or not the address belongs to anyone
    /// here. Limited per address and per client.
    #[oai(path = "/v1/auth/magic-link", method = "post")]
    async fn magic_link(
        &self,
        state: Data<&AppState>,
        request: &Request,
        body: JsonBody<MagicLinkRequest>,
    ) -> Result<MagicLinkResponse, ApiError> {
        let email = sign_in::normalise_email(body.0.email.trimmed());
        if !sign_in::is_email_address(&email) {
            return Err(ApiError::invalid("email", "is not an email address"));
        }
        if !state
            .limits
            .allow_sign_in_link(&crate::rate_limit::client_address(request), &email)
            .await
        {
            return Ok(MagicLinkResponse::TooManyRequests(too_many(
                "Too many sign-in links were asked for. Please wait 15 minutes and try again; \
                 a link sent earlier still works until it expires.",
            )));
        }
        queue_link_after_answering(&state, email);
        Ok(MagicLinkResponse::Accepted(Json(MagicLinkAccepted {
            status: "accepted".into(),
            detail: "If this address belongs to someone in Peertrack, a sign-in link is on its way. \
                     It works once, for 15 minutes."
                .into(),
        })))
    }

    /// Sign in with a link's token
    ///
    /// Exchanges the token from a sign-in link for a bearer token that works for 12 hours. Each
    /// link works once; a used, expired or unknown token gets 401.
    #[oai(path = "/v1/auth/session", method = "post")]
    async fn session(
        &self,
        state: Data<&AppState>,
        request: &Request,
        body: JsonBody<SessionRequest>,
    ) -> Result<SessionResponse, ApiError> {
        let client = crate::rate_limit::client_address(request);
        if state.limits.sign_in_failures.exhausted(&client).await {
            return Ok(SessionResponse::TooManyRequests(too_many(
                "Too many sign-in links that did not work. Please wait 15 minutes and try again.",
            )));
        }
        let token = body.0.token.trimmed().to_string();
        let now = state.now();
        let signed_in = state
            .db
            .write_async(move |conn| sign_in::exchange(conn, &token, now))
            .await?;
        match signed_in {
            Some(session) => Ok(SessionResponse::Ok(
                Json(SessionToken {
                    access_token: session.access_token,
                    expires_at: session.expires_at,
                }),
                "no-store".into(),
            )),
            None => {
                state.limits.sign_in_failures.hit(&client).await;
                Ok(SessionResponse::Unauthorized(Json(Problem::new(
                    poem::http::StatusCode::UNAUTHORIZED,
                    "This sign-in link has already been used or has expired. Please ask for a new one.",
                ))))
            }
        }
    }

    /// Sign out
    ///
    /// Revokes the bearer token sent with this request: from the next request on, it gets 401.
    /// Other tokens of the same person (signed in on another device, say) keep working.
    #[oai(path = "/v1/auth/session", method = "delete")]
    async fn sign_out(&self, state: Data<&AppState>, auth: PersonToken) -> Result<SignedOut, ApiError> {
        let now = state.now();
        state
            .db
            .write_async(move |conn| sign_in::sign_out(conn, &auth.0, now))
            .await?;
        Ok(SignedOut::NoContent)
    }
}

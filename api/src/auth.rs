//! Who is calling over the API: people send `Authorization: Bearer <token>`; partner systems
//! send `X-Api-Key: <key>`. Both are looked up on every request through core (stored hashed),
//! so a token or key that is revoked, or a token that expires, is refused from the very next
//! request. What a caller may then see or do is decided in core (`peertrack_core::access`).

use peertrack_core::access::{Caller, Partner};
use peertrack_core::service::sign_in;
use poem::Request;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::SecurityScheme;

use crate::server::AppState;

/// A person's bearer token, from `peertrack admin token` or a sign-in link.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "person_for_bearer")]
pub struct PersonToken(pub Caller);

/// A partner organisation's API key.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "X-Api-Key",
    key_in = "header",
    checker = "partner_for_key"
)]
pub struct PartnerKey(pub Partner);

async fn person_for_bearer(request: &Request, bearer: Bearer) -> Option<Caller> {
    let state = request.data::<AppState>()?.clone();
    let now = state.now();
    state
        .db
        .read_async(move |conn| sign_in::caller_for_token(conn, &bearer.token, now))
        .await
        .ok()
        .flatten()
}

async fn partner_for_key(request: &Request, key: ApiKey) -> Option<Partner> {
    let state = request.data::<AppState>()?.clone();
    state
        .db
        .read_async(move |conn| sign_in::partner_for_key(conn, &key.key))
        .await
        .ok()
        .flatten()
}

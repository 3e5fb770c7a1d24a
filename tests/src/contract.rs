//! Every answer a test server gives is checked against the published OpenAPI document: an
//! operation that answers a status its entry does not list is a broken contract, whichever
//! test caught it. Requests that match no operation (unknown paths, other methods) are not
//! checked here.

use std::sync::{Arc, Mutex};

use poem::{Endpoint, IntoResponse, Request};
use serde_json::Value;

/// Answers that the document does not list, as `METHOD /path -> status (lists ...)`.
#[derive(Debug, Clone, Default)]
pub struct Breaches(Arc<Mutex<Vec<String>>>);

impl Breaches {
    /// Every breach seen so far.
    pub fn seen(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").clone()
    }
}

/// One operation: its method, the segments of its path template, and the statuses it lists.
struct Operation {
    method: String,
    template: String,
    segments: Vec<Option<String>>,
    statuses: Vec<u16>,
}

fn operations() -> &'static [Operation] {
    static OPERATIONS: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let document: Value =
            serde_json::from_str(peertrack_api::server::openapi_json()).expect("the document is JSON");
        let mut found = Vec::new();
        for (template, methods) in document["paths"].as_object().expect("paths") {
            for (method, operation) in methods.as_object().expect("operations") {
                let segments = template
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                    .collect();
                let statuses = operation["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .filter_map(|s| s.parse().ok())
                    .collect();
                found.push(Operation {
                    method: method.to_ascii_uppercase(),
                    template: template.clone(),
                    segments,
                    statuses,
                });
            }
        }
        found
    })
}

/// The operation a request is for: the matching template with the most fixed segments.
fn operation_for(method: &str, path: &str) -> Option<&'static Operation> {
    let parts: Vec<&str> = path.split('/').collect();
    operations()
        .iter()
        .filter(|o| o.method == method && o.segments.len() == parts.len())
        .filter(|o| {
            o.segments
                .iter()
                .zip(&parts)
                .all(|(segment, part)| segment.as_deref().is_none_or(|s| s == *part))
        })
        .max_by_key(|o| o.segments.iter().filter(|s| s.is_some()).count())
}

/// Wraps the application so that each answer is checked; breaches are collected in `breaches`.
pub fn checked(app: impl Endpoint + 'static, breaches: Breaches) -> impl Endpoint {
    poem::EndpointExt::around(app, move |next, request: Request| {
        let breaches = breaches.clone();
        async move {
            let method = request.method().to_string();
            let path = request.uri().path().to_string();
            let response = match next.call(request).await {
                Ok(response) => response.into_response(),
                Err(error) => error.into_response(),
            };
            let status = response.status().as_u16();
            if let Some(operation) = operation_for(&method, &path) {
                if !operation.statuses.contains(&status) {
                    breaches.0.lock().expect("not poisoned").push(format!(
                        "{method} {} answered {status} to {path}; it lists {:?}",
                        operation.template, operation.statuses
                    ));
                }
            }
            Ok(response)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_find_their_operation() {
        let found = |method, path| operation_for(method, path).map(|o| o.template.as_str());
        assert_eq!(found("GET", "/v1/cohorts"), Some("/v1/cohorts"));
        assert_eq!(
            found("GET", "/v1/cohorts/abc/sessions"),
            Some("/v1/cohorts/{id}/sessions")
        );
        assert_eq!(found("GET", "/v1/me/consents"), Some("/v1/me/consents"));
        assert_eq!(found("PATCH", "/v1/cohorts"), None);
        assert_eq!(found("GET", "/v1/nothing/here"), None);
    }
}

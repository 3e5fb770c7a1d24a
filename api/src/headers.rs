//! Security headers for every answer, set in one place: no content sniffing anywhere; on every
//! HTML page a strict Content-Security-Policy (no inline script, nothing from elsewhere), no
//! framing and no referrer; `Cache-Control: no-store` unless an answer says otherwise (answers
//! carry personal data unless they say otherwise); and a `Retry-After` on every 429.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use poem::http::header::{self, HeaderValue};
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};

/// The policy of Peertrack's own pages: their stylesheet, logo and forms, nothing else.
pub const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How long a client that got 429 should wait before trying again, in seconds: the shortest
/// window of the limits (10 minutes for verification codes, 15 for sign-in).
const RETRY_AFTER_SECONDS: &str = "600";

/// Adds the headers to whatever `next` answers.
pub async fn security_headers<E: Endpoint>(next: Arc<E>, request: Request) -> poem::Result<Response> {
    let docs = request.uri().path().starts_with("/docs");
    let mut response = next.call(request).await?.into_response();
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        let policy = if docs { docs_policy() } else { PAGE_POLICY };
        if let Ok(value) = HeaderValue::from_str(policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if response.status() == StatusCode::TOO_MANY_REQUESTS
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
    }
    Ok(response)
}

/// The interactive API documentation at `/docs`: poem-openapi's Swagger UI page, showing the
/// document partners get (`openapi_json`), under a policy that allows its own inline scripts by
/// their hashes and nothing from elsewhere.
pub fn docs_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        let service = crate::server::api_service();
        service
            .swagger_ui_html()
            .replace(&service.spec(), crate::server::openapi_json())
    })
}

/// The `/docs` policy: its scripts by hash; styles inline (Swagger UI sets style attributes).
fn docs_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hashes: Vec<String> = inline_blocks(docs_html(), "script")
            .map(|body| {
                let digest = Sha256::digest(body.as_bytes());
                format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect();
        format!(
            "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            hashes.join(" ")
        )
    })
}

/// The contents of each `<tag ...>...</tag>` block in `html`.
fn inline_blocks<'a>(html: &'a str, tag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = rest.find(&open)?;
        let after_open = &rest[start..];
        let body_start = after_open.find('>')? + 1;
        let body = &after_open[body_start..];
        let end = body.find(&close)?;
        rest = &body[end + close.len()..];
        Some(&body[..end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_blocks_are_found_whole() {
        let html = "<head><script charset=\"UTF-8\">a<b</script></head><body><script>c()</script></body>";
        assert_eq!(inline_blocks(html, "script").collect::<Vec<_>>(), ["a<b", "c()"]);
    }

    #[test]
    fn the_docs_show_the_published_document_and_allow_only_their_own_scripts() {
        assert!(docs_html().contains(crate::server::openapi_json()));
        assert!(!docs_html().contains(&crate::server::api_service().spec()));
        let policy = docs_policy();
        let scripts = inline_blocks(docs_html(), "script").count();
        assert!(scripts >= 2, "Swagger UI's bundle and its start-up script");
        assert_eq!(policy.matches("'sha256-").count(), scripts);
        let script_src = policy
            .split(';')
            .find(|p| p.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe"), "{script_src}");
    }
}

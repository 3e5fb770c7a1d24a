//! Webhook URLs as they may be shown or logged: a partner may put a secret in the query
//! (`?token=...`) or in the user information (`https://user:pass@host/`), so wherever a webhook
//! URL is shown (the outbox, the list of webhooks) or logged, those parts are replaced by
//! `REDACTED`; the scheme, host, port and path stay, so people can still tell webhooks apart.

/// What replaces a secret part.
pub const REDACTED: &str = "REDACTED";

/// `url` with its user information, query values and fragment replaced by [`REDACTED`].
/// Text that is not an `http(s)://` URL (an email address, say) comes back unchanged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return url.to_string();
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{REDACTED}@{host}"),
        None => authority.to_string(),
    };
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((before, _)) => (before, Some(REDACTED)),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(redact_query(query))),
        None => (before_fragment, None),
    };
    let mut shown = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        shown.push('?');
        shown.push_str(&query);
    }
    if let Some(fragment) = fragment {
        shown.push('#');
        shown.push_str(fragment);
    }
    shown
}

/// Keeps each query parameter's name (what it is for) and hides its value.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{name}={REDACTED}"),
            None if pair.is_empty() => String::new(),
            None => REDACTED.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` with every `http://` or `https://` URL in it redacted (for messages written before
/// URLs were kept out of them).
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>'))
            .unwrap_or(candidate.len());
        out.push_str(&redact_url(&candidate[..end]));
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

fn find_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_query_and_user_information_are_hidden_and_the_host_stays() {
        assert_eq!(
            redact_url("https://hr.example.org/hooks?token=s3cret&v=2"),
            "https://hr.example.org/hooks?token=REDACTED&v=REDACTED"
        );
        assert_eq!(
            redact_url("https://user:pa55@hr.example.org:8443/hooks"),
            "https://REDACTED@hr.example.org:8443/hooks"
        );
        assert_eq!(
            redact_url("http://u:p@127.0.0.1:9/h?key#frag"),
            "http://REDACTED@127.0.0.1:9/h?REDACTED#REDACTED"
        );
        assert_eq!(
            redact_url("https://hr.example.org?sig=abc"),
            "https://hr.example.org?sig=REDACTED"
        );
        // Nothing secret: unchanged.
        assert_eq!(
            redact_url("https://hr.example.org/peertrack"),
            "https://hr.example.org/peertrack"
        );
        assert_eq!(redact_url("rowan@example.org"), "rowan@example.org");
        assert_eq!(redact_url("ftp://u:p@x/?a=b"), "ftp://u:p@x/?a=b");
    }

    #[test]
    fn urls_inside_messages_are_redacted_where_they_stand() {
        let message = "could not reach the webhook: error sending request for url \
                       (https://u:p@hr.example.org/h?token=s3cret): connection refused";
        let shown = redact_urls_in(message);
        assert!(!shown.contains("s3cret") && !shown.contains("u:p@"), "{shown}");
        assert_eq!(
            shown,
            "could not reach the webhook: error sending request for url \
             (https://REDACTED@hr.example.org/h?token=REDACTED): connection refused"
        );
        assert_eq!(
            redact_urls_in("the webhook answered 503"),
            "the webhook answered 503"
        );
    }
}

//! Who is really asking, behind reverse proxies: the client's address and whether it came over
//! `https`.
//!
//! Only a peer listed in `PEERTRACK_TRUSTED_PROXIES` may tell: from it, `Forwarded` (RFC 7239)
//! or else `X-Forwarded-For` names the client (the right-most address that is not itself a
//! trusted proxy, so a client cannot choose its address by sending the header itself: the
//! proxy appends the address it saw), and `Forwarded`'s `proto` or else `X-Forwarded-Proto`
//! says whether the client used `https`. From any other peer these headers are ignored, and with
//! the variable unset nothing forwarded is believed.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::http::HeaderMap;
use poem::{Endpoint, IntoResponse, Request, Response};

/// The peers whose forwarding headers are believed: addresses and CIDR ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads a list separated by commas or spaces: `127.0.0.1, 10.0.0.0/8, ::1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in text.split([',', ' ', '\t', '\n']).filter(|i| !i.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(address) => IpNet::from(address),
                    Err(_) => {
                        return Err(format!(
                            "{item:?} is neither an address (10.0.0.5) nor a range (10.0.0.0/24)"
                        ))
                    }
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`, as a dual-stack listener reports it)
/// as the plain IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request, as far as can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// Its address: the TCP peer, or what a trusted proxy said (`None` if unknown).
    pub address: Option<IpAddr>,
    /// Whether it used `https`, if a trusted proxy said so; `None` when nobody said.
    pub https: Option<bool>,
}

/// Works out the client of a request from its TCP `peer` and its headers.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Client {
    let peer = peer.map(canonical);
    let untold = Client {
        address: peer,
        https: None,
    };
    let Some(peer_address) = peer.filter(|p| trusted.trusts(*p)) else {
        return untold;
    };
    let hops = forwarded_hops(headers)
        .or_else(|| x_forwarded_hops(headers))
        .unwrap_or_default();
    // From the right: skip our own proxies; the first address that is not one is the client.
    // A hop that names no usable address ends the walk at the proxy that reported it.
    let mut client = Hop {
        address: Some(peer_address),
        proto: None,
    };
    for hop in hops.into_iter().rev() {
        match hop.address {
            Some(address) if trusted.trusts(address) => client = hop,
            Some(_) => {
                client = hop;
                break;
            }
            None => break,
        }
    }
    let https = client
        .proto
        .or_else(|| x_forwarded_proto(headers))
        .map(|proto| proto.eq_ignore_ascii_case("https"));
    Client {
        address: client.address,
        https,
    }
}

/// One hop of a forwarding chain.
#[derive(Debug, Clone)]
struct Hop {
    address: Option<IpAddr>,
    proto: Option<String>,
}

/// Every value of a header, in order, as one comma-separated list.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The hops of `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"`.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let text = joined(headers, "forwarded")?;
    let hops = text
        .split(',')
        .map(|element| {
            let mut hop = Hop {
                address: None,
                proto: None,
            };
            for pair in element.split(';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match name.trim().to_ascii_lowercase().as_str() {
                    "for" => hop.address = node_address(value),
                    "proto" => hop.proto = Some(value.to_string()),
                    _ => {}
                }
            }
            hop
        })
        .collect();
    Some(hops)
}

/// The hops of `X-Forwarded-For: 203.0.113.7, 10.0.0.2`.
fn x_forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let text = joined(headers, "x-forwarded-for")?;
    Some(
        text.split(',')
            .map(|item| Hop {
                address: node_address(item.trim()),
                proto: None,
            })
            .collect(),
    )
}

/// The right-most `X-Forwarded-Proto` value: the one our own proxy set.
fn x_forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let text = joined(headers, "x-forwarded-proto")?;
    text.rsplit(',')
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

/// An address as a node in `Forwarded` or `X-Forwarded-For`: `192.0.2.1`, `192.0.2.1:80`,
/// `[2001:db8::1]`, `[2001:db8::1]:80`, `2001:db8::1`; `unknown` or an obfuscated name is `None`.
fn node_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    // IPv4 with a port.
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

tokio::task_local! {
    /// The client of the request being answered, for code that has no [`Request`] at hand (the
    /// pages' cookies).
    static CURRENT: Client;
}

/// Whether the client of the request being answered is known to use `https` (`None`: nobody
/// said so, or not inside a request).
pub fn current_https() -> Option<bool> {
    CURRENT.try_with(|client| client.https).ok().flatten()
}

/// Works out the client of each request, keeps it in the request's extensions (see
/// [`crate::rate_limit::client_address`]) and for [`current_https`].
pub async fn identify_client<E: Endpoint>(next: Arc<E>, mut request: Request) -> poem::Result<Response> {
    let peer = request.remote_addr().as_socket_addr().map(|a| a.ip());
    let client = match request.data::<crate::server::AppState>() {
        Some(state) => resolve(peer, request.headers(), &state.config.trusted_proxies),
        None => resolve(peer, request.headers(), &TrustedProxies::default()),
    };
    request.extensions_mut().insert(client);
    CURRENT
        .scope(client, async move {
            next.call(request).await.map(IntoResponse::into_response)
        })
        .await
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(text: &str) -> TrustedProxies {
        TrustedProxies::parse(text).unwrap()
    }

    #[test]
    fn the_list_takes_addresses_and_ranges_and_names_a_bad_item() {
        let list = proxies("127.0.0.1, 10.0.0.0/8 ::1 fd00::/8");
        assert!(list.trusts(ip("127.0.0.1")));
        assert!(list.trusts(ip("10.200.3.4")));
        assert!(list.trusts(ip("::ffff:10.1.1.1")), "mapped IPv4");
        assert!(list.trusts(ip("::1")));
        assert!(list.trusts(ip("fd12::5")));
        assert!(!list.trusts(ip("127.0.0.2")));
        assert!(!list.trusts(ip("192.168.1.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let error = TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(error.contains("\"proxy.local\""), "{error}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn nothing_forwarded_is_believed_from_an_untrusted_peer() {
        let sent = headers(&[
            ("x-forwarded-for", "198.51.100.9"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=198.51.100.10;proto=https"),
        ]);
        let client = resolve(Some(ip("203.0.113.5")), &sent, &proxies("127.0.0.1"));
        assert_eq!(client.address, Some(ip("203.0.113.5")));
        assert_eq!(client.https, None);
        let unset = resolve(Some(ip("127.0.0.1")), &sent, &TrustedProxies::default());
        assert_eq!(unset.address, Some(ip("127.0.0.1")), "unset: nothing is trusted");
        assert_eq!(unset.https, None);
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = proxies("127.0.0.1, 10.0.0.0/8");
        // The client sent its own X-Forwarded-For; nginx appended the address it saw.
        let sent = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.3")]);
        let client = resolve(Some(ip("127.0.0.1")), &sent, &trusted);
        assert_eq!(client.address, Some(ip("198.51.100.7")));
        // Several header lines are one list.
        let sent = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.8"),
        ]);
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &sent, &trusted).address,
            Some(ip("198.51.100.8"))
        );
        // Only proxies in the chain: the left-most is the client.
        let sent = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.3")]);
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &sent, &trusted).address,
            Some(ip("10.0.0.9"))
        );
        // A hop that is not an address ends the walk at the proxy that reported it.
        let sent = headers(&[("x-forwarded-for", "198.51.100.7, unknown, 10.0.0.3")]);
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &sent, &trusted).address,
            Some(ip("10.0.0.3"))
        );
        // No header: the proxy itself.
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &HeaderMap::new(), &trusted).address,
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn forwarded_is_read_first_with_its_ports_brackets_and_proto() {
        let trusted = proxies("127.0.0.1");
        let sent = headers(&[
            (
                "forwarded",
                "for=1.2.3.4;proto=http, for=\"[2001:db8::17]:4711\";proto=https;by=127.0.0.1",
            ),
            ("x-forwarded-for", "192.0.2.99"),
            ("x-forwarded-proto", "http"),
        ]);
        let client = resolve(Some(ip("127.0.0.1")), &sent, &trusted);
        assert_eq!(client.address, Some(ip("2001:db8::17")));
        assert_eq!(client.https, Some(true));
        let sent = headers(&[("forwarded", "For=\"192.0.2.43:47011\"")]);
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &sent, &trusted).address,
            Some(ip("192.0.2.43"))
        );
    }

    #[test]
    fn the_proxy_s_own_proto_header_decides_https() {
        let trusted = proxies("127.0.0.1");
        let https = headers(&[("x-forwarded-for", "192.0.2.1"), ("x-forwarded-proto", "HTTPS")]);
        assert_eq!(resolve(Some(ip("127.0.0.1")), &https, &trusted).https, Some(true));
        let http = headers(&[("x-forwarded-proto", "https, http")]);
        assert_eq!(resolve(Some(ip("127.0.0.1")), &http, &trusted).https, Some(false));
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &HeaderMap::new(), &trusted).https,
            None
        );
    }
}

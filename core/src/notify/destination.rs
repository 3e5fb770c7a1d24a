//! Where webhooks may be posted: the rules that keep a partner's webhook from reaching inside
//! Peertrack's own network (server-side request forgery). Pure: URLs and addresses in, verdicts
//! out; resolving names is the caller's part ([`super::webhook`]).
//!
//! By default only `https://` URLs whose every address is public are accepted. Never, whatever
//! the policy: other schemes, cloud metadata services (by address: 169.254.169.254, AWS's
//! fd00:ec2::254, Azure's 168.63.129.16, Alibaba's 100.100.100.200, GCP's fd20:ce::254, Oracle's
//! 192.0.0.192 and fd00:c1::a9fe:a9fe; and by name: `metadata.google.internal` and the like),
//! link-local addresses (169.254.0.0/16 and fe80::/10), the unspecified address, multicast,
//! broadcast and other reserved ranges. With [`DestinationPolicy::AllowPrivate`] (for a partner on the same private
//! network, and for tests), also `http://`, loopback, private ranges (RFC 1918, fc00::/7) and
//! shared address space (100.64.0.0/10). IPv6 forms that carry an IPv4 address (mapped
//! `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which webhook destinations are accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DestinationPolicy {
    /// Only `https://` URLs on public addresses (the default).
    #[default]
    PublicOnly,
    /// Also `http://`, loopback, private and shared (CGNAT) addresses.
    AllowPrivate,
}

/// What kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// Reachable on the internet.
    Public,
    /// This machine (127.0.0.0/8, ::1).
    Loopback,
    /// A private network (10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48).
    Private,
    /// Carrier-grade NAT's shared address space (100.64.0.0/10).
    Shared,
    /// Link-local (169.254/16, where clouds serve instance metadata; fe80::/10).
    LinkLocal,
    /// The unspecified address and "this network" (0.0.0.0/8, ::).
    Unspecified,
    /// Multicast (224/4, ff00::/8).
    Multicast,
    /// The limited broadcast address 255.255.255.255.
    Broadcast,
    /// Reserved, documentation or otherwise not a destination on the internet.
    Reserved,
    /// A cloud provider's instance metadata service (which hands out credentials).
    CloudMetadata,
}

/// Addresses where cloud providers serve instance metadata and credentials. Some sit in ranges
/// a private deployment may allow (fd00::/8, 100.64.0.0/10) or even in public space (Azure's
/// 168.63.129.16), so they are refused by name, before their range is looked at.
const CLOUD_METADATA_ADDRESSES: [&str; 8] = [
    "169.254.169.254",    // AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean and others
    "169.254.170.2",      // AWS ECS task metadata and credentials
    "168.63.129.16",      // Azure's wire server
    "100.100.100.200",    // Alibaba Cloud
    "192.0.0.192",        // Oracle Cloud (older instances)
    "fd00:ec2::254",      // AWS over IPv6
    "fd20:ce::254",       // GCP over IPv6
    "fd00:c1::a9fe:a9fe", // Oracle Cloud over IPv6
];

/// Host names of cloud metadata services, refused whatever they resolve to.
const CLOUD_METADATA_NAMES: [&str; 5] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Whether `host` (a name, as written in a URL) names a cloud metadata service.
pub fn is_cloud_metadata_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    CLOUD_METADATA_NAMES.contains(&host.as_str())
}

impl AddressKind {
    /// The kind of `address`.
    pub fn of(address: IpAddr) -> AddressKind {
        let metadata = |a: IpAddr| {
            CLOUD_METADATA_ADDRESSES
                .iter()
                .any(|m| m.parse::<IpAddr>().is_ok_and(|m| m == a))
        };
        // IPv6 forms of an IPv4 address are judged by that address, metadata included.
        let judged = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        if metadata(judged) {
            return AddressKind::CloudMetadata;
        }
        match address {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => Self::of_v6(v6),
        }
    }

    fn of_v4(address: Ipv4Addr) -> AddressKind {
        let [a, b, c, _] = address.octets();
        match (a, b, c) {
            _ if address.is_broadcast() => AddressKind::Broadcast,
            (0, _, _) => AddressKind::Unspecified,
            (127, _, _) => AddressKind::Loopback,
            (10, _, _) | (192, 168, _) => AddressKind::Private,
            (172, 16..=31, _) => AddressKind::Private,
            (100, 64..=127, _) => AddressKind::Shared,
            (169, 254, _) => AddressKind::LinkLocal,
            (224..=239, _, _) => AddressKind::Multicast,
            // Future use (240/4); IETF protocol assignments; documentation; benchmarking.
            (240..=255, _, _)
            | (192, 0, 0)
            | (192, 0, 2)
            | (198, 51, 100)
            | (203, 0, 113)
            | (198, 18..=19, _) => AddressKind::Reserved,
            _ => AddressKind::Public,
        }
    }

    fn of_v6(address: Ipv6Addr) -> AddressKind {
        let segments = address.segments();
        if let Some(v4) = address.to_ipv4_mapped() {
            return Self::of_v4(v4);
        }
        if address.is_unspecified() {
            return AddressKind::Unspecified;
        }
        if address.is_loopback() {
            return AddressKind::Loopback;
        }
        let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
        match segments {
            // NAT64 (RFC 6052): a gateway would carry the request to the IPv4 address inside.
            [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Self::of(IpAddr::V4(embedded_v4(high, low))),
            [0x64, 0xff9b, 1, ..] => AddressKind::Private,
            // 6to4: the IPv4 address of the relay follows the prefix.
            [0x2002, high, low, ..] => match Self::of(IpAddr::V4(embedded_v4(high, low))) {
                AddressKind::Public => AddressKind::Public,
                other => other,
            },
            // IPv4-compatible (deprecated), discard-only, documentation.
            [0, 0, 0, 0, 0, 0, _, _] | [0x100, 0, 0, 0, ..] | [0x2001, 0xdb8, ..] => AddressKind::Reserved,
            [first, ..] if first & 0xfe00 == 0xfc00 => AddressKind::Private,
            [first, ..] if first & 0xffc0 == 0xfe80 => AddressKind::LinkLocal,
            [first, ..] if first & 0xffc0 == 0xfec0 => AddressKind::Private,
            [first, ..] if first & 0xff00 == 0xff00 => AddressKind::Multicast,
            // Everything outside global unicast (2000::/3) is reserved.
            [first, ..] if first & 0xe000 != 0x2000 => AddressKind::Reserved,
            _ => AddressKind::Public,
        }
    }

    /// Whether webhooks may be posted to an address of this kind under `policy`.
    pub fn allowed(self, policy: DestinationPolicy) -> bool {
        match self {
            AddressKind::Public => true,
            AddressKind::Loopback | AddressKind::Private | AddressKind::Shared => {
                policy == DestinationPolicy::AllowPrivate
            }
            AddressKind::LinkLocal
            | AddressKind::Unspecified
            | AddressKind::Multicast
            | AddressKind::Broadcast
            | AddressKind::Reserved
            | AddressKind::CloudMetadata => false,
        }
    }

    /// The kind, in words, to follow "an address ...".
    pub fn describe(self) -> &'static str {
        match self {
            AddressKind::Public => "on the internet",
            AddressKind::Loopback => "on Peertrack's own machine (loopback)",
            AddressKind::Private => "on a private network",
            AddressKind::Shared => "in shared (carrier-grade NAT) address space",
            AddressKind::LinkLocal => "that is link-local",
            AddressKind::Unspecified => "that is unspecified (0.0.0.0 or ::)",
            AddressKind::Multicast => "for multicast",
            AddressKind::Broadcast => "for broadcast",
            AddressKind::Reserved => "reserved for special use",
            AddressKind::CloudMetadata => "where cloud servers keep their metadata and credentials",
        }
    }
}

/// Why a destination is refused. Its text is the reason shown to partners and in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URL at all.
    NotAUrl,
    /// A scheme other than `https` (or `http`).
    Scheme(String),
    /// `http://` where only `https://` is accepted.
    PlainHttp,
    /// No host to post to.
    NoHost,
    /// The host name is a cloud metadata service's.
    MetadataName(String),
    /// The host is, or resolves to, an address that is not allowed.
    Address {
        /// The host as written in the URL.
        host: String,
        /// The address at fault.
        address: IpAddr,
        /// Its kind.
        kind: AddressKind,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAUrl => {
                f.write_str("must be an https:// address, such as https://hr.example.org/peertrack")
            }
            Refusal::Scheme(scheme) => write!(f, "must be an https:// address, not {scheme}:"),
            Refusal::PlainHttp => f.write_str(
                "must be an https:// address: events carry personal data, so they travel encrypted",
            ),
            Refusal::NoHost => f.write_str("must name a host, such as https://hr.example.org/peertrack"),
            Refusal::MetadataName(host) => write!(
                f,
                "{host} is where cloud servers keep their metadata and credentials: webhooks go to public addresses only"
            ),
            Refusal::Address { host, address, kind } => {
                let address = address.to_string();
                if *host == address || host.trim_matches(['[', ']']) == address {
                    write!(
                        f,
                        "{host} is an address {}: webhooks go to public addresses only",
                        kind.describe()
                    )
                } else {
                    write!(
                        f,
                        "{host} leads to {address}, an address {}: webhooks go to public addresses only",
                        kind.describe()
                    )
                }
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Where a URL that passed [`check_url`] says to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address written in the URL, already checked.
    Address(IpAddr),
    /// A name, whose addresses must each pass [`check_addresses`] when it is resolved.
    Name {
        /// The host name.
        host: String,
        /// The port, explicit or the scheme's.
        port: u16,
    },
}

/// Checks a webhook URL's scheme and host under `policy`.
pub fn check_url(url: &str, policy: DestinationPolicy) -> Result<Destination, Refusal> {
    let url = url.trim();
    if url.contains(char::is_whitespace) {
        return Err(Refusal::NotAUrl);
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| {
        if url.contains("://") && written_host(url).is_empty() {
            Refusal::NoHost
        } else {
            Refusal::NotAUrl
        }
    })?;
    match (parsed.scheme(), policy) {
        ("https", _) | ("http", DestinationPolicy::AllowPrivate) => {}
        ("http", DestinationPolicy::PublicOnly) => return Err(Refusal::PlainHttp),
        (other, _) => return Err(Refusal::Scheme(other.to_string())),
    }
    // The parser would read `https:///p` as the host `p`; a host must be written out.
    if written_host(url).is_empty() {
        return Err(Refusal::NoHost);
    }
    let host = parsed.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(Refusal::NoHost);
    }
    // The parser writes every spelling of an address (0x7f.1, 2130706433, [::ffff:7f00:1]) as
    // the address itself, so none of them passes for a name.
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(address) => {
            check_address(host, address, policy)?;
            Ok(Destination::Address(address))
        }
        Err(_) if is_cloud_metadata_name(host) => Err(Refusal::MetadataName(host.to_string())),
        Err(_) => Ok(Destination::Name {
            host: host.to_string(),
            port: parsed.port_or_known_default().unwrap_or(443),
        }),
    }
}

/// The host as written after `scheme://`: after any user information, before any port.
fn written_host(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.starts_with('[') {
        return host;
    }
    host.split(':').next().unwrap_or_default()
}

/// Checks one address that `host` is or resolves to.
pub fn check_address(host: &str, address: IpAddr, policy: DestinationPolicy) -> Result<(), Refusal> {
    let kind = AddressKind::of(address);
    if kind.allowed(policy) {
        Ok(())
    } else {
        Err(Refusal::Address {
            host: host.to_string(),
            address,
            kind,
        })
    }
}

/// Checks every address a name resolved to: one refused address refuses the name, since a
/// connection could go to any of them.
pub fn check_addresses(
    host: &str,
    addresses: impl IntoIterator<Item = IpAddr>,
    policy: DestinationPolicy,
) -> Result<(), Refusal> {
    addresses
        .into_iter()
        .try_for_each(|address| check_address(host, address, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationPolicy::{AllowPrivate, PublicOnly};

    fn kind(text: &str) -> AddressKind {
        AddressKind::of(text.parse().unwrap())
    }

    #[test]
    fn addresses_are_told_apart() {
        for (address, expected) in [
            ("93.184.215.14", AddressKind::Public),
            ("1.1.1.1", AddressKind::Public),
            ("172.32.0.1", AddressKind::Public),
            ("100.128.0.1", AddressKind::Public),
            ("2606:4700::1111", AddressKind::Public),
            ("127.0.0.1", AddressKind::Loopback),
            ("127.255.255.254", AddressKind::Loopback),
            ("::1", AddressKind::Loopback),
            ("10.0.0.1", AddressKind::Private),
            ("172.16.0.1", AddressKind::Private),
            ("172.31.255.255", AddressKind::Private),
            ("192.168.1.1", AddressKind::Private),
            ("fc00::1", AddressKind::Private),
            ("fd12:3456::1", AddressKind::Private),
            ("100.64.0.1", AddressKind::Shared),
            ("100.127.255.255", AddressKind::Shared),
            ("169.254.169.254", AddressKind::CloudMetadata),
            ("169.254.1.1", AddressKind::LinkLocal),
            ("fe80::1", AddressKind::LinkLocal),
            ("0.0.0.0", AddressKind::Unspecified),
            ("0.1.2.3", AddressKind::Unspecified),
            ("::", AddressKind::Unspecified),
            ("224.0.0.1", AddressKind::Multicast),
            ("239.255.255.250", AddressKind::Multicast),
            ("ff02::1", AddressKind::Multicast),
            ("255.255.255.255", AddressKind::Broadcast),
            ("240.0.0.1", AddressKind::Reserved),
            ("192.0.2.1", AddressKind::Reserved),
            ("2001:db8::1", AddressKind::Reserved),
            ("::7f00:1", AddressKind::Reserved),
        ] {
            assert_eq!(kind(address), expected, "{address}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_judged_by_the_ipv4_address() {
        assert_eq!(kind("::ffff:127.0.0.1"), AddressKind::Loopback);
        assert_eq!(kind("::ffff:7f00:1"), AddressKind::Loopback);
        assert_eq!(kind("::ffff:10.0.0.1"), AddressKind::Private);
        assert_eq!(kind("::ffff:169.254.169.254"), AddressKind::CloudMetadata);
        assert_eq!(kind("::ffff:169.254.1.1"), AddressKind::LinkLocal);
        assert_eq!(kind("::ffff:100.64.0.1"), AddressKind::Shared);
        assert_eq!(kind("::ffff:0.0.0.0"), AddressKind::Unspecified);
        assert_eq!(kind("::ffff:93.184.215.14"), AddressKind::Public);
        assert_eq!(kind("64:ff9b::127.0.0.1"), AddressKind::Loopback);
        assert_eq!(kind("64:ff9b::a9fe:a9fe"), AddressKind::CloudMetadata);
        assert_eq!(kind("64:ff9b::a9fe:101"), AddressKind::LinkLocal);
        assert_eq!(kind("64:ff9b::93.184.215.14"), AddressKind::Public);
        assert_eq!(kind("2002:7f00:1::1"), AddressKind::Loopback);
        assert_eq!(kind("2002:c0a8:101::1"), AddressKind::Private);
        assert_eq!(kind("2002:5db8:d70e::1"), AddressKind::Public);
    }

    #[test]
    fn the_policy_decides_only_for_this_machine_and_private_networks() {
        for address in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "192.168.0.10",
            "fd00::1",
            "100.64.0.1",
        ] {
            let address: IpAddr = address.parse().unwrap();
            assert!(check_address("h", address, PublicOnly).is_err(), "{address}");
            assert!(check_address("h", address, AllowPrivate).is_ok(), "{address}");
        }
        for address in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "255.255.255.255",
            "::ffff:169.254.169.254",
        ] {
            let address: IpAddr = address.parse().unwrap();
            assert!(check_address("h", address, PublicOnly).is_err(), "{address}");
            assert!(check_address("h", address, AllowPrivate).is_err(), "{address}");
        }
        assert!(check_address("h", "1.1.1.1".parse().unwrap(), PublicOnly).is_ok());
    }

    #[test]
    fn urls_need_https_and_a_host_unless_private_destinations_are_allowed() {
        assert_eq!(
            check_url("https://hr.example.org/peertrack", PublicOnly),
            Ok(Destination::Name {
                host: "hr.example.org".into(),
                port: 443
            })
        );
        assert_eq!(
            check_url("https://hr.example.org:8443/p", PublicOnly),
            Ok(Destination::Name {
                host: "hr.example.org".into(),
                port: 8443
            })
        );
        assert_eq!(
            check_url("https://93.184.215.14/p", PublicOnly),
            Ok(Destination::Address("93.184.215.14".parse().unwrap()))
        );
        assert_eq!(
            check_url("http://hr.example.org/p", PublicOnly),
            Err(Refusal::PlainHttp)
        );
        assert_eq!(
            check_url("http://hr.example.org/p", AllowPrivate),
            Ok(Destination::Name {
                host: "hr.example.org".into(),
                port: 80
            })
        );
        for policy in [PublicOnly, AllowPrivate] {
            assert_eq!(
                check_url("ftp://hr.example.org/p", policy),
                Err(Refusal::Scheme("ftp".into()))
            );
            assert_eq!(
                check_url("file:///etc/passwd", policy),
                Err(Refusal::Scheme("file".into()))
            );
            assert_eq!(
                check_url("gopher://127.0.0.1:6379/_", policy),
                Err(Refusal::Scheme("gopher".into()))
            );
            assert_eq!(check_url("hr.example.org/p", policy), Err(Refusal::NotAUrl));
            assert_eq!(check_url("https://", policy), Err(Refusal::NoHost));
            assert_eq!(check_url("https:///p", policy), Err(Refusal::NoHost));
            assert_eq!(check_url("https://user@/p", policy), Err(Refusal::NoHost));
            assert_eq!(
                check_url("https://hr.example.org/a b", policy),
                Err(Refusal::NotAUrl)
            );
        }
    }

    #[test]
    fn every_spelling_of_a_forbidden_address_is_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://127.1/",
            "https://0x7f.0.0.1/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://10.0.0.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fe80::1]/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://100.64.0.1/",
            "https://user:pass@127.0.0.1:8443/",
        ] {
            let refused = check_url(url, PublicOnly);
            assert!(
                matches!(refused, Err(Refusal::Address { .. })),
                "{url}: {refused:?}"
            );
        }
        // With private destinations allowed, this machine is fine and cloud metadata still not.
        assert!(check_url("http://127.0.0.1:8080/hook", AllowPrivate).is_ok());
        assert!(check_url("http://169.254.169.254/latest/meta-data/", AllowPrivate).is_err());
    }

    #[test]
    fn cloud_metadata_stays_refused_whatever_the_policy() {
        for address in [
            "169.254.169.254",
            "169.254.170.2",
            "168.63.129.16",
            "100.100.100.200",
            "192.0.0.192",
            "fd00:ec2::254",
            "fd20:ce::254",
            "fd00:c1::a9fe:a9fe",
            "::ffff:100.100.100.200",
            "::ffff:168.63.129.16",
            "64:ff9b::a83f:8110",
            "2002:6464:64c8::1",
        ] {
            assert_eq!(kind(address), AddressKind::CloudMetadata, "{address}");
            let address: IpAddr = address.parse().unwrap();
            assert!(check_address("h", address, PublicOnly).is_err(), "{address}");
            assert!(check_address("h", address, AllowPrivate).is_err(), "{address}");
        }
        // Their neighbours keep their own kind.
        assert_eq!(kind("100.100.100.201"), AddressKind::Shared);
        assert_eq!(kind("168.63.129.17"), AddressKind::Public);
        assert_eq!(kind("fd00:ec2::253"), AddressKind::Private);
        for url in [
            "http://100.100.100.200/latest/meta-data/",
            "http://168.63.129.16/machine?comp=goalstate",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://[fd20:ce::254]/computeMetadata/v1/",
            "http://[fd00:c1::a9fe:a9fe]/opc/v2/instance/",
            "http://192.0.0.192/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
            "http://metadata.goog/",
            "http://metadata/computeMetadata/v1/",
            "http://instance-data/latest/meta-data/",
            "https://instance-data.ec2.internal/latest/",
        ] {
            let https = url.replacen("http://", "https://", 1);
            for (url, policy) in [(&https, PublicOnly), (&url.to_string(), AllowPrivate)] {
                let refused = check_url(url, policy).unwrap_err();
                assert!(
                    refused.to_string().contains("metadata"),
                    "{url} under {policy:?}: {refused}"
                );
            }
        }
        assert!(!is_cloud_metadata_name("metadata.example.org"));
    }

    #[test]
    fn names_are_refused_when_any_address_they_resolve_to_is() {
        let public: IpAddr = "93.184.215.14".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(check_addresses("hr.example.org", [public], PublicOnly).is_ok());
        let refused = check_addresses("hr.example.org", [public, loopback], PublicOnly).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "hr.example.org leads to 127.0.0.1, an address on Peertrack's own machine (loopback): \
             webhooks go to public addresses only"
        );
        assert!(check_addresses("hr.example.org", [public, loopback], AllowPrivate).is_ok());
    }

    #[test]
    fn refusals_read_plainly() {
        let refusal = check_url("https://169.254.169.254/", PublicOnly).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "169.254.169.254 is an address where cloud servers keep their metadata and \
             credentials: webhooks go to public addresses only"
        );
        let refusal = check_url("https://[::1]/", PublicOnly).unwrap_err();
        assert!(
            refusal
                .to_string()
                .starts_with("[::1] is an address on Peertrack's own machine"),
            "{refusal}"
        );
    }
}

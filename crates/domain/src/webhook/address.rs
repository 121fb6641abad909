//! Which endpoint URLs and addresses the server refuses to call, so a tenant cannot aim it at
//! internal services: only `http`/`https` URLs with a host, and no loopback, private,
//! link-local, unique-local, unspecified, multicast, broadcast or shared (CGNAT) address unless
//! private addresses are allowed (`PULSE_WEBHOOK_ALLOW_PRIVATE`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an endpoint URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Not `http` or `https`, or without a host.
    #[error("url must be an http or https URL with a host")]
    NotHttp,
    /// The host is a loopback, private or otherwise internal address (or `localhost`).
    #[error(
        "url points at a loopback, private or internal address, which this server does not call"
    )]
    Internal,
}

/// Whether the server refuses to connect to `address` when private addresses are not allowed.
pub fn is_forbidden_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_forbidden_v4(v4),
            None => is_forbidden_v6(v6),
        },
    }
}

fn is_forbidden_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_multicast()
        || v4.is_broadcast()
        || v4.is_documentation()
        || a == 0
        // Shared address space (CGNAT), 100.64.0.0/10.
        || (a == 100 && (b & 0xc0) == 64)
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && v4.octets()[2] == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b & 0xfe) == 18)
        // Reserved for future use, 240.0.0.0/4.
        || a >= 240
}

fn is_forbidden_v6(v6: Ipv6Addr) -> bool {
    let first = v6.segments()[0];
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Site-local (deprecated), fec0::/10.
        || (first & 0xffc0) == 0xfec0
        // IPv4-compatible (deprecated) ::a.b.c.d and NAT64 64:ff9b::/96 reach IPv4 hosts.
        || v6.segments()[..6] == [0, 0, 0, 0, 0, 0]
        || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        // Local-use NAT64, 64:ff9b:1::/48.
        || v6.segments()[..3] == [0x64, 0xff9b, 1]
        // Teredo, 2001::/32: tunnels to an IPv4 host.
        || v6.segments()[..2] == [0x2001, 0]
        // 6to4, 2002::/16: forbidden when the IPv4 address it embeds is.
        || (first == 0x2002 && is_forbidden_v4(embedded_6to4(v6)))
}

/// The IPv4 address a 6to4 address (`2002:AABB:CCDD::/48`) embeds.
fn embedded_6to4(v6: Ipv6Addr) -> Ipv4Addr {
    let [_, high, low, ..] = v6.segments();
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Checks an endpoint URL already split by a URL parser: its `scheme` and `host` (`None` when
/// it has none; an IP literal without brackets). A host name is checked for `localhost` only:
/// what it resolves to is checked again at each delivery.
pub fn check_webhook_url(
    scheme: &str,
    host: Option<&str>,
    allow_private: bool,
) -> Result<(), WebhookUrlError> {
    if scheme != "http" && scheme != "https" {
        return Err(WebhookUrlError::NotHttp);
    }
    let host = host
        .filter(|host| !host.is_empty())
        .ok_or(WebhookUrlError::NotHttp)?;
    if allow_private {
        return Ok(());
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(address) = literal.parse::<IpAddr>() {
        return if is_forbidden_address(address) {
            Err(WebhookUrlError::Internal)
        } else {
            Ok(())
        };
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Err(WebhookUrlError::Internal);
    }
    Ok(())
}

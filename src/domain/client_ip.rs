//! The client's IP address: the TCP peer, or what trusted proxies say it is (R25, R41).

use std::net::IpAddr;

use ipnet::IpNet;

/// Parses `TRUSTED_PROXIES`: comma-separated CIDRs or bare addresses; empty means none.
pub fn parse_proxies(value: &str) -> Result<Vec<IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{part:?} is not a CIDR such as 10.0.0.0/8 or an IP address"))
        })
        .collect()
}

/// The client's address. Forwarding headers are read only when the peer is a trusted
/// proxy, and then from the right: each trusted hop is skipped, and the first address
/// that is not a trusted proxy is the client (anything left of it is client-supplied and
/// could be forged). `Forwarded` (RFC 7239) wins over `X-Forwarded-For` when both exist.
pub fn client_ip(
    peer: Option<IpAddr>,
    trusted: &[IpNet],
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = match (forwarded, x_forwarded_for) {
        (Some(header), _) => header
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (name, value) = pair.trim().split_once('=')?;
                        name.eq_ignore_ascii_case("for").then_some(value)
                    })
                    .and_then(parse_forwarded_node)
            })
            .collect::<Option<_>>()
            .unwrap_or_default(),
        (None, Some(header)) => header
            .split(',')
            .map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect::<Option<_>>()
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    // A malformed header is not trusted at all: the peer is what we know.
    Some(
        hops.iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .or_else(|| hops.first())
            .copied()
            .unwrap_or(peer),
    )
}

/// `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`; `unknown` and obfuscated
/// identifiers give `None`.
fn parse_forwarded_node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    value
        .parse()
        .ok()
        .or_else(|| value.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let proxies = parse_proxies("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), &proxies, None, Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &[], Some("for=1.2.3.4"), None),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = parse_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client forged the first entry; the proxy appended the real address.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &proxies,
                None,
                Some("6.6.6.6, 198.51.100.7, 10.0.0.3")
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(
                ip("192.168.1.1"),
                &proxies,
                Some("for=6.6.6.6, for=\"[2001:db8::1]:4711\";proto=https"),
                Some("1.1.1.1")
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &proxies, None, Some("not an ip")),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &proxies, None, None),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn bad_proxy_settings_are_named() {
        assert!(parse_proxies("").unwrap().is_empty());
        assert_eq!(parse_proxies("::1, 127.0.0.0/8").unwrap().len(), 2);
        assert!(
            parse_proxies("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
    }
}

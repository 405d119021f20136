//! Audit log streaming: which endpoints an organization may stream to, its shared
//! secret, and the signature every delivery carries (README, "Audit log streaming").

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::FieldError;
use super::audit_chain::hex;
use super::sealed::SecretsKey;

/// The header that carries the signature: `t=<unix seconds>,v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Teamwork-Signature";
/// `activity` for a chain entry, `test` for "Send test event".
pub const EVENT_HEADER: &str = "X-Teamwork-Event";

/// Which endpoints are acceptable: production wants public HTTPS endpoints only (SSRF);
/// development also takes plain HTTP to this machine, for a local receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPolicy {
    Development,
    Production,
}

/// A parsed endpoint URL that the policy accepts. In production a host name must still
/// resolve to public addresses only, at saving and at every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEndpoint(url::Url);

impl StreamEndpoint {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(text: &str, policy: EndpointPolicy) -> Result<Self, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError("Enter the HTTPS address of your endpoint."));
        }
        if text.len() > Self::MAX_CHARS {
            return Err(FieldError(
                "That address is too long (2,000 characters at most).",
            ));
        }
        let Ok(url) = url::Url::parse(text) else {
            return Err(FieldError(
                "Enter a full address, like https://siem.example.com/teamwork.",
            ));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FieldError(
                "Leave credentials out of the address: the secret authenticates each delivery.",
            ));
        }
        if url.fragment().is_some() {
            return Err(FieldError("Remove the #fragment from the address."));
        }
        let host = match url.host() {
            Some(host) => host,
            None => return Err(FieldError("The address has no host.")),
        };
        let ip = match &host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
            url::Host::Domain(_) => None,
        };
        let local = ip.is_some_and(|ip| ip.is_loopback())
            || matches!(&host, url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost"));
        match (url.scheme(), policy) {
            ("https", _) => {}
            ("http", EndpointPolicy::Development) if local => {}
            ("http", EndpointPolicy::Development) => {
                return Err(FieldError(
                    "Use https://. Plain http:// is only for 127.0.0.1 or localhost in development.",
                ));
            }
            _ => return Err(FieldError("Use an https:// address.")),
        }
        if policy == EndpointPolicy::Production && (local || ip.is_some_and(|ip| !is_public(ip))) {
            return Err(FieldError(
                "That address is private or local: the endpoint must be reachable on the internet.",
            ));
        }
        Ok(StreamEndpoint(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

/// An endpoint as the activity log names it: without its query, which may hold a token.
pub fn endpoint_label(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

/// Whether `ip` is an ordinary internet address: not loopback, private, link-local
/// (cloud metadata lives there), shared, documentation, multicast or reserved; IPv6
/// forms that embed an IPv4 address are judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let embeds_v4 = (s[0] == 0x64 && s[1] == 0xff9b) // NAT64
                || s[..6].iter().all(|&x| x == 0); // IPv4-compatible, ::, ::1
            if embeds_v4 {
                let v4 = std::net::Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                );
                return !v6.is_loopback() && !v6.is_unspecified() && is_public(IpAddr::V4(v4));
            }
            !(v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0] == 0x2002) // 6to4 may reach private IPv4 space
        }
    }
}

/// The secret shared with the receiver: the HMAC key of every delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct StreamSecret(String);

impl std::fmt::Debug for StreamSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamSecret(..)")
    }
}

impl StreamSecret {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        if text.chars().count() < 16 {
            return Err(FieldError(
                "Enter a secret of at least 16 characters (random, as your SIEM generates them).",
            ));
        }
        if text.len() > 256 || text.chars().any(char::is_control) {
            return Err(FieldError(
                "Enter a secret of at most 256 characters on one line.",
            ));
        }
        Ok(StreamSecret(text.to_owned()))
    }

    /// The secret as stored: sealed under `SECRETS_KEY` and bound to the organization
    /// (base64), so that the database alone cannot sign a forged delivery.
    pub fn sealed(&self, key: &SecretsKey, org_id: uuid::Uuid) -> String {
        STANDARD.encode(key.seal(self.0.as_bytes(), org_id.as_bytes()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The value of [`SIGNATURE_HEADER`]: `t=<timestamp>,v1=<hex of HMAC-SHA256(secret,
/// "<timestamp>." || body)>`. The timestamp is in the signed bytes, so a receiver that
/// refuses old timestamps refuses replays.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EndpointPolicy::{Development, Production};

    #[test]
    fn production_takes_public_https_endpoints_only() {
        assert!(StreamEndpoint::parse("https://siem.example.com/in?x=1", Production).is_ok());
        assert!(StreamEndpoint::parse("https://203.0.114.9/in", Production).is_ok());
        for refused in [
            "http://siem.example.com/in",
            "http://127.0.0.1:9000/in",
            "https://localhost/in",
            "https://127.0.0.1/in",
            "https://10.1.2.3/in",
            "https://169.254.169.254/latest",
            "https://[::1]/in",
            "https://[fd00::1]/in",
            "https://[::ffff:192.168.1.1]/in",
            "https://user:pass@siem.example.com/in",
            "ftp://siem.example.com/in",
            "siem.example.com",
            "",
        ] {
            assert!(
                StreamEndpoint::parse(refused, Production).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn development_also_takes_plain_http_to_this_machine() {
        for allowed in [
            "http://127.0.0.1:9000/in",
            "http://localhost:9000/in",
            "http://[::1]:9000/in",
            "https://10.1.2.3/in",
        ] {
            assert!(
                StreamEndpoint::parse(allowed, Development).is_ok(),
                "{allowed}"
            );
        }
        assert!(StreamEndpoint::parse("http://siem.example.com/in", Development).is_err());
        assert!(StreamEndpoint::parse("http://10.1.2.3/in", Development).is_err());
    }

    #[test]
    fn public_addresses_are_told_from_private_ones() {
        for public in ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for private in [
            "0.0.0.0",
            "100.64.0.1",
            "172.16.0.1",
            "192.168.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::127.0.0.1",
            "fe80::1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn the_log_names_an_endpoint_without_its_query() {
        assert_eq!(
            endpoint_label("https://a.test/in?token=x"),
            "https://a.test/in?…"
        );
        assert_eq!(endpoint_label("https://a.test/in"), "https://a.test/in");
    }

    #[test]
    fn secrets_are_long_enough_and_on_one_line() {
        assert!(StreamSecret::parse("0123456789abcdef").is_ok());
        assert!(StreamSecret::parse("short").is_err());
        assert!(StreamSecret::parse("0123456789abcdef\nx").is_err());
        assert_eq!(
            format!("{:?}", StreamSecret::parse("0123456789abcdef").unwrap()),
            "StreamSecret(..)"
        );
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        // Python: hmac.new(b"Jefe", b"0.what do ya want for nothing?", "sha256").hexdigest()
        let sig = signature("Jefe", 0, b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc"
        );
        assert_ne!(sig, signature("Jefe", 1, b"what do ya want for nothing?"));
        assert_ne!(sig, signature("Jefe", 0, b"what do ya want for nothing!"));
    }
}

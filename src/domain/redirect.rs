//! The `next` parameter after login: only same-site relative paths are followed (R17).

/// Returns `next` when it is a local absolute path, else `/`.
/// Refuses `//host`, `/\host`, schemes, control characters and anything not starting with `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".into();
    };
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2048;
    if local { next.to_owned() } else { "/".into() }
}

/// Percent-encodes a path for use as the `next` query parameter.
pub fn encode_next(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/orgs/acme/members?page=2")),
            "/orgs/acme/members?page=2"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/ok\r\nLocation: https://evil.example",
            "",
            " /orgs",
            "///evil.example",
            "/\t/evil.example",
            "http:/evil.example",
            "data:text/html,x",
            "%2F%2Fevil.example",
            "/%09/evil.example\\",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "followed {bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn next_is_percent_encoded() {
        assert_eq!(encode_next("/orgs/a b?x=1&y"), "/orgs/a%20b%3Fx%3D1%26y");
    }
}

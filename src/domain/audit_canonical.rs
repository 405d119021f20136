//! The canonical bytes of a chain entry written straight into a reused buffer: the same
//! bytes as `ChainEntry::document()` through `canonical_json`, without building a JSON
//! tree and a string per entry. `teamwork activity verify` hashes a million entries;
//! this is its inner loop.

use std::io::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit_chain::{ChainEntry, VERSION};

/// Writes the canonical JSON of `e` into `out` (cleared first). The top-level keys are
/// fixed, so they are written in their sorted order directly.
pub fn write_entry(e: &ChainEntry, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"{\"action\":");
    string(&e.action, out);
    out.extend_from_slice(b",\"actor_id\":");
    uuid(e.actor_id, out);
    out.extend_from_slice(b",\"actor_name\":");
    string(&e.actor_name, out);
    out.extend_from_slice(b",\"after\":");
    without_email(e.after.as_ref(), out);
    out.extend_from_slice(b",\"before\":");
    without_email(e.before.as_ref(), out);
    out.extend_from_slice(b",\"created_at\":\"");
    timestamp(e.created_at, out);
    out.extend_from_slice(b"\",\"id\":");
    uuid(Some(e.id), out);
    out.extend_from_slice(b",\"org_id\":");
    uuid(Some(e.org_id), out);
    out.extend_from_slice(b",\"personal\":");
    value(&e.personal_digests, out);
    let _ = write!(out, ",\"seq\":{}", e.seq);
    out.extend_from_slice(b",\"target_id\":");
    uuid(e.target_id, out);
    out.extend_from_slice(b",\"target_label\":");
    string(&e.target_label, out);
    out.extend_from_slice(b",\"target_type\":");
    string(&e.target_type, out);
    let _ = write!(out, ",\"v\":{VERSION}}}");
}

/// Whether `digest_hex` is the hex of `SHA-256(salt || value)`, with `salt_hex` the
/// salt in hex; on the stack, no allocation.
pub fn digest_matches(salt_hex: &str, value: &str, digest_hex: &str) -> bool {
    let mut salt = [0u8; 64];
    let n = salt_hex.len() / 2;
    if !salt_hex.len().is_multiple_of(2) || n > salt.len() || digest_hex.len() != 64 {
        return false;
    }
    for (i, pair) in salt_hex.as_bytes().chunks_exact(2).enumerate() {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => salt[i] = hi << 4 | lo,
            _ => return false,
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(&salt[..n]);
    hasher.update(value.as_bytes());
    let computed = hasher.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    digest_hex
        .as_bytes()
        .chunks_exact(2)
        .zip(computed.iter())
        .all(|(pair, b)| pair[0] == HEX[(b >> 4) as usize] && pair[1] == HEX[(b & 15) as usize])
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    // serde_json's escaping, as `canonical_json` uses it; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn uuid(id: Option<Uuid>, out: &mut Vec<u8>) {
    match id {
        Some(id) => {
            let mut text = [0u8; 36];
            out.push(b'"');
            out.extend_from_slice(id.hyphenated().encode_lower(&mut text).as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// `2026-11-30T10:59:56.123456Z`, as `audit_chain::timestamp`.
fn timestamp(at: DateTime<Utc>, out: &mut Vec<u8>) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 1000
    );
}

fn without_email(v: Option<&Value>, out: &mut Vec<u8>) {
    match v {
        Some(Value::Object(map)) => object(map, Some("email"), out),
        Some(other) => value(other, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => object(map, None, out),
        Value::Array(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                value(item, out);
            }
            out.push(b']');
        }
        Value::String(s) => string(s, out),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// An object with its keys in code point order (the map's own order when it already is,
/// as serde_json's sorted map is), leaving out `skip`.
fn object(map: &Map<String, Value>, skip: Option<&str>, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    let mut field = |key: &String, v: &Value, out: &mut Vec<u8>| {
        if Some(key.as_str()) == skip {
            return;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        string(key, out);
        out.push(b':');
        value(v, out);
    };
    if map.keys().is_sorted_by(|a, b| a.as_bytes() <= b.as_bytes()) {
        for (key, v) in map {
            field(key, v, out);
        }
    } else {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for key in keys {
            field(key, &map[key], out);
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit_chain::{GENESIS, hex, personal_digest};
    use serde_json::json;

    fn entry(before: Option<Value>, after: Option<Value>, name: &str) -> ChainEntry {
        ChainEntry {
            org_id: Uuid::now_v7(),
            seq: 123_456_789,
            id: Uuid::now_v7(),
            created_at: DateTime::parse_from_rfc3339("0999-01-02T03:04:05.000007Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_id: Some(Uuid::new_v4()),
            actor_name: name.into(),
            action: "member.removed".into(),
            target_type: "member".into(),
            target_id: None,
            target_label: "Grâce \u{7f}\u{1f}\\/".into(),
            before,
            after,
            ip: None,
            user_agent: None,
            personal_digests: json!({ "ip": "ab", "before.email": "cd", "user_agent": "ef" }),
            personal_salts: json!({}),
            prev_hash: GENESIS.to_vec(),
            hash: Vec::new(),
        }
    }

    #[test]
    fn the_same_bytes_as_the_json_document() {
        let cases = [
            entry(None, None, "Ada"),
            entry(
                Some(json!({ "role": "viewer", "email": "a@x.test", "z": [1, -2.5, null, true] })),
                Some(json!({ "nested": { "b": 1, "a": { "é": "\n\t\"" } }, "email": "x" })),
                "Zoë \"Z\"\n\u{1}😀",
            ),
            entry(Some(json!("text")), Some(json!([{ "b": 2, "a": 1 }])), ""),
        ];
        let mut buffer = Vec::new();
        for e in &cases {
            write_entry(e, &mut buffer);
            assert_eq!(
                String::from_utf8(buffer.clone()).unwrap(),
                String::from_utf8(e.canonical()).unwrap()
            );
        }
    }

    #[test]
    fn digests_match_only_their_salt_and_value() {
        let salt = [0x5au8; 16];
        let digest = personal_digest(&salt, "203.0.113.9");
        assert!(digest_matches(&hex(&salt), "203.0.113.9", &digest));
        assert!(!digest_matches(&hex(&salt), "203.0.113.8", &digest));
        assert!(!digest_matches(&hex(&[0x5b; 16]), "203.0.113.9", &digest));
        assert!(!digest_matches("zz", "203.0.113.9", &digest));
        assert!(!digest_matches(&hex(&salt), "203.0.113.9", &digest[1..]));
    }
}

//! The activity log's hash chain: the exact bytes an entry's hash covers, and how one
//! entry links to the one before. The database writes the chain (a trigger, see the
//! `activity_chain` migration); this is the independent reimplementation that checks it,
//! and the README gives the same encoding in Python.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of an organization's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The version of the encoding, stored in the hashed document as `"v"`.
pub const VERSION: i64 = 1;

/// The personal values of an entry, by the field name their digest is kept under.
pub const PERSONAL_FIELDS: [&str; 4] = ["ip", "user_agent", "before.email", "after.email"];

/// One stored entry, as read back from the `activity` table.
#[derive(Debug, Clone)]
pub struct ChainEntry {
    pub org_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub personal_digests: Value,
    pub personal_salts: Value,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl ChainEntry {
    /// The present personal value of `field` (one of `PERSONAL_FIELDS`).
    pub fn personal_value(&self, field: &str) -> Option<&str> {
        match field {
            "ip" => self.ip.as_deref(),
            "user_agent" => self.user_agent.as_deref(),
            "before.email" => self.before.as_ref()?.get("email")?.as_str(),
            "after.email" => self.after.as_ref()?.get("email")?.as_str(),
            _ => None,
        }
    }

    /// The document the hash covers: personal values appear only as their digests.
    pub fn document(&self) -> Value {
        json!({
            "v": VERSION,
            "org_id": self.org_id,
            "seq": self.seq,
            "id": self.id,
            "created_at": timestamp(self.created_at),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "before": without_email(self.before.as_ref()),
            "after": without_email(self.after.as_ref()),
            "personal": self.personal_digests,
        })
    }

    /// The canonical bytes of `document()`.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = String::with_capacity(512);
        canonical_json(&self.document(), &mut out);
        out.into_bytes()
    }
}

/// `created_at` as hashed: UTC, microseconds, e.g. `2026-11-30T10:59:56.123456Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn without_email(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Object(object)) => {
            let kept: Map<String, Value> = object
                .iter()
                .filter(|(key, _)| *key != "email")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Value::Object(kept)
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// JSON with object keys sorted by code point and no whitespace; strings escaped as
/// serde_json (and Postgres' jsonb, and Python with `ensure_ascii=False`) escape them.
pub fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            // Byte order of UTF-8 is code point order, which is Python's `sort_keys`.
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (n, key) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                canonical_json(&object[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).expect("a string always serializes"));
}

/// `SHA-256(prev_hash || canonical)`.
pub fn link(prev_hash: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// The digest a personal value is hashed as: hex of `SHA-256(salt || value)`.
pub fn personal_digest(salt: &[u8], value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(value.as_bytes());
    hex(&hasher.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The text a checkpoint's Ed25519 signature covers (UTF-8, each line ending in `\n`).
pub fn checkpoint_message(
    org_id: Uuid,
    seq: i64,
    hash: &[u8],
    created_at: DateTime<Utc>,
) -> String {
    format!(
        "teamwork activity checkpoint v1\norg_id={org_id}\nseq={seq}\nhash={}\ncreated_at={}\n",
        hex(hash),
        timestamp(created_at)
    )
}

/// Whether `signature` is `public_key`'s Ed25519 signature of `message`.
pub fn signature_valid(public_key: &[u8], message: &str, signature: &[u8]) -> bool {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let Ok(key) = <[u8; 32]>::try_from(public_key) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    VerifyingKey::from_bytes(&key)
        .is_ok_and(|key| key.verify(message.as_bytes(), &signature).is_ok())
}

/// Where and why a chain stops verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: &'static str,
    pub expected: String,
    pub found: String,
}

/// Checks `entry` as the successor of (`prev_seq`, `prev_hash`).
pub fn check(entry: &ChainEntry, prev_seq: i64, prev_hash: &[u8]) -> Result<(), Break> {
    check_with(entry, prev_seq, prev_hash, &mut Vec::new())
}

/// [`check`] with a buffer for the canonical bytes, reused from one entry to the next.
pub fn check_with(
    entry: &ChainEntry,
    prev_seq: i64,
    prev_hash: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(), Break> {
    let seq = prev_seq + 1;
    if entry.seq != seq {
        return Err(Break {
            seq,
            reason: "entry missing or out of order",
            expected: format!("#{seq}"),
            found: format!("#{}", entry.seq),
        });
    }
    if entry.prev_hash != prev_hash {
        return Err(Break {
            seq,
            reason: "prev_hash is not the hash of the entry before",
            expected: hex(prev_hash),
            found: hex(&entry.prev_hash),
        });
    }
    super::audit_canonical::write_entry(entry, buffer);
    let computed = link(prev_hash, buffer);
    if entry.hash != computed {
        return Err(Break {
            seq,
            reason: "entry altered",
            expected: hex(&computed),
            found: hex(&entry.hash),
        });
    }
    for field in PERSONAL_FIELDS {
        let Some(value) = entry.personal_value(field) else {
            continue;
        };
        let digest = entry.personal_digests.get(field).and_then(Value::as_str);
        let salt_hex = entry.personal_salts.get(field).and_then(Value::as_str);
        if let (Some(digest), Some(salt_hex)) = (digest, salt_hex)
            && super::audit_canonical::digest_matches(salt_hex, value, digest)
        {
            continue;
        }
        // Broken: the slow path, to say what was expected and found.
        let salt = entry
            .personal_salts
            .get(field)
            .and_then(Value::as_str)
            .and_then(unhex);
        let computed = salt.map(|salt| personal_digest(&salt, value));
        if digest.is_none() || computed.as_deref() != digest {
            return Err(Break {
                seq,
                reason: "personal value altered",
                expected: digest.unwrap_or("no value").to_owned(),
                found: computed.unwrap_or_else(|| "a value without a salt".to_owned()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> ChainEntry {
        let salt = [7u8; 16];
        ChainEntry {
            org_id: Uuid::parse_str("0193a0a0-0000-7000-8000-000000000001").unwrap(),
            seq: 1,
            id: Uuid::parse_str("0193a0a0-0000-7000-8000-000000000002").unwrap(),
            created_at: DateTime::parse_from_rfc3339("2026-11-30T10:00:00.000001Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_id: None,
            actor_name: "Zoë \"Z\"\n".into(),
            action: "member.removed".into(),
            target_type: "member".into(),
            target_id: None,
            target_label: "Grace".into(),
            before: Some(json!({ "role": "viewer", "email": "g@x.test" })),
            after: None,
            ip: Some("203.0.113.9".into()),
            user_agent: None,
            personal_digests: json!({
                "ip": personal_digest(&salt, "203.0.113.9"),
                "before.email": personal_digest(&salt, "g@x.test"),
            }),
            personal_salts: json!({ "ip": hex(&salt), "before.email": hex(&salt) }),
            prev_hash: GENESIS.to_vec(),
            hash: Vec::new(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_has_no_whitespace() {
        let mut out = String::new();
        canonical_json(
            &json!({ "b": [1, { "z": null, "a": true }], "a": "é\u{1}\"" }),
            &mut out,
        );
        assert_eq!(out, r#"{"a":"é\u0001\"","b":[1,{"a":true,"z":null}]}"#);
    }

    #[test]
    fn the_document_holds_digests_not_personal_values() {
        let text = String::from_utf8(entry().canonical()).unwrap();
        assert!(!text.contains("203.0.113.9"), "{text}");
        assert!(!text.contains("g@x.test"), "{text}");
        assert!(text.contains(r#""before":{"role":"viewer"}"#), "{text}");
        assert!(text.contains(r#""created_at":"2026-11-30T10:00:00.000001Z""#));
        assert!(text.starts_with(r#"{"action":"member.removed","actor_id":null"#));
    }

    #[test]
    fn a_correct_entry_checks_and_any_change_breaks_it() {
        let mut good = entry();
        good.hash = link(&GENESIS, &good.canonical()).to_vec();
        assert_eq!(check(&good, 0, &GENESIS), Ok(()));

        let mut renamed = good.clone();
        renamed.actor_name = "Mallory".into();
        assert_eq!(
            check(&renamed, 0, &GENESIS).unwrap_err().reason,
            "entry altered"
        );

        let mut moved = good.clone();
        moved.ip = Some("198.51.100.1".into());
        assert_eq!(
            check(&moved, 0, &GENESIS).unwrap_err().reason,
            "personal value altered"
        );

        let mut redacted = good.clone();
        redacted.ip = None;
        redacted.personal_salts = json!({ "before.email": hex(&[7u8; 16]) });
        assert_eq!(check(&redacted, 0, &GENESIS), Ok(()));

        assert_eq!(check(&good, 1, &GENESIS).unwrap_err().seq, 2);
    }

    #[test]
    fn a_checkpoint_signature_covers_every_field() {
        use ed25519_dalek::{Signer, SigningKey};
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let public = key.verifying_key().to_bytes();
        let e = entry();
        let message = checkpoint_message(e.org_id, 7, &[1u8; 32], e.created_at);
        assert!(message.contains("\nseq=7\nhash=0101"), "{message}");
        let signature = key.sign(message.as_bytes()).to_bytes();
        assert!(signature_valid(&public, &message, &signature));
        let other = checkpoint_message(e.org_id, 8, &[1u8; 32], e.created_at);
        assert!(!signature_valid(&public, &other, &signature));
        assert!(!signature_valid(&[0u8; 31], &message, &signature));
    }
}

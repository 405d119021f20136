//! The Ed25519 key that signs activity checkpoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use secrecy::ExposeSecret;

use crate::config::{AppEnv, Config};

fn parse(encoded: &str) -> Option<SigningKey> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    let seed = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// `AUDIT_SIGNING_KEY` (base64 of a 32-byte seed) when set; in development, a key
/// generated once and kept in `DATA_DIR/audit_signing_key`. In production without the
/// variable there is no key: checkpoints are not signed (and the log says so), rather
/// than signed with a key that lives next to the data it vouches for.
pub fn load_or_create(config: &Config) -> Result<Option<SigningKey>, String> {
    if let Some(encoded) = &config.audit_signing_key {
        return parse(encoded.expose_secret())
            .map(Some)
            .ok_or_else(|| "AUDIT_SIGNING_KEY must be the base64 of 32 random bytes".to_owned());
    }
    if config.app_env == AppEnv::Production {
        tracing::warn!("AUDIT_SIGNING_KEY is not set: activity checkpoints are not signed");
        return Ok(None);
    }
    let path = config.data_dir.join("audit_signing_key");
    if let Ok(stored) = std::fs::read_to_string(&path)
        && let Some(key) = parse(&stored)
    {
        return Ok(Some(key));
    }
    let mut seed = [0u8; 32];
    rand::fill(&mut seed[..]);
    crate::session_key::write_private(&path, &STANDARD.encode(seed)).map_err(|e| {
        format!(
            "cannot keep the audit signing key under {}: {e}",
            path.display()
        )
    })?;
    tracing::info!(path = %path.display(), "generated a development audit signing key");
    Ok(Some(SigningKey::from_bytes(&seed)))
}

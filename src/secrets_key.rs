//! The key that encrypts secrets at rest (TOTP and audit stream secrets): `SECRETS_KEY`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::domain::sealed::SecretsKey;

/// The key from its base64 form (`SECRETS_KEY`).
pub fn parse(encoded: &str) -> Option<SecretsKey> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    let key = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
    Some(SecretsKey::from_bytes(&key))
}

/// `SECRETS_KEY` (base64 of 32 random bytes) when set; in development, a key generated
/// once and kept in `DATA_DIR/secrets_key` (production refuses to start without the
/// variable, see `Config`). Losing the key loses every account's second factor.
pub fn load_or_create(config: &Config) -> Result<SecretsKey, String> {
    if let Some(encoded) = &config.secrets_key {
        return parse(encoded.expose_secret())
            .ok_or_else(|| "SECRETS_KEY must be the base64 of 32 random bytes".to_owned());
    }
    let path = config.data_dir.join("secrets_key");
    if let Ok(stored) = std::fs::read_to_string(&path)
        && let Some(key) = parse(&stored)
    {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    crate::session_key::write_private(&path, &STANDARD.encode(bytes))
        .map_err(|e| format!("cannot keep the secrets key under {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development secrets key");
    Ok(SecretsKey::from_bytes(&bytes))
}

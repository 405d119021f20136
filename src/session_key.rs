//! The key that signs and encrypts session cookies.

use std::path::Path;

use actix_web::cookie::Key;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;

use crate::config::Config;

/// `SESSION_KEY` when set; in development, a key generated once and kept in
/// `DATA_DIR/session_key` so that sign-ins survive restarts.
pub fn load_or_create(config: &Config) -> std::io::Result<Key> {
    if let Some(key) = &config.session_key {
        return Ok(Key::derive_from(key.expose_secret().as_bytes()));
    }
    let path = config.data_dir.join("session_key");
    if let Ok(stored) = std::fs::read_to_string(&path)
        && let Ok(bytes) = STANDARD.decode(stored.trim())
        && bytes.len() >= 32
    {
        return Ok(Key::derive_from(&bytes));
    }
    let mut bytes = [0u8; 64];
    rand::fill(&mut bytes[..]);
    write_private(&path, &STANDARD.encode(bytes))?;
    tracing::info!(path = %path.display(), "generated a development session key");
    Ok(Key::derive_from(&bytes))
}

pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

//! Secrets stored encrypted at rest (TOTP and audit stream secrets): AES-256-GCM under `SECRETS_KEY`,
//! each bound to the row it belongs to, so that a value copied to another row fails.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// The format of a sealed value: this byte, the 96-bit random nonce, then the
/// ciphertext with its tag. The byte lets a later key or cipher coexist.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The key that seals secrets at rest. `Debug` never prints it.
#[derive(Clone)]
pub struct SecretsKey(Aes256Gcm);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed secret could not be opened (wrong SECRETS_KEY or damaged value)")]
pub struct Unsealable;

impl SecretsKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        SecretsKey(Aes256Gcm::new(bytes.into()))
    }

    /// Encrypts `plain`, bound to `context` (e.g. the owner's id): opening it needs the
    /// same context.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, Unsealable> {
        let (&version, rest) = sealed.split_first().ok_or(Unsealable)?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| Unsealable)
    }
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let key = SecretsKey::from_bytes(&[7; 32]);
        let sealed = key.seal(b"the secret", b"user-1");
        assert!(!sealed.windows(10).any(|w| w == b"the secret"));
        assert_eq!(key.open(&sealed, b"user-1").unwrap(), b"the secret");
        assert_eq!(key.open(&sealed, b"user-2"), Err(Unsealable));
        let other = SecretsKey::from_bytes(&[8; 32]);
        assert_eq!(other.open(&sealed, b"user-1"), Err(Unsealable));
        assert_eq!(key.open(&sealed[..5], b"user-1"), Err(Unsealable));
        assert_ne!(
            key.seal(b"the secret", b"user-1"),
            sealed,
            "a fresh nonce each time"
        );
    }
}

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Every project API key starts with this, so that leaked keys are easy to recognize and
/// scan for.
pub const API_KEY_PREFIX: &str = "tw_live_";
/// How much of an API key lists show: the prefix and 8 random characters.
pub const API_KEY_SHOWN_CHARS: usize = API_KEY_PREFIX.len() + 8;
/// Every invitation token (the last part of a join link) starts with this.
pub const INVITATION_PREFIX: &str = "inv_";

/// A secret handed to a person once (a session key, a join link, an API key):
/// a readable prefix and 256 bits from the thread CSPRNG, base64url-encoded (R11).
/// Only its [`TokenHash`] is stored; `Debug` never prints it.
pub struct PlainToken(String);

/// SHA-256 of a [`PlainToken`]: what the database keeps and looks up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub Vec<u8>);

impl PlainToken {
    const RANDOM_BYTES: usize = 32;
    const MAX_LEN: usize = 128;

    pub fn generate(prefix: &str) -> Self {
        let mut bytes = [0u8; Self::RANDOM_BYTES];
        rand::fill(&mut bytes[..]);
        Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts a token from a URL or header if it has the expected prefix and shape.
    /// A malformed token is simply unknown: callers answer as for any unknown token.
    pub fn parse(prefix: &str, value: &str) -> Option<Self> {
        let rest = value.strip_prefix(prefix)?;
        let well_formed = value.len() <= Self::MAX_LEN
            && !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(value.to_owned()))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).to_vec())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_differ() {
        let a = PlainToken::generate("inv_");
        let b = PlainToken::generate("inv_");
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), "inv_".len() + 43);
        assert_eq!(a.hash().0.len(), 32);
        assert_eq!(format!("{a:?}"), "PlainToken(..)");
    }

    #[test]
    fn parse_checks_prefix_shape_and_length() {
        let token = PlainToken::generate("inv_");
        let parsed = PlainToken::parse("inv_", token.expose()).unwrap();
        assert_eq!(parsed.hash(), token.hash());
        assert!(PlainToken::parse("key_", token.expose()).is_none());
        assert!(PlainToken::parse("inv_", "inv_").is_none());
        assert!(PlainToken::parse("inv_", "inv_abc/../x").is_none());
        assert!(PlainToken::parse("inv_", &format!("inv_{}", "a".repeat(200))).is_none());
    }
}

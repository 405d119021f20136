//! Two-factor codes: TOTP (RFC 6238 with SHA-1, 6 digits and 30-second steps, what every
//! authenticator app computes) and one-time recovery codes.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::FieldError;

pub const STEP_SECONDS: i64 = 30;
/// Codes of the steps just before and after the current one are accepted too (clocks
/// drift, people type slowly), never further.
pub const ACCEPTED_DRIFT_STEPS: i64 = 1;
/// The name authenticator apps show above the code.
pub const ISSUER: &str = "Teamwork";
/// How many recovery codes a setup gives.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// The time step a moment falls in (Unix seconds / 30).
pub fn step_at(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

/// A TOTP shared secret: 160 random bits (RFC 4226's recommendation). `Debug` never
/// prints it.
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    const BYTES: usize = 20;

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; Self::BYTES];
        rand::fill(&mut bytes[..]);
        TotpSecret(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> totp_rs::Totp {
        totp_rs::Builder::new()
            .with_secret(self.0.clone())
            .with_skew(0)
            .build_noncompliant()
    }

    /// Unpadded base32 (RFC 4648), as apps take it when typed in.
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0.clone()).to_base32()
    }

    /// The base32 secret in groups of four, easier to type.
    pub fn grouped(&self) -> String {
        let plain = self.base32();
        let chunks: Vec<String> = plain
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        chunks.join(" ")
    }

    /// The `otpauth://totp/...` URI an app reads from the QR code.
    pub fn otpauth_uri(&self, account: &str) -> String {
        // The Key URI format forbids ':' in the account name (it separates the issuer).
        let account = account.replace(':', "_");
        totp_rs::Builder::new()
            .with_secret(self.0.clone())
            .with_issuer(Some(ISSUER))
            .with_account_name(account)
            .build_noncompliant()
            .to_url()
            .unwrap_or_else(|_| {
                format!(
                    "otpauth://totp/{ISSUER}?secret={}&issuer={ISSUER}",
                    self.base32()
                )
            })
    }

    /// The code of one time step.
    pub fn code_at_step(&self, step: i64) -> String {
        self.totp()
            .generate((step.max(0) * STEP_SECONDS) as u64)
            .to_string()
    }

    /// The step whose code `code` is, among the steps within the accepted drift of
    /// `now` and later than `last_used` (each code works once: a replay, or an older
    /// code after a newer one was used, is refused).
    pub fn matching_step(
        &self,
        code: &str,
        now: DateTime<Utc>,
        last_used: Option<i64>,
    ) -> Option<i64> {
        let totp = self.totp();
        let current = step_at(now);
        (current - ACCEPTED_DRIFT_STEPS..=current + ACCEPTED_DRIFT_STEPS)
            .filter(|step| *step >= 0 && last_used.is_none_or(|used| *step > used))
            .find(|step| totp.check(code, (*step * STEP_SECONDS) as u64).is_some())
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// What someone typed into "Authentication code": a code from their app, or one of
/// their recovery codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmittedCode {
    Totp(String),
    Recovery(RecoveryCode),
}

const CODE_HELP: &str = "Enter the 6-digit code from your authenticator app, or a recovery code.";

impl SubmittedCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(SubmittedCode::Totp(compact));
        }
        RecoveryCode::parse(&compact)
            .map(SubmittedCode::Recovery)
            .ok_or(FieldError(CODE_HELP))
    }

    /// Only a code from the app (setup confirms that the app works).
    pub fn parse_app_code(input: &str) -> Result<String, FieldError> {
        match Self::parse(input) {
            Ok(SubmittedCode::Totp(code)) => Ok(code),
            _ => Err(FieldError(
                "Enter the 6-digit code your authenticator app shows.",
            )),
        }
    }
}

/// A one-time recovery code: 10 characters of a 32-letter alphabet without look-alikes
/// (50 random bits), shown as `abcde-fghjk`. Stored only as its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    const ALPHABET: &'static [u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    const LEN: usize = 10;

    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::LEN];
        rand::fill(&mut bytes[..]);
        RecoveryCode(
            bytes
                .iter()
                .map(|b| Self::ALPHABET[usize::from(b & 31)] as char)
                .collect(),
        )
    }

    /// Case, dashes and spaces do not matter; letters that look like digits read as them.
    pub fn parse(input: &str) -> Option<Self> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_lowercase() {
                'i' | 'l' => '1',
                'o' => '0',
                other => other,
            })
            .collect();
        let valid = code.len() == Self::LEN && code.bytes().all(|b| Self::ALPHABET.contains(&b));
        valid.then_some(RecoveryCode(code))
    }

    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }

    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and its 8-digit codes; ours are their
    /// last 6 digits (the same truncation, modulo 10^6).
    #[test]
    fn codes_match_the_rfc_6238_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(secret.code_at_step(time / STEP_SECONDS), code, "t={time}");
        }
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn a_code_matches_within_one_step_and_only_after_the_last_used_one() {
        let secret = TotpSecret::generate();
        let now = DateTime::from_timestamp(1_800_000_015, 0).unwrap();
        let step = step_at(now);
        for drift in [-1, 0, 1] {
            let code = secret.code_at_step(step + drift);
            assert_eq!(secret.matching_step(&code, now, None), Some(step + drift));
        }
        for drift in [-2, 2] {
            let code = secret.code_at_step(step + drift);
            assert_eq!(secret.matching_step(&code, now, None), None);
        }
        let code = secret.code_at_step(step);
        assert_eq!(secret.matching_step(&code, now, Some(step)), None);
        let older = secret.code_at_step(step - 1);
        assert_eq!(secret.matching_step(&older, now, Some(step)), None);
    }

    #[test]
    fn the_uri_names_the_issuer_and_account() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let uri = secret.otpauth_uri("ada@example.com");
        assert!(
            uri.starts_with("otpauth://totp/Teamwork:ada%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert!(uri.contains("issuer=Teamwork"));
        assert_eq!(secret.grouped().split(' ').count(), 8);
    }

    #[test]
    fn submitted_codes_are_app_codes_or_recovery_codes() {
        assert_eq!(
            SubmittedCode::parse(" 123 456 "),
            Ok(SubmittedCode::Totp("123456".into()))
        );
        let code = RecoveryCode::generate();
        let shown = code.display();
        assert_eq!(shown.len(), 11);
        assert_eq!(
            SubmittedCode::parse(&shown.to_uppercase()),
            Ok(SubmittedCode::Recovery(code.clone()))
        );
        for bad in ["", "12345", "1234567", "abc", "zzzzz-zzzz!"] {
            assert!(SubmittedCode::parse(bad).is_err(), "{bad}");
        }
        assert!(SubmittedCode::parse_app_code(&shown).is_err());
        assert_ne!(RecoveryCode::generate(), RecoveryCode::generate());
        assert_eq!(code.hash().len(), 32);
    }
}

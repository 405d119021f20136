use super::FieldError;

/// A new password that meets the policy (R23): 8 to 128 characters, no composition
/// rules, not one of the most common passwords. Never logged: `Debug` is redacted.
pub struct Password(String);

/// Passwords seen most often in breach corpora; refusing them stops the cheapest guesses.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "11111111",
    "00000000",
    "abc12345",
    "1q2w3e4r",
    "letmein1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "passw0rd",
    "trustno1",
    "superman",
    "starwars",
];

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError("Use at least 8 characters."));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError("Use at most 128 characters."));
        }
        if COMMON.contains(&input.to_lowercase().as_str()) {
            return Err(FieldError(
                "This password is too common. Choose another one.",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_the_only_composition_rule() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("correct horse").is_ok());
        assert!(
            Password::parse("ééééééé").is_err(),
            "7 characters, 14 bytes"
        );
        assert!(Password::parse(&"x".repeat(64)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_and_debug_hides_the_value() {
        assert!(Password::parse("Password123").is_err());
        let password = Password::parse("a fine secret").unwrap();
        assert_eq!(format!("{password:?}"), "Password(..)");
    }
}

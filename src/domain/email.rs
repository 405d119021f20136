use super::{FieldError, clean_line};

/// A syntactically valid email address as typed (case kept for display).
/// Equality is case-insensitive on the whole address: no dot or plus folding (R14).
#[derive(Debug, Clone, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = clean_line(input)?;
        if value.is_empty() {
            return Err(FieldError("Enter an email address."));
        }
        if value.len() > Self::MAX_LEN {
            return Err(FieldError("Email addresses are at most 254 characters."));
        }
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            allow_long_local_parts: false,
        };
        // Also by the mail library's rules (as an address and as a header mailbox), so
        // that whatever is accepted can be sent. Quoted local parts (`"a b"@x`) are valid
        // RFC 5321 but refused: relays reject them and no person types one.
        email_address::EmailAddress::parse_with_options(value, options)
            .ok()
            .filter(|_| !value.contains('"'))
            .and_then(|_| value.parse::<lettre::Address>().ok())
            .and_then(|_| value.parse::<lettre::message::Mailbox>().ok())
            .map(|_| Self(value.to_owned()))
            .ok_or(FieldError(
                "Enter a valid email address, like name@example.com.",
            ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for comparisons and unique indexes (`lower(email)` in SQL).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_keeps_their_case() {
        let email = EmailAddress::parse("  Ada.Lovelace+tw@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace+tw@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace+tw@example.com");
    }

    #[test]
    fn compares_case_insensitively_without_folding_dots_or_plus() {
        let a = EmailAddress::parse("ada@example.com").unwrap();
        assert_eq!(a, EmailAddress::parse("ADA@example.COM").unwrap());
        assert_ne!(a, EmailAddress::parse("a.da@example.com").unwrap());
        assert_ne!(a, EmailAddress::parse("ada+x@example.com").unwrap());
    }

    #[test]
    fn refuses_malformed_and_injected_addresses() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "Ada <ada@example.com>",
            "\"<script>alert(3)</script>\"@x-test.example",
            "ada@example.com\r\nBcc: eve@example.com",
            "ada@[127.0.0.1]",
            "a b@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
        // Surrounding whitespace (a pasted trailing newline) is trimmed, not an injection.
        assert_eq!(
            EmailAddress::parse("ada@example.com\n").unwrap().as_str(),
            "ada@example.com"
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }
}

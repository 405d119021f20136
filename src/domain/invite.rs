//! The "Email address" field of an invitation: one or many addresses.

use super::{EmailAddress, FieldError};

/// At most this many addresses in one invitation form.
pub const MAX_ADDRESSES: usize = 50;

/// One entry of the field: a valid address, or what was typed and why it is invalid.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Valid(EmailAddress),
    Invalid { input: String, reason: FieldError },
}

/// Splits on commas, semicolons, spaces and new lines; drops case-insensitive duplicates.
/// Fails for an empty field or more than [`MAX_ADDRESSES`] entries.
pub fn parse_addresses(input: &str) -> Result<Vec<Entry>, FieldError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for raw in input
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let entry = match EmailAddress::parse(raw) {
            Ok(email) if seen.insert(email.normalized()) => Entry::Valid(email),
            Ok(_) => continue,
            Err(reason) => Entry::Invalid {
                input: raw.chars().take(100).collect(),
                reason,
            },
        };
        entries.push(entry);
        if entries.len() > MAX_ADDRESSES {
            return Err(FieldError("Invite at most 50 addresses at once."));
        }
    }
    if entries.is_empty() {
        return Err(FieldError("Enter at least one email address."));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(entries: &[Entry]) -> Vec<&str> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Valid(email) => Some(email.as_str()),
                Entry::Invalid { .. } => None,
            })
            .collect()
    }

    #[test]
    fn commas_spaces_and_new_lines_separate_addresses() {
        let entries = parse_addresses(
            "ada@example.com, grace@example.com\nalan@example.com;  bob@example.com",
        )
        .unwrap();
        assert_eq!(
            valid(&entries),
            [
                "ada@example.com",
                "grace@example.com",
                "alan@example.com",
                "bob@example.com"
            ]
        );
    }

    #[test]
    fn invalid_entries_are_kept_with_their_reason_and_duplicates_dropped() {
        let entries = parse_addresses("ada@example.com nope ADA@example.com").unwrap();
        assert_eq!(valid(&entries), ["ada@example.com"]);
        assert!(matches!(&entries[1], Entry::Invalid { input, .. } if input == "nope"));
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn empty_and_oversized_lists_are_refused() {
        assert!(parse_addresses(" ,\n ").is_err());
        let many: Vec<String> = (0..51).map(|i| format!("p{i}@example.com")).collect();
        assert!(parse_addresses(&many.join(",")).is_err());
        let fifty: Vec<String> = (0..50).map(|i| format!("p{i}@example.com")).collect();
        assert_eq!(parse_addresses(&fifty.join(",")).unwrap().len(), 50);
    }
}

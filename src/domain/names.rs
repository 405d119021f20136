use super::{FieldError, clean_line};

/// A person's display name: 1 to 100 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = clean_line(input)?;
        match value.chars().count() {
            0 => Err(FieldError("Enter your name.")),
            1..=100 => Ok(Self(value.to_owned())),
            _ => Err(FieldError("Names are at most 100 characters.")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization's display name: 1 to 100 characters on one line, with at least one
/// letter or digit so that a slug can be derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = clean_line(input)?;
        if value.is_empty() {
            return Err(FieldError("Enter a name for the organization."));
        }
        if value.chars().count() > 100 {
            return Err(FieldError("Organization names are at most 100 characters."));
        }
        if !value.chars().any(char::is_alphanumeric) {
            return Err(FieldError("Use at least one letter or digit."));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short one-line label typed by a person: a project's or an API key's name.
fn label(input: &str, empty: &'static str) -> Result<String, FieldError> {
    let value = clean_line(input)?;
    match value.chars().count() {
        0 => Err(FieldError(empty)),
        1..=100 => Ok(value.to_owned()),
        _ => Err(FieldError("Names are at most 100 characters.")),
    }
}

/// A project's name, unique among the organization's live projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        label(input, "Enter a name for the project.").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An API key's name, to tell keys apart ("production", "CI").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        label(input, "Enter a name for the key.").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL segment of an organization: lowercase ASCII letters and digits joined by
/// single hyphens, at most 48 characters (the `organizations.slug` CHECK constraint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    const MAX_LEN: usize = 48;

    /// Derives a slug from a name: ASCII letters and digits are kept, everything else
    /// becomes a separator; a name with no ASCII letter or digit gives "org".
    pub fn from_name(name: &OrgName) -> Self {
        let mut slug = String::new();
        for word in name
            .as_str()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if slug.len() + word.len() + 1 > Self::MAX_LEN {
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word.to_ascii_lowercase());
        }
        if slug.is_empty() {
            slug.push_str("org");
        }
        Self(slug)
    }

    /// The same slug with a numeric suffix, for when the plain one is taken.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX_LEN - suffix.len());
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    /// The same slug with a suffix of lowercase letters and digits (a random tag when
    /// the numbered ones are taken).
    pub fn with_tag(&self, tag: &str) -> Self {
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .collect();
        let suffix = format!("-{tag}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX_LEN - suffix.len());
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(name: &str) -> String {
        Slug::from_name(&OrgName::parse(name).unwrap())
            .as_str()
            .to_owned()
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        assert_eq!(slug("Acme Corp."), "acme-corp");
        assert_eq!(slug("  R&D -- Team 7 "), "r-d-team-7");
        assert_eq!(slug("Crème brûlée"), "cr-me-br-l-e");
        assert_eq!(slug("東京"), "org");
    }

    #[test]
    fn long_names_give_bounded_slugs_and_suffixes_fit() {
        let long = slug(&"word ".repeat(19));
        assert!(long.len() <= 48, "{long}");
        let suffixed = Slug(long).with_suffix(12);
        assert!(suffixed.as_str().len() <= 48);
        assert!(suffixed.as_str().ends_with("-12"));
    }

    #[test]
    fn project_and_key_names_are_one_bounded_line() {
        assert_eq!(
            ProjectName::parse("  Website ").unwrap().as_str(),
            "Website"
        );
        assert!(ProjectName::parse("").is_err());
        assert!(KeyName::parse("ci\nprod").is_err());
        assert!(KeyName::parse(&"k".repeat(101)).is_err());
    }

    #[test]
    fn names_refuse_empty_overlong_and_multiline_input() {
        assert!(OrgName::parse("  ").is_err());
        assert!(OrgName::parse("---").is_err());
        assert!(OrgName::parse(&"a".repeat(101)).is_err());
        assert!(OrgName::parse("Acme\r\nEvil").is_err());
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse("Ada\nLovelace").is_err());
        assert_eq!(PersonName::parse(" Ada ").unwrap().as_str(), "Ada");
    }
}

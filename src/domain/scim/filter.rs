//! The list filters this console answers: one attribute compared with `eq` (RFC 7644
//! 3.4.2.2), which is what identity providers send to find a user or group before
//! creating it (`userName eq "ada@example.com"`, `externalId eq "00u1"`,
//! `displayName eq "eng"`). Anything else is refused with `invalidFilter`.

use super::Refusal;
use super::path::{Attr, Comparison, canonical, parse_comparison};

/// `attribute eq value`, with the attribute in its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub attribute: &'static str,
    pub value: String,
}

/// Parses `input` for a resource whose filterable attributes are `filterable`.
pub fn parse(input: &str, attrs: &[Attr], filterable: &[&str]) -> Result<Filter, Refusal> {
    let Comparison { path, value } = parse_comparison(input.trim()).ok_or_else(|| {
        Refusal::invalid_filter(format!(
            "Unsupported filter: {input}. Use attribute eq \"value\"."
        ))
    })?;
    // `id` is common to every resource, so no schema lists it.
    let common = path.eq_ignore_ascii_case("id").then_some("id");
    let attribute = common
        .or_else(|| canonical(attrs, &path).map(|a| a.name))
        .filter(|name| filterable.contains(name))
        .ok_or_else(|| {
            Refusal::invalid_filter(format!(
                "Filtering on {path} is not supported; filter on {}.",
                filterable.join(", ")
            ))
        })?;
    let value = match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(Filter { attribute, value })
}

#[cfg(test)]
mod tests {
    use super::super::resource::USER_ATTRS;
    use super::*;

    const FILTERABLE: &[&str] = &["userName", "externalId", "id"];

    #[test]
    fn user_name_eq_is_understood_in_any_case() {
        let f = parse(r#"userName eq "Ada@Example.com""#, USER_ATTRS, FILTERABLE).unwrap();
        assert_eq!(f.attribute, "userName");
        assert_eq!(f.value, "Ada@Example.com");
        let f = parse(r#"id eq "x""#, USER_ATTRS, FILTERABLE).unwrap();
        assert_eq!(f.attribute, "id");
        let f = parse(r#"USERNAME EQ "x""#, USER_ATTRS, FILTERABLE).unwrap();
        assert_eq!(f.attribute, "userName");
        let f = parse(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x y""#,
            USER_ATTRS,
            FILTERABLE,
        )
        .unwrap();
        assert_eq!(f.value, "x y");
        let f = parse(r#"externalId eq "a \"quoted\" id""#, USER_ATTRS, FILTERABLE).unwrap();
        assert_eq!(f.value, r#"a "quoted" id"#);
    }

    #[test]
    fn other_filters_are_refused_as_invalid() {
        for input in [
            "",
            "userName",
            r#"userName co "a""#,
            r#"userName eq "a" and active eq true"#,
            r#"displayName eq "a""#,
            r#"userName eq "unterminated"#,
            r#"nickName eq "x""#,
        ] {
            let refusal = parse(input, USER_ATTRS, FILTERABLE).unwrap_err();
            assert_eq!(refusal.scim_type, Some("invalidFilter"), "{input}");
            assert_eq!(refusal.status, 400);
        }
    }
}

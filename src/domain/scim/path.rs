//! Attribute paths as filters and PATCH operations name them: `userName`,
//! `name.givenName`, `emails[type eq "work"].value`, with or without the core schema's
//! URN in front, matched in any case against the attributes a resource publishes.

use serde_json::Value;

use super::Refusal;

/// One attribute a resource publishes: its canonical name, whether it is a list, its
/// sub-attributes when it is complex, and whether the provider may write it.
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub multi: bool,
    pub subs: &'static [&'static str],
    pub read_only: bool,
}

/// The attribute `path` names (case-insensitively, with or without a core schema URN
/// in front), looking only at the part before any `.` or `[`.
pub fn canonical<'a>(attrs: &'a [Attr], path: &str) -> Option<&'a Attr> {
    let name = strip_urn(path);
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn strip_urn(path: &str) -> &str {
    let head_len = path.find('[').unwrap_or(path.len());
    let head = &path[..head_len];
    if head.len() >= 4 && head[..4].eq_ignore_ascii_case("urn:") {
        match head.rfind(':') {
            Some(i) => &path[i + 1..],
            None => path,
        }
    } else {
        path
    }
}

/// `path eq value` inside a filter or a PATCH path's brackets.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: String,
    pub value: Value,
}

/// Parses `attribute eq value` where the value is a JSON string, number, `true`,
/// `false` or `null`, and nothing follows it.
pub fn parse_comparison(input: &str) -> Option<Comparison> {
    let (path, rest) = input.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (op, rest) = rest.split_once(char::is_whitespace)?;
    if !op.eq_ignore_ascii_case("eq") || path.is_empty() {
        return None;
    }
    let rest = rest.trim();
    let value = if rest.starts_with('"') {
        let end = closing_quote(rest)?;
        if !rest[end + 1..].trim().is_empty() {
            return None;
        }
        serde_json::from_str(&rest[..=end]).ok()?
    } else {
        let lower = rest.to_ascii_lowercase();
        match lower.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => Value::Number(rest.parse().ok()?),
        }
    };
    Some(Comparison {
        path: path.to_owned(),
        value,
    })
}

/// The index of the quote that closes the JSON string starting at 0.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// A parsed PATCH path: an attribute, optionally a filter on its items, optionally a
/// sub-attribute.
#[derive(Debug)]
pub struct Path<'a> {
    pub attr: &'a Attr,
    pub filter: Option<Comparison>,
    pub sub: Option<&'static str>,
}

fn sub_of(attr: &Attr, name: &str) -> Result<&'static str, Refusal> {
    attr.subs
        .iter()
        .find(|s| s.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| Refusal::invalid_path(format!("{} has no sub-attribute {name}.", attr.name)))
}

pub fn parse_path<'a>(attrs: &'a [Attr], input: &str) -> Result<Path<'a>, Refusal> {
    let unknown = || Refusal::invalid_path(format!("Unknown attribute path: {input}"));
    let path = strip_urn(input.trim());
    let (head, filter, tail) = match path.find('[') {
        Some(open) => {
            let close = path.rfind(']').filter(|&c| c > open).ok_or_else(unknown)?;
            let comparison = parse_comparison(&path[open + 1..close]).ok_or_else(|| {
                Refusal::invalid_path(format!("Unsupported filter in path: {input}"))
            })?;
            (&path[..open], Some(comparison), &path[close + 1..])
        }
        None => match path.find('.') {
            Some(dot) => (&path[..dot], None, &path[dot..]),
            None => (path, None, ""),
        },
    };
    let attr = attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(head))
        .ok_or_else(unknown)?;
    let sub = match sub_if_any(tail).ok_or_else(unknown)? {
        Some(name) => Some(sub_of(attr, name)?),
        None => None,
    };
    let filter = match filter {
        Some(mut c) => {
            if !attr.multi {
                return Err(Refusal::invalid_path(format!(
                    "{} is not multi-valued: it takes no filter.",
                    attr.name
                )));
            }
            c.path = sub_of(attr, &c.path)?.to_owned();
            Some(c)
        }
        None => None,
    };
    if sub.is_some() && attr.subs.is_empty() {
        return Err(unknown());
    }
    Ok(Path { attr, filter, sub })
}

/// `""` -> no sub-attribute; `".x"` -> `x`; anything else is not a path.
fn sub_if_any(tail: &str) -> Option<Option<&str>> {
    if tail.is_empty() {
        Some(None)
    } else {
        tail.strip_prefix('.')
            .filter(|s| !s.is_empty() && !s.contains(['.', '[']))
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn comparisons_parse_strings_numbers_and_booleans() {
        let c = parse_comparison(r#"value eq "a b""#).unwrap();
        assert_eq!((c.path.as_str(), c.value), ("value", json!("a b")));
        assert_eq!(
            parse_comparison("primary eq true").unwrap().value,
            json!(true)
        );
        assert_eq!(parse_comparison("n EQ 3").unwrap().value, json!(3));
        assert!(parse_comparison(r#"value eq "a" trailing"#).is_none());
        assert!(parse_comparison(r#"value ne "a""#).is_none());
    }
}

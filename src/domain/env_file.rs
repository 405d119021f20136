//! The `.env` text of freshly minted API keys: one `NAME=secret` line per key, with a
//! variable name made from the project and key names.

use std::collections::HashSet;

/// An environment variable name for a key: `PROJECT_KEY` in upper case, any other
/// character an underscore, never starting with a digit.
pub fn variable_name(project: &str, key: &str) -> String {
    let mut name = String::new();
    for c in format!("{project}_{key}").chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        };
        // One underscore for a run of separators.
        if !(c == '_' && name.ends_with('_')) {
            name.push(c);
        }
    }
    let name = name.trim_matches('_').to_owned();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("KEY_{name}")
    } else {
        name
    }
}

/// The file: keys as (project, key name, secret). Two keys with one variable name get
/// `_2`, `_3`, ... so that none hides another.
pub fn render(keys: &[(String, String, String)]) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    for (project, key, secret) in keys {
        let base = variable_name(project, key);
        let mut name = base.clone();
        let mut n = 1;
        while !seen.insert(name.clone()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        out.push_str(&format!("{name}={secret}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shell_variables() {
        assert_eq!(variable_name("Website", "prod key"), "WEBSITE_PROD_KEY");
        assert_eq!(variable_name("2026 app", "ci"), "KEY_2026_APP_CI");
        assert_eq!(variable_name("Café", "é"), "CAF");
        assert_eq!(variable_name("--", "--"), "KEY_");
    }

    #[test]
    fn same_names_stay_apart() {
        let keys = vec![
            ("A".to_owned(), "k".to_owned(), "tw_1".to_owned()),
            ("a".to_owned(), "K".to_owned(), "tw_2".to_owned()),
        ];
        assert_eq!(render(&keys), "A_K=tw_1\nA_K_2=tw_2\n");
    }
}

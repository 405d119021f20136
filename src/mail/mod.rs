//! Outgoing email: the outbox written inside transactions, the worker that sends it, its transports.

pub mod access_until;
pub mod account_links;
pub mod account_notices;
pub mod alerts;
pub mod integrity;
pub mod invitations;
pub mod org_deletion;
pub mod outbox;
pub mod removal;
mod runtime;
pub mod transport;
pub mod two_factor;
pub mod worker;

pub use outbox::{Delivery, OutboxId};
pub use transport::Transport;
pub use worker::{WorkerHandle, WorkerOptions, WorkerStats};

use crate::domain::EmailAddress;

/// Longest subject kept by [`outbox::enqueue`], in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest recipient display name kept by [`outbox::enqueue`], in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// One email to one person, already rendered (text and HTML) by the feature that sends it.
/// Subject and name may hold user text: `enqueue` makes them single, bounded lines.
#[derive(Debug, Clone)]
pub struct Email {
    pub recipient: EmailAddress,
    /// The display name of the `To:` header, e.g. the invitee's name when known.
    pub name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What operations that send email need besides the database: where links point
/// (`BASE_URL`, never the request's Host: R18) and the time.
pub struct Context {
    pub base_url: String,
    pub now: chrono::DateTime<chrono::Utc>,
    /// Invitation emails an account with an unconfirmed address may send a day, in all
    /// its organizations together, resends included (R42).
    pub unverified_sends_per_day: i64,
}

impl Context {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Context {
            base_url: config.base_url.clone(),
            now: config.clock.now(),
            unverified_sends_per_day: config.limits.unverified_invitations_per_day.into(),
        }
    }

    /// An absolute link to `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// A person's or organization's name as it may appear in a Subject line: at most
/// [`SUBJECT_NAME_MAX`] characters of letters, digits, spaces and basic punctuation.
/// Names are chosen by whoever signs up, and a Subject is what a mail client shows before
/// any warning, so a name must not be able to read like a whole message ("Your account
/// is suspended, call ..."); the body carries the full name, escaped.
pub fn subject_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " .,'&()-_".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = kept.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        let len = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if len > SUBJECT_NAME_MAX {
            if out.is_empty() {
                out = word.chars().take(SUBJECT_NAME_MAX).collect();
            }
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        "Someone".into()
    } else {
        out
    }
}

pub const SUBJECT_NAME_MAX: usize = 60;

/// Without `SMTP_URL`, mail goes to files: its link is also logged so that a newcomer can
/// click it. With SMTP configured, links never reach the logs (R35).
pub fn log_link_in_development(config: &crate::config::Config, what: &str, to: &str, link: &str) {
    if config.smtp_url.is_none() {
        tracing::info!(%to, %link, "{what} link (development mail, no SMTP_URL)");
    }
}

/// A mail setting that cannot work; the message names the setting, never its value.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL: {0}")]
    SmtpUrl(String),
    #[error("MAIL_FROM must be an address such as `Teamwork <teamwork@example.com>`")]
    MailFrom,
}

/// Text safe for one header line: control characters (CR, LF, tab, NUL, ...) and Unicode
/// line separators become spaces, whitespace runs collapse, and at most `max` characters remain.
pub(crate) fn header_text(value: &str, max: usize) -> String {
    let spaced: String = value
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut line = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = line.char_indices().nth(max) {
        line.truncate(cut);
        line.truncate(line.trim_end().len());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::header_text;

    #[test]
    fn header_text_is_one_bounded_line() {
        assert_eq!(
            header_text("Hi\r\nBcc: eve@example.com", 200),
            "Hi Bcc: eve@example.com"
        );
        assert_eq!(header_text("  a\t\u{0}b\u{2028}c  ", 200), "a b c");
        assert_eq!(header_text("ééééé", 3), "ééé");
        assert_eq!(header_text("ab cd", 3), "ab");
        assert_eq!(header_text("", 3), "");
    }
}

#[cfg(test)]
mod subject_tests {
    use super::*;

    #[test]
    fn subject_names_are_short_plain_text() {
        assert_eq!(subject_name("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(subject_name("Zoë O'Brien-Smith"), "Zoë O'Brien-Smith");
        assert_eq!(
            subject_name("URGENT: your account is suspended! Call +1 555 0100 <now>"),
            "URGENT your account is suspended Call 1 555 0100 now"
        );
        let long = "word ".repeat(30);
        assert!(subject_name(&long).chars().count() <= SUBJECT_NAME_MAX);
        assert_eq!(subject_name("<>!!"), "Someone");
    }
}

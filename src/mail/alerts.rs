//! The alerts email: one message listing a person's alerts of the last minutes, in
//! every organization they came from.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

/// One line of the message.
pub struct Line {
    pub org: String,
    pub overview_url: String,
    pub message: String,
    pub security: bool,
}

#[derive(Template)]
#[template(path = "mail/alerts.txt")]
struct AlertsText<'a> {
    name: &'a str,
    lines: &'a [Line],
    account_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/alerts.html")]
struct AlertsHtml<'a> {
    name: &'a str,
    lines: &'a [Line],
    account_url: &'a str,
}

/// The message to `recipient` (called `name`) listing `lines`, oldest first.
pub fn alerts(
    recipient: EmailAddress,
    name: &str,
    lines: &[Line],
    base_url: &str,
) -> Result<Email, askama::Error> {
    let account_url = format!("{base_url}/account");
    let security = lines.iter().any(|l| l.security);
    let subject = match lines {
        [one] if security => format!("Security alert in {}", super::subject_name(&one.org)),
        [one] => format!("A change in {}", super::subject_name(&one.org)),
        many if security => format!("{} alerts, security among them", many.len()),
        many => format!("{} changes in your organizations", many.len()),
    };
    Ok(Email {
        recipient,
        name: Some(name.to_owned()),
        subject: format!("{subject} (Teamwork)"),
        text: AlertsText {
            name,
            lines,
            account_url: &account_url,
        }
        .render()?,
        html: AlertsHtml {
            name,
            lines,
            account_url: &account_url,
        }
        .render()?,
    })
}

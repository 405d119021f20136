//! The email to a person removed from an organization, rendered from `templates/mail/`.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/member_removed.txt")]
struct RemovedText<'a> {
    name: &'a str,
    org: &'a str,
    actor: &'a str,
}

#[derive(Template)]
#[template(path = "mail/member_removed.html")]
struct RemovedHtml<'a> {
    name: &'a str,
    org: &'a str,
    actor: &'a str,
}

/// Tells `to` that `actor` removed them from `org`.
pub fn removed(
    to: EmailAddress,
    name: &str,
    org: &str,
    actor: &str,
) -> Result<Email, askama::Error> {
    Ok(Email {
        recipient: to,
        name: Some(name.to_owned()),
        subject: format!(
            "You were removed from {} by {}",
            super::subject_name(org),
            super::subject_name(actor)
        ),
        text: RemovedText { name, org, actor }.render()?,
        html: RemovedHtml { name, org, actor }.render()?,
    })
}

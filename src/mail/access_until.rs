//! The reminders that project-only access ends soon ("Access until"), to the member and
//! to each administrator, rendered from `templates/mail/`.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/access_ending.txt")]
struct EndingText<'a> {
    name: &'a str,
    member: &'a str,
    is_member: bool,
    project: &'a str,
    org: &'a str,
    until: &'a str,
    when: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/access_ending.html")]
struct EndingHtml<'a> {
    name: &'a str,
    member: &'a str,
    is_member: bool,
    project: &'a str,
    org: &'a str,
    until: &'a str,
    when: &'a str,
    link: &'a str,
}

/// What one reminder says.
pub struct EndingMail<'a> {
    pub to: EmailAddress,
    pub to_name: &'a str,
    /// The project-only member whose access ends.
    pub member: &'a str,
    /// Whether `to` is that member (else an administrator).
    pub is_member: bool,
    pub project: &'a str,
    pub org: &'a str,
    /// "Dec 31, 2026": the last day of the access.
    pub until: &'a str,
    /// "in 7 days", "tomorrow".
    pub when: &'a str,
    /// The project's page, where an administrator extends it.
    pub link: &'a str,
}

pub fn ending(mail: EndingMail<'_>) -> Result<Email, askama::Error> {
    let subject = if mail.is_member {
        format!(
            "Your access to {} ends {}",
            super::subject_name(mail.project),
            mail.when
        )
    } else {
        format!(
            "{}'s access to {} ends {}",
            super::subject_name(mail.member),
            super::subject_name(mail.project),
            mail.when
        )
    };
    let text = EndingText {
        name: mail.to_name,
        member: mail.member,
        is_member: mail.is_member,
        project: mail.project,
        org: mail.org,
        until: mail.until,
        when: mail.when,
        link: mail.link,
    }
    .render()?;
    let html = EndingHtml {
        name: mail.to_name,
        member: mail.member,
        is_member: mail.is_member,
        project: mail.project,
        org: mail.org,
        until: mail.until,
        when: mail.when,
        link: mail.link,
    }
    .render()?;
    Ok(Email {
        recipient: mail.to,
        name: Some(mail.to_name.to_owned()),
        subject,
        text,
        html,
    })
}

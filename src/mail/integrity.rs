//! The alert administrators get when their organization's activity log stops verifying.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/integrity_alert.txt")]
struct AlertText<'a> {
    name: &'a str,
    org: &'a str,
    seq: i64,
    reason: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/integrity_alert.html")]
struct AlertHtml<'a> {
    name: &'a str,
    org: &'a str,
    seq: i64,
    reason: &'a str,
    link: &'a str,
}

pub fn integrity_alert(
    name: &str,
    recipient: EmailAddress,
    org: &str,
    seq: i64,
    reason: &str,
    link: &str,
) -> Result<Email, askama::Error> {
    Ok(Email {
        recipient,
        name: Some(name.to_owned()),
        subject: format!(
            "The activity log of {} does not verify",
            crate::mail::subject_name(org)
        ),
        text: AlertText {
            name,
            org,
            seq,
            reason,
            link,
        }
        .render()?,
        html: AlertHtml {
            name,
            org,
            seq,
            reason,
            link,
        }
        .render()?,
    })
}

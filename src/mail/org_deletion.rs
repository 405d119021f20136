//! The emails of deleting and restoring an organization, rendered from `templates/mail/`.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::domain::EmailAddress;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/org_deleted.txt")]
struct DeletedText<'a> {
    actor: &'a str,
    org: &'a str,
    is_deleter: bool,
    restore_url: Option<&'a str>,
    restore_until: &'a str,
}

#[derive(Template)]
#[template(path = "mail/org_deleted.html")]
struct DeletedHtml<'a> {
    actor: &'a str,
    org: &'a str,
    is_deleter: bool,
    restore_url: Option<&'a str>,
    restore_until: &'a str,
}

/// What the deletion email says to one person.
pub struct DeletedMail<'a> {
    pub to: &'a EmailAddress,
    pub to_name: &'a str,
    pub actor: &'a str,
    pub org: &'a str,
    /// The restore link, for the administrator who deleted it only.
    pub restore_url: Option<&'a str>,
    pub restore_until: DateTime<Utc>,
}

/// Tells a person that the organization was deleted; the deleter's copy carries the
/// "Restore" link.
pub fn deleted(mail: DeletedMail<'_>) -> Result<Email, askama::Error> {
    let restore_until = mail
        .restore_until
        .format("%B %-d, %Y at %H:%M UTC")
        .to_string();
    let is_deleter = mail.restore_url.is_some();
    let text = DeletedText {
        actor: mail.actor,
        org: mail.org,
        is_deleter,
        restore_url: mail.restore_url,
        restore_until: &restore_until,
    }
    .render()?;
    let html = DeletedHtml {
        actor: mail.actor,
        org: mail.org,
        is_deleter,
        restore_url: mail.restore_url,
        restore_until: &restore_until,
    }
    .render()?;
    Ok(Email {
        recipient: mail.to.clone(),
        name: Some(mail.to_name.to_owned()),
        subject: format!("{} was deleted", super::subject_name(mail.org)),
        text,
        html,
    })
}

#[derive(Template)]
#[template(path = "mail/org_restored.txt")]
struct RestoredText<'a> {
    actor: &'a str,
    org: &'a str,
    org_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/org_restored.html")]
struct RestoredHtml<'a> {
    actor: &'a str,
    org: &'a str,
    org_url: &'a str,
}

/// Tells a person that the organization is back.
pub fn restored(
    to: &EmailAddress,
    to_name: &str,
    actor: &str,
    org: &str,
    org_url: &str,
) -> Result<Email, askama::Error> {
    let text = RestoredText {
        actor,
        org,
        org_url,
    }
    .render()?;
    let html = RestoredHtml {
        actor,
        org,
        org_url,
    }
    .render()?;
    Ok(Email {
        recipient: to.clone(),
        name: Some(to_name.to_owned()),
        subject: format!("{} was restored", super::subject_name(org)),
        text,
        html,
    })
}

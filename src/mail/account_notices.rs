//! Security notices to an account: a sign-in from a new device, a changed password, a
//! changed email address (to the old one), and the link that confirms a new address.
//! Notices carry no link that acts: only where to look and what to do if it was not you.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

/// What a notice is about; each kind has its own subject and sentence.
#[derive(Debug, Clone)]
pub enum Notice {
    /// `device` is "Firefox on Linux"; `ip` the client address.
    NewSignIn {
        device: String,
        ip: String,
    },
    PasswordChanged {
        other_sessions_ended: usize,
    },
    /// Sent to the old address.
    EmailChanged {
        new_email: String,
    },
}

impl Notice {
    fn is_email_change(&self) -> bool {
        matches!(self, Notice::EmailChanged { .. })
    }
}

#[derive(Template)]
#[template(path = "mail/account_notice.txt")]
struct NoticeText<'a> {
    name: &'a str,
    email: &'a str,
    notice: &'a Notice,
    sessions: &'a str,
    reset: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_notice.html")]
struct NoticeHtml<'a> {
    name: &'a str,
    email: &'a str,
    notice: &'a Notice,
    sessions: &'a str,
    reset: &'a str,
}

/// A notice to `recipient` (the account's address, or its old one), about the account
/// of `name` at `email`.
pub fn notice(
    recipient: EmailAddress,
    name: &str,
    email: &str,
    notice: &Notice,
    base_url: &str,
) -> Result<Email, askama::Error> {
    let sessions = format!("{base_url}/account/sessions");
    let reset = format!("{base_url}/password/forgot");
    let (sessions, reset) = (sessions.as_str(), reset.as_str());
    let subject = match notice {
        Notice::NewSignIn { .. } => "New sign-in to your Teamwork account",
        Notice::PasswordChanged { .. } => "Your Teamwork password was changed",
        Notice::EmailChanged { .. } => "The email address of your Teamwork account was changed",
    };
    Ok(Email {
        recipient,
        name: Some(name.to_owned()),
        subject: subject.to_owned(),
        text: NoticeText {
            name,
            email,
            notice,
            sessions,
            reset,
        }
        .render()?,
        html: NoticeHtml {
            name,
            email,
            notice,
            sessions,
            reset,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "mail/change_email.txt")]
struct ChangeText<'a> {
    name: &'a str,
    old_email: &'a str,
    new_email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/change_email.html")]
struct ChangeHtml<'a> {
    name: &'a str,
    old_email: &'a str,
    new_email: &'a str,
    link: &'a str,
}

/// The link that makes `recipient` the account's address, mailed to that new address.
pub fn confirm_new_address(
    recipient: EmailAddress,
    name: &str,
    old_email: &str,
    link: &str,
) -> Result<Email, askama::Error> {
    let new_email = recipient.as_str().to_owned();
    let new_email = new_email.as_str();
    Ok(Email {
        recipient: recipient.clone(),
        name: Some(name.to_owned()),
        subject: "Confirm the new email address of your Teamwork account".to_owned(),
        text: ChangeText {
            name,
            old_email,
            new_email,
            link,
        }
        .render()?,
        html: ChangeHtml {
            name,
            old_email,
            new_email,
            link,
        }
        .render()?,
    })
}

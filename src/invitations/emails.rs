//! The emails of the invitation flow, rendered from `templates/mail/`.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::domain::{EmailAddress, Role};
use crate::error::AppError;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    inviter: &'a str,
    org: &'a str,
    role_with_article: String,
    join_url: &'a str,
    expires_on: String,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    inviter: &'a str,
    org: &'a str,
    role_with_article: String,
    join_url: &'a str,
    expires_on: String,
}

/// The join email. `join_url` holds the only copy of the token outside the outbox.
pub fn invitation(
    to: &EmailAddress,
    inviter: &str,
    org: &str,
    role: Role,
    join_url: &str,
    expires_at: DateTime<Utc>,
) -> Result<Email, AppError> {
    let expires_on = expires_at.format("%B %-d, %Y at %H:%M UTC").to_string();
    let text = InvitationText {
        inviter,
        org,
        role_with_article: role.with_article(),
        join_url,
        expires_on: expires_on.clone(),
    }
    .render()?;
    let html = InvitationHtml {
        inviter,
        org,
        role_with_article: role.with_article(),
        join_url,
        expires_on,
    }
    .render()?;
    Ok(Email {
        recipient: to.clone(),
        name: None,
        subject: format!("{inviter} invited you to join {org} on Teamwork"),
        text,
        html,
    })
}

#[derive(Template)]
#[template(path = "mail/invitation_accepted.txt")]
struct AcceptedText<'a> {
    member: &'a str,
    member_email: &'a str,
    org: &'a str,
    role_with_article: String,
    members_url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation_accepted.html")]
struct AcceptedHtml<'a> {
    member: &'a str,
    member_email: &'a str,
    org: &'a str,
    role_with_article: String,
    members_url: &'a str,
}

/// Tells the inviter that their invitation was accepted.
pub fn accepted(
    inviter: &EmailAddress,
    inviter_name: &str,
    member: &str,
    member_email: &str,
    org: &str,
    role: Role,
    members_url: &str,
) -> Result<Email, AppError> {
    let text = AcceptedText {
        member,
        member_email,
        org,
        role_with_article: role.with_article(),
        members_url,
    }
    .render()?;
    let html = AcceptedHtml {
        member,
        member_email,
        org,
        role_with_article: role.with_article(),
        members_url,
    }
    .render()?;
    Ok(Email {
        recipient: inviter.clone(),
        name: Some(inviter_name.to_owned()),
        subject: format!("{member} joined {org} on Teamwork"),
        text,
        html,
    })
}

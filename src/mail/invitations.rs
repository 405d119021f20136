//! The emails of the invitation flow, rendered from `templates/mail/`.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::domain::{EmailAddress, Role};
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    inviter: &'a str,
    place: &'a str,
    role_with_article: String,
    join_url: &'a str,
    expires_on: &'a str,
    project_only: bool,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    inviter: &'a str,
    place: &'a str,
    role_with_article: String,
    join_url: &'a str,
    expires_on: &'a str,
    project_only: bool,
}

/// What the join email says.
pub struct InvitationMail<'a> {
    pub to: &'a EmailAddress,
    pub inviter: &'a str,
    pub org: &'a str,
    /// For project-only access.
    pub project: Option<&'a str>,
    pub role: Role,
    /// Holds the only copy of the token outside the outbox.
    pub join_url: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub fn invitation(mail: InvitationMail<'_>) -> Result<Email, askama::Error> {
    let expires_on = mail
        .expires_at
        .format("%B %-d, %Y at %H:%M UTC")
        .to_string();
    let place = match mail.project {
        Some(project) => format!("the project {project} in {}", mail.org),
        None => mail.org.to_owned(),
    };
    let project_only = mail.project.is_some();
    let text = InvitationText {
        inviter: mail.inviter,
        place: &place,
        role_with_article: mail.role.with_article(),
        join_url: mail.join_url,
        expires_on: &expires_on,
        project_only,
    }
    .render()?;
    let html = InvitationHtml {
        inviter: mail.inviter,
        place: &place,
        role_with_article: mail.role.with_article(),
        join_url: mail.join_url,
        expires_on: &expires_on,
        project_only,
    }
    .render()?;
    Ok(Email {
        recipient: mail.to.clone(),
        name: None,
        subject: format!(
            "{} invited you to join {} on Teamwork",
            super::subject_name(mail.inviter),
            super::subject_name(&place)
        ),
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
) -> Result<Email, askama::Error> {
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
        subject: format!(
            "{} joined {} on Teamwork",
            super::subject_name(member),
            super::subject_name(org)
        ),
        text,
        html,
    })
}

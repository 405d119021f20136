//! The emails of links mailed to an account: confirming its address, resetting its password.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;
use crate::models::user_tokens::Purpose;
use crate::models::users::User;

#[derive(Template)]
#[template(path = "mail/verify_email.txt")]
struct VerifyText<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify_email.html")]
struct VerifyHtml<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

/// The email that carries a link of `purpose` to `user` at `recipient` (their address).
pub fn account_link(
    user: &User,
    recipient: EmailAddress,
    purpose: Purpose,
    link: &str,
) -> Result<Email, askama::Error> {
    let (name, email) = (user.name.as_str(), user.email.as_str());
    let (subject, text, html) = match purpose {
        Purpose::VerifyEmail => (
            "Confirm your email address for Teamwork",
            VerifyText { name, email, link }.render()?,
            VerifyHtml { name, email, link }.render()?,
        ),
        Purpose::ResetPassword => (
            "Reset your Teamwork password",
            ResetText { name, email, link }.render()?,
            ResetHtml { name, email, link }.render()?,
        ),
    };
    Ok(Email {
        recipient,
        name: Some(user.name.clone()),
        subject: subject.to_owned(),
        text,
        html,
    })
}

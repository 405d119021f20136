//! The emails of links mailed to an account: confirming its address, resetting its
//! password, and the notice of a sign-up attempt with its address.

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

/// The email that carries a link of `purpose` to `user` at `recipient` (their address,
/// or the new one for a change of address).
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
        // `recipient` is the new address here, `user.email` still the old one.
        Purpose::ChangeEmail => {
            return super::account_notices::confirm_new_address(recipient, name, email, link);
        }
    };
    Ok(Email {
        recipient,
        name: Some(user.name.clone()),
        subject: subject.to_owned(),
        text,
        html,
    })
}

#[derive(Template)]
#[template(path = "mail/signup_attempt.txt")]
struct SignupAttemptText<'a> {
    name: &'a str,
    email: &'a str,
    login: &'a str,
    reset: &'a str,
}

#[derive(Template)]
#[template(path = "mail/signup_attempt.html")]
struct SignupAttemptHtml<'a> {
    name: &'a str,
    email: &'a str,
    login: &'a str,
    reset: &'a str,
}

/// Tells the holder of an address that someone tried to sign up with it, with links to
/// log in and to reset the password.
pub fn signup_attempt(
    user: &User,
    recipient: EmailAddress,
    base_url: &str,
) -> Result<Email, askama::Error> {
    let (name, email) = (user.name.as_str(), user.email.as_str());
    let login = format!("{base_url}/login");
    let reset = format!("{base_url}/password/forgot");
    let (login, reset) = (login.as_str(), reset.as_str());
    Ok(Email {
        recipient,
        name: Some(user.name.clone()),
        subject: "Someone tried to sign up to Teamwork with your address".to_owned(),
        text: SignupAttemptText {
            name,
            email,
            login,
            reset,
        }
        .render()?,
        html: SignupAttemptHtml {
            name,
            email,
            login,
            reset,
        }
        .render()?,
    })
}

//! The security notice sent when two-factor sign-in is turned off.

use askama::Template;

use crate::domain::EmailAddress;
use crate::mail::Email;

#[derive(Template)]
#[template(path = "mail/two_factor_disabled.txt")]
struct DisabledText<'a> {
    name: &'a str,
    email: &'a str,
    when: &'a str,
    security: &'a str,
    reset: &'a str,
}

#[derive(Template)]
#[template(path = "mail/two_factor_disabled.html")]
struct DisabledHtml<'a> {
    name: &'a str,
    email: &'a str,
    when: &'a str,
    security: &'a str,
    reset: &'a str,
}

/// Tells the account's holder that two-factor sign-in was turned off, with where to
/// turn it on again and how to take the account back if it was not them. No sign-in link.
pub fn disabled_notice(
    name: &str,
    recipient: EmailAddress,
    base_url: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Email, askama::Error> {
    let email = recipient.as_str().to_owned();
    let when = at.format("%B %-d, %Y at %H:%M UTC").to_string();
    let security = format!("{base_url}/account/security");
    let reset = format!("{base_url}/password/forgot");
    let (email, when, security, reset) = (&email, &when, &security, &reset);
    Ok(Email {
        recipient,
        name: Some(name.to_owned()),
        subject: "Two-factor authentication was turned off on your Teamwork account".to_owned(),
        text: DisabledText {
            name,
            email,
            when,
            security,
            reset,
        }
        .render()?,
        html: DisabledHtml {
            name,
            email,
            when,
            security,
            reset,
        }
        .render()?,
    })
}

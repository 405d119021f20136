//! Pure, IO-free domain types: input is parsed into these at the edge.

pub mod access_until;
pub mod activity;
pub mod activity_filter;
pub mod activity_text;
pub mod admin_scope;
pub mod alerts;
pub mod audit_canonical;
pub mod audit_chain;
pub mod audit_stream;
pub mod billing;
pub mod chart;
pub mod client_ip;
pub mod csv;
pub mod device;
mod email;
pub mod env_file;
pub mod invite;
pub mod membership;
mod names;
pub mod org_deletion;
mod password;
pub mod pricing;
pub mod redirect;
pub mod retention;
mod role;
pub mod role_history;
pub mod scim;
pub mod sealed;
pub mod sso;
pub mod time;
mod token;
pub mod totp;

pub use billing::{Credits, Plan};
pub use email::EmailAddress;
pub use names::{KeyName, OrgName, PersonName, ProjectName, Slug};
pub use password::Password;
pub use role::{Access, Grant, Permission, ProjectRole, Role};
pub use token::{API_KEY_PREFIX, API_KEY_SHOWN_CHARS, INVITATION_PREFIX, PlainToken, TokenHash};

/// Why a single form field was rejected; the message is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub &'static str);

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Trims the value and refuses control characters (CR/LF, NUL, tabs) anywhere in it.
fn clean_line(value: &str) -> Result<&str, FieldError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(FieldError(
            "must not contain line breaks or control characters",
        ));
    }
    Ok(value)
}

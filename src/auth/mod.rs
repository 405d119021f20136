//! Who is asking: sessions, passwords, CSRF, and the extractors handlers take.

pub mod admin_key;
pub mod csrf;
mod extractors;
pub mod password;
pub mod pending_sign_in;
pub mod scim_token;
pub mod session;
pub mod session_store;
pub mod sso_flow;

pub use extractors::{CurrentUser, OrgMember, RequestMeta};

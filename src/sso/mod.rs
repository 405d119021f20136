//! Single sign-on's conversations with the outside: the organization's OpenID provider
//! (`oidc`) and the DNS resolver that verifies claimed domains (`dns`). README,
//! "Single sign-on".

pub mod dns;
pub mod oidc;

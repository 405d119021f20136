//! SCIM 2.0 (RFC 7643/7644) as this console speaks it: the users and groups it keeps
//! from an identity provider, the filters and PATCH paths it understands, and the
//! discovery documents that announce exactly that.

pub mod discovery;
pub mod filter;
pub mod patch;
pub mod path;
pub mod resource;

use crate::domain::Role;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Every SCIM token starts with this (R45: one kind of secret per kind of client).
pub const TOKEN_PREFIX: &str = "tw_scim_";
/// How much of a token the settings page shows.
pub const TOKEN_SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 8;

/// The most resources one list answers; `count` above it is lowered to it (RFC 7644
/// 3.4.2.4 lets the service provider do so).
pub const MAX_RESULTS: i64 = 200;

/// The actor name of every change the identity provider makes.
pub const ACTOR_NAME: &str = "SCIM";

/// Why a SCIM request is refused: its HTTP status, RFC 7644's `scimType` where one
/// applies, and a sentence for the provider's logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl Refusal {
    fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Refusal {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some("noTarget"), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some("mutability"), detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some("uniqueness"), detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, None, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
}

/// The role a provisioned member gets from the roles mapped to their groups: the most
/// privileged one, in the order of the role table (Administrator, Developer, Billing
/// Manager, Viewer). `None`: no group of theirs is mapped, the role is left alone.
pub fn role_from_groups(mapped: impl IntoIterator<Item = Role>) -> Option<Role> {
    mapped
        .into_iter()
        .min_by_key(|role| Role::ALL.iter().position(|r| r == role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_privileged_mapped_role_wins() {
        assert_eq!(role_from_groups([]), None);
        assert_eq!(role_from_groups([Role::Viewer]), Some(Role::Viewer));
        assert_eq!(
            role_from_groups([Role::Viewer, Role::BillingManager, Role::Developer]),
            Some(Role::Developer)
        );
        assert_eq!(
            role_from_groups([Role::Developer, Role::Administrator]),
            Some(Role::Administrator)
        );
    }
}

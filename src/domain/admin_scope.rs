//! The scopes of an organization admin key: which parts of the admin API it may reach.
//! A key acts with the rights of the role table's Administrator, narrowed to its scopes.

use super::Permission;

/// Every organization admin key starts with this; project keys start with `tw_live_`.
pub const ADMIN_KEY_PREFIX: &str = "tw_admin_";
/// How much of an admin key lists show: the prefix and 8 random characters.
pub const ADMIN_KEY_SHOWN_CHARS: usize = ADMIN_KEY_PREFIX.len() + 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdminScope {
    MembersRead,
    MembersWrite,
    ProjectsRead,
    ProjectsWrite,
    KeysRead,
    KeysWrite,
    UsageRead,
    ActivityRead,
    BillingRead,
}

impl AdminScope {
    pub const ALL: [AdminScope; 9] = [
        AdminScope::MembersRead,
        AdminScope::MembersWrite,
        AdminScope::ProjectsRead,
        AdminScope::ProjectsWrite,
        AdminScope::KeysRead,
        AdminScope::KeysWrite,
        AdminScope::UsageRead,
        AdminScope::ActivityRead,
        AdminScope::BillingRead,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AdminScope::MembersRead => "members:read",
            AdminScope::MembersWrite => "members:write",
            AdminScope::ProjectsRead => "projects:read",
            AdminScope::ProjectsWrite => "projects:write",
            AdminScope::KeysRead => "keys:read",
            AdminScope::KeysWrite => "keys:write",
            AdminScope::UsageRead => "usage:read",
            AdminScope::ActivityRead => "activity:read",
            AdminScope::BillingRead => "billing:read",
        }
    }

    /// What the checkbox on the "Admin keys" form says.
    pub const fn label(self) -> &'static str {
        match self {
            AdminScope::MembersRead => "Read members and invitations",
            AdminScope::MembersWrite => "Invite, change roles, remove members",
            AdminScope::ProjectsRead => "Read projects and their members",
            AdminScope::ProjectsWrite => "Create, rename, archive projects",
            AdminScope::KeysRead => "Read project API keys",
            AdminScope::KeysWrite => "Create, rotate, revoke project API keys",
            AdminScope::UsageRead => "Read usage",
            AdminScope::ActivityRead => "Read the activity log",
            AdminScope::BillingRead => "Read credits, plan, seats and transactions",
        }
    }

    pub fn parse(value: &str) -> Option<AdminScope> {
        AdminScope::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The role-table row an Administrator uses for what this scope opens: a key may do
    /// what its scope opens only while that row grants it to Administrators.
    pub const fn permission(self) -> Permission {
        match self {
            AdminScope::MembersRead => Permission::ViewMembers,
            AdminScope::MembersWrite => Permission::ManageMembers,
            AdminScope::ProjectsRead => Permission::ViewProjects,
            AdminScope::ProjectsWrite => Permission::ManageOrganization,
            AdminScope::KeysRead => Permission::ViewApiKeys,
            AdminScope::KeysWrite => Permission::ManageApiKeys,
            AdminScope::UsageRead => Permission::ViewUsage,
            AdminScope::ActivityRead => Permission::ViewActivity,
            AdminScope::BillingRead => Permission::ViewBilling,
        }
    }

    /// The scopes an ops permission check may pass for a key holding `scopes`: the
    /// permission must be opened by one of them.
    pub fn allows(scopes: &[AdminScope], permission: Permission) -> bool {
        scopes.iter().any(|s| {
            s.permission() == permission
                // Creating projects and giving project access belong to projects:write.
                || (*s == AdminScope::ProjectsWrite
                    && matches!(
                        permission,
                        Permission::CreateProjects | Permission::ManageProjectAccess
                    ))
        })
    }
}

/// Parses the stored or submitted scope names: unknown names are refused, duplicates
/// dropped, the result sorted in the order of [`AdminScope::ALL`].
pub fn parse_scopes<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<AdminScope>, String> {
    let mut scopes = Vec::new();
    for value in values {
        let scope = AdminScope::parse(value).ok_or_else(|| format!("Unknown scope {value:?}."))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err("Choose at least one scope.".into());
    }
    scopes.sort();
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Access, Role};

    #[test]
    fn scopes_round_trip_and_stay_within_the_administrator_row() {
        for scope in AdminScope::ALL {
            assert_eq!(AdminScope::parse(scope.as_str()), Some(scope));
            assert!(Access::Org(Role::Administrator).can(scope.permission()));
        }
        assert_eq!(
            parse_scopes(["keys:read", "members:read", "keys:read"]).unwrap(),
            [AdminScope::MembersRead, AdminScope::KeysRead]
        );
        assert!(parse_scopes(["members:admin"]).is_err());
        assert!(parse_scopes([]).is_err());
        assert!(!AdminScope::allows(
            &[AdminScope::MembersRead],
            Permission::ManageMembers
        ));
        assert!(AdminScope::allows(
            &[AdminScope::ProjectsWrite],
            Permission::CreateProjects
        ));
    }
}

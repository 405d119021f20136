use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use std::io::Write;

use super::FieldError;

/// An organization role. Roles are not ordered: what each may do is the explicit table
/// in [`Access::grant`], never a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Role {
    Administrator,
    Developer,
    BillingManager,
    Viewer,
}

/// The role of a project-only member (contractors, client stakeholders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum ProjectRole {
    Developer,
    Viewer,
}

/// How a signed-in user reaches an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Org(Role),
    /// Project-only access: no organization role, one project.
    Project(ProjectRole),
}

/// One row of PRODUCT.md's role table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewMembers,
    ManageMembers,
    ManageOrganization,
    ViewProjects,
    CreateProjects,
    ManageProjectAccess,
    ViewApiKeys,
    ManageApiKeys,
    ViewUsage,
    ViewBilling,
    ManageBilling,
    ViewActivity,
    LeaveOrganization,
    ViewAccessHealth,
}

/// The answer to "may this access do this?": not at all, within the member's own
/// project only, or across the whole organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Denied,
    OwnProject,
    Organization,
}

impl Grant {
    pub fn is_allowed(self) -> bool {
        self != Grant::Denied
    }
}

impl Access {
    /// The role table of PRODUCT.md: the only place that answers a permission question.
    /// "Leave the organization" is granted to everyone here; the last-administrator rule
    /// is an invariant checked under the organization lock, not a permission.
    pub fn grant(self, permission: Permission) -> Grant {
        use Grant::{Denied, Organization, OwnProject};
        use Permission::*;
        match self {
            Access::Org(role) => {
                let allowed = match role {
                    Role::Administrator => true,
                    Role::Developer => matches!(
                        permission,
                        ViewMembers
                            | ViewProjects
                            | CreateProjects
                            | ViewApiKeys
                            | ManageApiKeys
                            | ViewUsage
                            | LeaveOrganization
                    ),
                    Role::BillingManager => matches!(
                        permission,
                        ViewMembers
                            | ViewProjects
                            | ViewUsage
                            | ViewBilling
                            | ManageBilling
                            | LeaveOrganization
                    ),
                    Role::Viewer => matches!(
                        permission,
                        ViewMembers
                            | ViewProjects
                            | ViewApiKeys
                            | ViewUsage
                            | ViewBilling
                            | ViewActivity
                            | LeaveOrganization
                            | ViewAccessHealth
                    ),
                };
                if allowed { Organization } else { Denied }
            }
            Access::Project(role) => match (role, permission) {
                (_, LeaveOrganization) => Organization,
                (_, ViewProjects | ViewApiKeys | ViewUsage) => OwnProject,
                (ProjectRole::Developer, ManageApiKeys) => OwnProject,
                _ => Denied,
            },
        }
    }

    /// True when the permission holds across the whole organization.
    pub fn can(self, permission: Permission) -> bool {
        self.grant(permission) == Grant::Organization
    }

    pub fn is_project_only(self) -> bool {
        matches!(self, Access::Project(_))
    }
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Developer,
        Role::BillingManager,
        Role::Viewer,
    ];

    /// The value stored in the database and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Developer => "developer",
            Role::BillingManager => "billing_manager",
            Role::Viewer => "viewer",
        }
    }

    /// The label people see (PRODUCT.md's UI words).
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Developer => "Developer",
            Role::BillingManager => "Billing Manager",
            Role::Viewer => "Viewer",
        }
    }

    /// One line from the role table, shown where a role is chosen.
    pub fn description(self) -> &'static str {
        match self {
            Role::Administrator => {
                "Everything: members and roles, billing, settings and the activity log."
            }
            Role::Developer => "Creates projects and API keys; sees usage.",
            Role::BillingManager => "Sees usage; adds credits and changes the plan.",
            Role::Viewer => "Sees the organization, changes nothing.",
        }
    }

    /// "an Administrator", "a Developer": for sentences.
    pub fn with_article(self) -> String {
        let article = if self == Role::Administrator {
            "an"
        } else {
            "a"
        };
        format!("{article} {}", self.label())
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or(FieldError("Choose one of the four roles."))
    }
}

impl ProjectRole {
    pub const ALL: [ProjectRole; 2] = [ProjectRole::Developer, ProjectRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Developer => "developer",
            ProjectRole::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectRole::Developer => "Developer",
            ProjectRole::Viewer => "Viewer",
        }
    }

    /// One line from the role table, shown where a project role is chosen.
    pub fn description(self) -> &'static str {
        match self {
            ProjectRole::Developer => {
                "Creates, rotates and revokes this project's API keys; sees its usage."
            }
            ProjectRole::Viewer => "Sees this project, its keys and its usage; changes nothing.",
        }
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        ProjectRole::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or(FieldError("Choose Developer or Viewer."))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

// Roles (and plans) are stored as readable text guarded by a CHECK constraint.
macro_rules! text_enum_sql {
    ($ty:ty) => {
        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.as_str().as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                <$ty>::parse(text).map_err(|_| format!("unknown value {text:?}").into())
            }
        }
    };
}
text_enum_sql!(Role);
text_enum_sql!(ProjectRole);
pub(super) use text_enum_sql;

#[cfg(test)]
mod tests {
    use super::*;

    /// PRODUCT.md's role table, verbatim. The test parses it and checks every cell
    /// against `Access::grant`, so the code and the contract cannot drift apart.
    const PRODUCT_TABLE: &str = "\
| permission | Administrator | Developer | Billing Manager | Viewer | project-only Developer | project-only Viewer |
|---|---|---|---|---|---|---|
| see the organization's members and pending invitations | yes | yes | yes | yes | no | no |
| invite, resend, cancel, change roles, remove members | yes | no | no | no | no | no |
| rename or delete the organization, settings | yes | no | no | no | no | no |
| see projects | all | all | all | all | their project | their project |
| create projects | yes | yes | no | no | no | no |
| give or take project-only access | yes | no | no | no | no | no |
| see API keys (name, prefix, creator, last used; never the secret) | yes | yes | no (no API access) | yes | their project | their project |
| create, revoke, rotate API keys | yes | yes | no | no | their project | no |
| see usage | yes | yes | yes | yes | their project | their project |
| see credits, transactions, subscription | yes | no | yes | yes | no | no |
| add credits, change the subscription | yes | no | yes | no | no | no |
| see the activity log | yes | no | no | yes | no | no |
| leave the organization | yes, unless last admin | yes | yes | yes | yes | yes |
| see access health | yes | no | no | yes | no | no |";

    fn permission_for(row: &str) -> Permission {
        use Permission::*;
        match row {
            "see the organization's members and pending invitations" => ViewMembers,
            "invite, resend, cancel, change roles, remove members" => ManageMembers,
            "rename or delete the organization, settings" => ManageOrganization,
            "see projects" => ViewProjects,
            "create projects" => CreateProjects,
            "give or take project-only access" => ManageProjectAccess,
            "see API keys (name, prefix, creator, last used; never the secret)" => ViewApiKeys,
            "create, revoke, rotate API keys" => ManageApiKeys,
            "see usage" => ViewUsage,
            "see credits, transactions, subscription" => ViewBilling,
            "add credits, change the subscription" => ManageBilling,
            "see the activity log" => ViewActivity,
            "leave the organization" => LeaveOrganization,
            "see access health" => ViewAccessHealth,
            other => panic!("the role table has a row the code does not know: {other:?}"),
        }
    }

    fn expected_grant(cell: &str) -> Grant {
        match cell {
            "yes" | "all" | "yes, unless last admin" => Grant::Organization,
            "their project" => Grant::OwnProject,
            "no" | "no (no API access)" => Grant::Denied,
            other => panic!("unknown cell {other:?}"),
        }
    }

    const COLUMNS: [Access; 6] = [
        Access::Org(Role::Administrator),
        Access::Org(Role::Developer),
        Access::Org(Role::BillingManager),
        Access::Org(Role::Viewer),
        Access::Project(ProjectRole::Developer),
        Access::Project(ProjectRole::Viewer),
    ];

    #[test]
    fn every_cell_of_the_product_role_table_holds() {
        let mut cells = 0;
        let mut rows = std::collections::HashSet::new();
        for line in PRODUCT_TABLE.lines().skip(2) {
            let cols: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cols.len(), 7, "malformed row {line:?}");
            let permission = permission_for(cols[0]);
            rows.insert(permission);
            for (access, cell) in COLUMNS.iter().zip(&cols[1..]) {
                assert_eq!(
                    access.grant(permission),
                    expected_grant(cell),
                    "{access:?} / {:?}",
                    cols[0]
                );
                cells += 1;
            }
        }
        assert_eq!(rows.len(), 14, "every permission has a row");
        assert_eq!(cells, 84);
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        for role in ProjectRole::ALL {
            assert_eq!(ProjectRole::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("Administrator").is_err());
        assert!(Role::parse("owner").is_err());
        assert!(ProjectRole::parse("administrator").is_err());
    }
}

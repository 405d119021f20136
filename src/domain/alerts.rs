//! Which changes alert whom: privileged changes alert every administrator (security
//! alerts, always mailed); a role change also tells the member whose role it is.

use uuid::Uuid;

use super::Role;
use super::activity::Event;

/// Who hears of one change, and whether each alert is about security (security alerts
/// are mailed even to accounts that turned non-security emails off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Audience {
    /// Every administrator of the organization; `Some(security)`.
    pub administrators: Option<bool>,
    /// The member the change is about; `Some((user, security))`.
    pub member: Option<(Uuid, bool)>,
}

/// The audience of `event`; nobody for changes that are not privileged.
pub fn audience(event: &Event) -> Audience {
    let admin = Role::Administrator;
    match event {
        Event::MemberRoleChanged { member, from, to } => {
            let privileged = *from == admin || *to == admin;
            Audience {
                administrators: privileged.then_some(true),
                member: Some((member.id, privileged)),
            }
        }
        Event::MemberRemoved { role, .. }
        | Event::MemberProvisioned { role, .. }
        | Event::MemberDeprovisioned { role, .. }
            if *role == admin =>
        {
            Audience {
                administrators: Some(true),
                member: None,
            }
        }
        Event::ScimGroupRoleChanged { to, from, .. }
            if *to == Some(admin) || *from == Some(admin) =>
        {
            Audience {
                administrators: Some(true),
                member: None,
            }
        }
        Event::TwoFactorOptional { .. }
        | Event::ScimTokenCreated { .. }
        | Event::OrganizationRenamed { .. }
        | Event::OrganizationDeleted { .. } => Audience {
            administrators: Some(true),
            member: None,
        },
        Event::InvitationRequestedAgain(_) => Audience {
            administrators: Some(false),
            member: None,
        },
        _ => Audience::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activity::Person;

    fn role_change(from: Role, to: Role) -> Event {
        Event::MemberRoleChanged {
            member: Person {
                id: Uuid::nil(),
                name: "Grace".into(),
            },
            from,
            to,
        }
    }

    #[test]
    fn granting_or_taking_administrator_alerts_the_administrators_and_the_member() {
        let made = audience(&role_change(Role::Viewer, Role::Administrator));
        assert_eq!(made.administrators, Some(true));
        assert_eq!(made.member, Some((Uuid::nil(), true)));
        let demoted = audience(&role_change(Role::Administrator, Role::Viewer));
        assert_eq!(demoted.administrators, Some(true));
    }

    #[test]
    fn other_role_changes_only_tell_the_member_and_not_as_security() {
        let changed = audience(&role_change(Role::Viewer, Role::Developer));
        assert_eq!(changed.administrators, None);
        assert_eq!(changed.member, Some((Uuid::nil(), false)));
    }

    #[test]
    fn turning_the_two_factor_requirement_on_alerts_nobody() {
        let on = Event::TwoFactorRequired {
            org: Uuid::nil(),
            org_name: "Acme".into(),
        };
        assert_eq!(audience(&on), Audience::default());
        let off = Event::TwoFactorOptional {
            org: Uuid::nil(),
            org_name: "Acme".into(),
        };
        assert_eq!(audience(&off).administrators, Some(true));
    }
}

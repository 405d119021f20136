//! Role history: which activity entries make someone a member, change their role or end
//! their membership, and a member's timeline read from those entries.

use chrono::{DateTime, Utc};

use super::Role;
use super::activity::Action;

/// What an entry does to the organization membership of the person it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// They became a member with the entry's `after.role` (the founder: Administrator).
    /// The person is the entry's actor (provisioned by SCIM: its target).
    Joined,
    /// `before.role` became `after.role`. The person is the entry's target.
    RoleChanged,
    /// They stopped being a member; `before.role` is what they held. The person is the
    /// target (removed) or the actor (left; a `before.project` marks a project-only
    /// member leaving, which is no organization membership).
    Departed,
}

/// How `action` changes organization membership; `None` when it does not. Exhaustive on
/// purpose: a new action cannot be added without deciding whether it belongs here.
pub const fn effect(action: Action) -> Option<Effect> {
    use Action::*;
    match action {
        OrganizationCreated | InvitationAccepted | MemberJoinedViaSso | MemberProvisioned => {
            Some(Effect::Joined)
        }
        MemberRoleChanged => Some(Effect::RoleChanged),
        MemberRemoved | MemberLeft | MemberDeprovisioned => Some(Effect::Departed),
        OrganizationRenamed
        | OrganizationRetentionChanged
        | OrganizationDeleted
        | OrganizationRestored
        | OrganizationAuditStreamUpdated
        | OrganizationAuditStreamDisabled
        | OrganizationAuditStreamTested
        | InvitationSent
        | InvitationResent
        | InvitationCancelled
        | InvitationRoleChanged
        | ProjectCreated
        | ProjectRenamed
        | ProjectArchived
        | ProjectAccessGranted
        | ProjectAccessChanged
        | ProjectAccessRevoked
        | ApiKeyCreated
        | ApiKeyRevoked
        | ApiKeyRotated
        | BillingCreditsAdded
        | BillingPlanChanged
        | OrganizationTwoFactorRequired
        | OrganizationTwoFactorOptional
        | AccountTwoFactorEnabled
        | AccountTwoFactorDisabled
        | InvitationRequestedAgain
        | ProjectAccessUntilChanged
        | ProjectAccessExpired
        | AdminKeyCreated
        | AdminKeyRevoked
        | OrganizationSsoConfigured
        | OrganizationSsoTested
        | OrganizationSsoEnabled
        | OrganizationSsoDisabled
        | OrganizationSsoRequired
        | OrganizationSsoOptional
        | OrganizationDomainAdded
        | OrganizationDomainVerified
        | OrganizationDomainRemoved
        | OrganizationSsoBypassed
        | OrganizationScimTokenCreated
        | OrganizationScimTokenRevoked
        | OrganizationScimGroupRoleChanged
        | ScimUserUpdated
        | ScimGroupCreated
        | ScimGroupUpdated
        | ScimGroupDeleted => None,
    }
}

/// The stored names of the actions with an [`Effect`].
pub fn membership_actions() -> Vec<&'static str> {
    Action::ALL
        .into_iter()
        .filter(|a| effect(*a).is_some())
        .map(Action::as_str)
        .collect()
}

/// One membership entry of a person, as read from the log (oldest first).
#[derive(Debug, Clone)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub effect: Effect,
    /// The role held before (role changes and departures).
    pub before: Option<Role>,
    /// The role held after (joins and role changes).
    pub after: Option<Role>,
    /// Who made the change, as the entry names them.
    pub by: String,
    /// Whether the person made it themselves (joining, leaving).
    pub own: bool,
}

/// One line of a member's role timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: DateTime<Utc>,
    /// The role from then on; `None` when they were no longer a member.
    pub role: Option<Role>,
    /// What happened, in words: "Joined as Developer", "Role changed from Viewer to
    /// Developer by Ada", "Removed by Ada".
    pub what: String,
}

/// The timeline of a member from their membership entries (oldest first). `current` is
/// their membership now (since when, which role), if they are a member. When the log has
/// no join entry first (the membership predates the log), the timeline starts at the
/// membership's date with the role the first entry found them in, or their role now.
pub fn timeline(changes: &[Change], current: Option<(DateTime<Utc>, Role)>) -> Vec<Step> {
    let mut steps = Vec::with_capacity(changes.len() + 1);
    let before_log = |at: DateTime<Utc>, role: Role| Step {
        at,
        role: Some(role),
        what: format!(
            "Member as {}; the activity log has no earlier entry",
            role.label()
        ),
    };
    match changes.first() {
        Some(first) if first.effect != Effect::Joined => {
            if let (Some((at, _)), Some(role)) =
                (current.filter(|(at, _)| *at <= first.at), first.before)
            {
                steps.push(before_log(at, role));
            }
        }
        None => steps.extend(current.map(|(at, role)| before_log(at, role))),
        Some(_) => {}
    }
    for change in changes {
        let label = |role: Option<Role>| role.map(Role::label).unwrap_or("an unknown role");
        let what = match change.effect {
            Effect::Joined => format!("Joined as {}", label(change.after)),
            Effect::RoleChanged => format!(
                "Role changed from {} to {} by {}",
                label(change.before),
                label(change.after),
                change.by
            ),
            Effect::Departed if change.own => "Left the organization".to_owned(),
            Effect::Departed => format!("Removed by {}", change.by),
        };
        let role = match change.effect {
            Effect::Departed => None,
            _ => change.after,
        };
        steps.push(Step {
            at: change.at,
            role,
            what,
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 10, day)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn every_action_is_classified_and_the_membership_ones_are_listed() {
        let listed = membership_actions();
        assert_eq!(
            listed,
            [
                "organization.created",
                "member.role_changed",
                "member.removed",
                "member.left",
                "invitation.accepted",
                "member.joined_via_sso",
                "member.provisioned",
                "member.deprovisioned"
            ]
        );
    }

    #[test]
    fn a_timeline_reads_joins_changes_and_departures_in_order() {
        let change = |day, effect, before, after, own| Change {
            at: at(day),
            effect,
            before,
            after,
            by: "Ada".into(),
            own,
        };
        let steps = timeline(
            &[
                change(1, Effect::Joined, None, Some(Role::Viewer), true),
                change(
                    2,
                    Effect::RoleChanged,
                    Some(Role::Viewer),
                    Some(Role::Developer),
                    false,
                ),
                change(3, Effect::Departed, Some(Role::Developer), None, false),
                change(4, Effect::Joined, None, Some(Role::BillingManager), true),
                change(5, Effect::Departed, Some(Role::BillingManager), None, true),
            ],
            None,
        );
        let read: Vec<(&str, Option<Role>)> =
            steps.iter().map(|s| (s.what.as_str(), s.role)).collect();
        assert_eq!(
            read,
            [
                ("Joined as Viewer", Some(Role::Viewer)),
                (
                    "Role changed from Viewer to Developer by Ada",
                    Some(Role::Developer)
                ),
                ("Removed by Ada", None),
                ("Joined as Billing Manager", Some(Role::BillingManager)),
                ("Left the organization", None),
            ]
        );
    }

    #[test]
    fn a_member_from_before_the_log_starts_at_their_join_date() {
        let steps = timeline(
            &[Change {
                at: at(9),
                effect: Effect::RoleChanged,
                before: Some(Role::Viewer),
                after: Some(Role::Administrator),
                by: "Ada".into(),
                own: false,
            }],
            Some((at(2), Role::Administrator)),
        );
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].at, at(2));
        assert_eq!(steps[0].role, Some(Role::Viewer));
        assert_eq!(steps[1].role, Some(Role::Administrator));
    }
}

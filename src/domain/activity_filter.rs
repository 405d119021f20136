//! What the Activity log filters by: actions and their groups, and dates as id bounds.

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

use super::activity::Action;

/// One action people can pick in the "Action" filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionOption {
    /// As stored: `noun.verb`.
    pub code: &'static str,
    pub label: &'static str,
}

/// A group of actions: an `<optgroup>` with an "all of these" option.
#[derive(Debug, PartialEq, Eq)]
pub struct ActionGroup {
    /// The filter's value for the whole group (`?action=invitations`).
    pub key: &'static str,
    pub label: &'static str,
    pub all_label: &'static str,
    /// What the group's actions start with: the letters before the first `.` or `_`
    /// (so `project_access.granted` is in the `project` group). The database matches
    /// the same expression, `substring(action FROM '^[a-z]+')`, with an index.
    pub stem: &'static str,
    pub actions: &'static [ActionOption],
}

/// The filter's option for `action`: its stored name and its label.
const fn option(action: Action) -> ActionOption {
    ActionOption {
        code: action.as_str(),
        label: action.label(),
    }
}

/// Every action the console writes, grouped as the filter shows them.
pub const GROUPS: [ActionGroup; 9] = [
    ActionGroup {
        key: "invitations",
        label: "Invitations",
        all_label: "All invitation actions",
        stem: "invitation",
        actions: &[
            option(Action::InvitationSent),
            option(Action::InvitationResent),
            option(Action::InvitationCancelled),
            option(Action::InvitationAccepted),
            option(Action::InvitationRoleChanged),
            option(Action::InvitationRequestedAgain),
        ],
    },
    ActionGroup {
        key: "members",
        label: "Members",
        all_label: "All member actions",
        stem: "member",
        actions: &[
            option(Action::MemberRoleChanged),
            option(Action::MemberRemoved),
            option(Action::MemberLeft),
            option(Action::MemberJoinedViaSso),
            option(Action::MemberProvisioned),
            option(Action::MemberDeprovisioned),
        ],
    },
    ActionGroup {
        key: "organization",
        label: "Organization",
        all_label: "All organization actions",
        stem: "organization",
        actions: &[
            option(Action::OrganizationCreated),
            option(Action::OrganizationRenamed),
            option(Action::OrganizationRetentionChanged),
            option(Action::OrganizationTwoFactorRequired),
            option(Action::OrganizationTwoFactorOptional),
            option(Action::OrganizationDeleted),
            option(Action::OrganizationRestored),
            option(Action::OrganizationAuditStreamUpdated),
            option(Action::OrganizationAuditStreamDisabled),
            option(Action::OrganizationAuditStreamTested),
            option(Action::OrganizationSsoConfigured),
            option(Action::OrganizationSsoTested),
            option(Action::OrganizationSsoEnabled),
            option(Action::OrganizationSsoDisabled),
            option(Action::OrganizationSsoRequired),
            option(Action::OrganizationSsoOptional),
            option(Action::OrganizationDomainAdded),
            option(Action::OrganizationDomainVerified),
            option(Action::OrganizationDomainRemoved),
            option(Action::OrganizationSsoBypassed),
            option(Action::OrganizationScimTokenCreated),
            option(Action::OrganizationScimTokenRevoked),
            option(Action::OrganizationScimGroupRoleChanged),
        ],
    },
    ActionGroup {
        key: "projects",
        label: "Projects and access",
        all_label: "All project and access actions",
        stem: "project",
        actions: &[
            option(Action::ProjectCreated),
            option(Action::ProjectRenamed),
            option(Action::ProjectArchived),
            option(Action::ProjectAccessGranted),
            option(Action::ProjectAccessChanged),
            option(Action::ProjectAccessRevoked),
            option(Action::ProjectAccessUntilChanged),
            option(Action::ProjectAccessExpired),
        ],
    },
    ActionGroup {
        key: "api_keys",
        label: "API keys",
        all_label: "All API key actions",
        stem: "api",
        actions: &[
            option(Action::ApiKeyCreated),
            option(Action::ApiKeyRevoked),
            option(Action::ApiKeyRotated),
        ],
    },
    ActionGroup {
        key: "billing",
        label: "Billing",
        all_label: "All billing actions",
        stem: "billing",
        actions: &[
            option(Action::BillingCreditsAdded),
            option(Action::BillingPlanChanged),
        ],
    },
    ActionGroup {
        key: "accounts",
        label: "Accounts",
        all_label: "All account actions",
        stem: "account",
        actions: &[
            option(Action::AccountTwoFactorEnabled),
            option(Action::AccountTwoFactorDisabled),
        ],
    },
    ActionGroup {
        key: "admin_keys",
        label: "Admin keys",
        all_label: "All admin key actions",
        stem: "admin",
        actions: &[
            option(Action::AdminKeyCreated),
            option(Action::AdminKeyRevoked),
        ],
    },
    ActionGroup {
        key: "scim",
        label: "SCIM users and groups",
        all_label: "All SCIM user and group actions",
        stem: "scim",
        actions: &[
            option(Action::ScimUserUpdated),
            option(Action::ScimGroupCreated),
            option(Action::ScimGroupUpdated),
            option(Action::ScimGroupDeleted),
        ],
    },
];

/// The "Action" filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ActionFilter {
    #[default]
    All,
    /// One action; any well-formed `noun.verb`, so entries of actions this version
    /// does not list can still be found.
    One(String),
    Group(&'static ActionGroup),
}

impl ActionFilter {
    /// Lenient: anything unrecognised means all actions.
    pub fn parse(value: &str) -> Self {
        if let Some(group) = GROUPS.iter().find(|g| g.key == value) {
            return ActionFilter::Group(group);
        }
        let well_formed = value.len() <= 64
            && value.split_once('.').is_some_and(|(noun, verb)| {
                [noun, verb].iter().all(|part| {
                    // Digits too: `organization.2fa_required`.
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                })
            });
        if well_formed {
            ActionFilter::One(value.to_owned())
        } else {
            ActionFilter::All
        }
    }

    /// The value in the URL and of the selected `<option>`; empty for all actions.
    pub fn as_param(&self) -> &str {
        match self {
            ActionFilter::All => "",
            ActionFilter::One(code) => code,
            ActionFilter::Group(group) => group.key,
        }
    }
}

/// The leading letters of an action, as the database's group index computes them.
pub fn stem(action: &str) -> &str {
    let end = action
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(action.len());
    &action[..end]
}

/// The smallest UUIDv7 of the first millisecond of `date` (UTC). Entry ids are UUIDv7,
/// whose first 48 bits are the Unix time in milliseconds when the entry was written,
/// so "on or after `date`" is `id >= day_start(date)` and "on or before `date`" is
/// `id < day_start(date + 1)`: the id indexes serve date filters too. The id's time is
/// the app's clock at write time, which may differ from `created_at` (the database's
/// clock) by the clock skew between them.
pub fn day_start(date: NaiveDate) -> Uuid {
    let millis = date.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
    let millis = millis.clamp(0, (1 << 48) - 1) as u128;
    Uuid::from_u128(millis << 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_action_is_in_its_groups_stem() {
        for group in &GROUPS {
            for action in group.actions {
                assert_eq!(stem(action.code), group.stem, "{}", action.code);
                assert_eq!(
                    ActionFilter::parse(action.code),
                    ActionFilter::One(action.code.into())
                );
            }
        }
        let stems: std::collections::HashSet<_> = GROUPS.iter().map(|g| g.stem).collect();
        assert_eq!(stems.len(), GROUPS.len(), "groups do not overlap");
    }

    #[test]
    fn every_action_is_offered_by_exactly_one_group() {
        for action in Action::ALL {
            let offered = GROUPS
                .iter()
                .flat_map(|g| g.actions)
                .filter(|o| o.code == action.as_str())
                .count();
            assert_eq!(offered, 1, "{}", action.as_str());
        }
    }

    #[test]
    fn filters_parse_leniently() {
        assert_eq!(ActionFilter::parse(""), ActionFilter::All);
        assert_eq!(
            ActionFilter::parse("invitations"),
            ActionFilter::Group(&GROUPS[0])
        );
        assert_eq!(
            ActionFilter::parse("project.exploded"),
            ActionFilter::One("project.exploded".into())
        );
        for bad in [
            "DROP TABLE",
            "member.",
            ".left",
            "member.left.x",
            "Member.left",
            "a.b%",
        ] {
            assert_eq!(ActionFilter::parse(bad), ActionFilter::All, "{bad}");
        }
        assert_eq!(ActionFilter::parse("projects").as_param(), "projects");
    }

    #[test]
    fn day_start_is_below_every_id_of_that_day_and_above_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let start = day.and_time(NaiveTime::MIN).and_utc();
        let id_at = |t: chrono::DateTime<chrono::Utc>| {
            let ts = uuid::Timestamp::from_unix(
                uuid::NoContext,
                t.timestamp() as u64,
                t.timestamp_subsec_nanos(),
            );
            Uuid::new_v7(ts)
        };
        let bound = day_start(day);
        assert!(id_at(start) >= bound);
        assert!(id_at(start + chrono::Duration::hours(23)) >= bound);
        assert!(id_at(start - chrono::Duration::milliseconds(1)) < bound);
        assert!(
            day_start(day.succ_opt().unwrap())
                > id_at(start + chrono::Duration::milliseconds(86_399_999))
        );
        assert_eq!(
            day_start(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()),
            Uuid::nil()
        );
    }
}

//! The typed events: one variant per action, with the before and after that the entry
//! stores as JSON.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Action, Target};
use crate::domain::{Credits, Plan, ProjectRole, Role};

/// A person as an entry names them: their user id and their name at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
}

/// An invitation as its entries record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationFacts {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    /// The project of a project-only invitation.
    pub project: Option<String>,
}

/// An API key as its entries record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub project: String,
}

/// An organization admin key as its entries record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKeyFacts {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
}

/// What a member held before leaving: an organization role, or access to one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Org(Role),
    Project { role: ProjectRole, project: String },
}

/// One change, with the typed state before and after. Stored rows keep the JSON shape
/// they always had, so entries written by earlier versions read the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    OrganizationCreated {
        org: Uuid,
        name: String,
        slug: String,
    },
    OrganizationRenamed {
        org: Uuid,
        from: String,
        to: String,
    },
    /// "Keep IP addresses and user agents for N days" changed (0: never stored).
    RetentionChanged {
        org: Uuid,
        org_name: String,
        from: i32,
        to: i32,
    },
    /// Deleted (a soft delete): restorable by its deleter until `restore_until`; its
    /// pending invitations were cancelled.
    OrganizationDeleted {
        org: Uuid,
        name: String,
        restore_until: DateTime<Utc>,
        invitations_cancelled: i64,
    },
    /// Restored within the window by the administrator who deleted it.
    OrganizationRestored {
        org: Uuid,
        name: String,
    },
    /// Audit log streaming turned on, or its endpoint or secret replaced. `endpoint` is
    /// the URL without its query (it may hold a token); `was` the one before, if any.
    AuditStreamUpdated {
        org: Uuid,
        org_name: String,
        was: Option<String>,
        endpoint: String,
        secret_replaced: bool,
    },
    AuditStreamDisabled {
        org: Uuid,
        org_name: String,
        endpoint: String,
    },
    /// "Send test event": a signed test delivery, not an entry of the chain.
    AuditStreamTested {
        org: Uuid,
        org_name: String,
        endpoint: String,
    },
    MemberRoleChanged {
        member: Person,
        from: Role,
        to: Role,
    },
    MemberRemoved {
        member: Person,
        role: Role,
        email: String,
    },
    MemberLeft {
        member: Person,
        held: Held,
    },
    InvitationSent(InvitationFacts),
    InvitationResent {
        invitation: InvitationFacts,
        previous_expires_at: DateTime<Utc>,
        previous_send_count: i32,
    },
    InvitationCancelled(InvitationFacts),
    InvitationAccepted {
        invitation: Uuid,
        email: String,
        member: String,
        role: Role,
    },
    ProjectCreated {
        project: Uuid,
        name: String,
    },
    ProjectRenamed {
        project: Uuid,
        from: String,
        to: String,
    },
    ProjectArchived {
        project: Uuid,
        name: String,
    },
    ProjectAccessGranted {
        member: Person,
        project: String,
        role: ProjectRole,
        /// Set when the access came from accepting this invitation.
        invitation: Option<Uuid>,
    },
    ProjectAccessChanged {
        member: Person,
        project: String,
        from: ProjectRole,
        to: ProjectRole,
    },
    ProjectAccessRevoked {
        member: Person,
        project: String,
        role: ProjectRole,
    },
    ApiKeyCreated(KeyFacts),
    ApiKeyRevoked(KeyFacts),
    ApiKeyRotated {
        old: KeyFacts,
        new_prefix: String,
        overlap_hours: i64,
    },
    CreditsAdded {
        org: Uuid,
        org_name: String,
        amount: Credits,
        reference: String,
    },
    PlanChanged {
        org: Uuid,
        org_name: String,
        from: Plan,
        to: Plan,
    },
    /// "Require two-factor authentication" turned on.
    TwoFactorRequired {
        org: Uuid,
        org_name: String,
    },
    TwoFactorOptional {
        org: Uuid,
        org_name: String,
    },
    /// A member turned two-factor sign-in on for their account (in every organization
    /// they belong to).
    TwoFactorEnabled {
        account: Person,
    },
    TwoFactorDisabled {
        account: Person,
    },
    /// A pending invitation now grants `invitation.role` instead of `from`; its link
    /// stays the same.
    InvitationRoleChanged {
        invitation: InvitationFacts,
        from: Role,
    },
    /// The invitee asked for a new link from their expired one ("Ask for a new
    /// invitation"); the actor is the invited address.
    InvitationRequestedAgain(InvitationFacts),
    /// "Access until" of a project-only member set, changed or cleared.
    ProjectAccessUntilChanged {
        member: Person,
        project: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    /// Project-only access that ended by itself on its end date (the actor: the system).
    ProjectAccessExpired {
        member: Person,
        project: String,
        role: ProjectRole,
        until: NaiveDate,
    },
    AdminKeyCreated(AdminKeyFacts),
    AdminKeyRevoked(AdminKeyFacts),
    /// Single sign-on settings saved (the secret is never recorded, only whether it
    /// was replaced).
    SsoConfigured {
        org: Uuid,
        org_name: String,
        issuer: String,
        client_id: String,
        default_role: Role,
        secret_replaced: bool,
    },
    /// "Test connection" completed a sign-in at the provider as `email`.
    SsoTested {
        org: Uuid,
        org_name: String,
        issuer: String,
        email: String,
    },
    SsoEnabled {
        org: Uuid,
        org_name: String,
        issuer: String,
    },
    SsoDisabled {
        org: Uuid,
        org_name: String,
    },
    SsoRequired {
        org: Uuid,
        org_name: String,
    },
    SsoOptional {
        org: Uuid,
        org_name: String,
    },
    DomainAdded {
        org: Uuid,
        org_name: String,
        domain: String,
    },
    DomainVerified {
        org: Uuid,
        org_name: String,
        domain: String,
    },
    DomainRemoved {
        org: Uuid,
        org_name: String,
        domain: String,
        was_verified: bool,
    },
    /// A person signed in through the organization's provider and joined with the
    /// default role; `linked`: an existing account (verified address) was used.
    JoinedViaSso {
        member: Person,
        email: String,
        role: Role,
        linked: bool,
    },
    /// An administrator with two-factor reached the organization with a password
    /// session although it requires single sign-on (break-glass).
    SsoBypassed {
        org: Uuid,
        org_name: String,
    },
    /// A SCIM token was created; `rotated`: it replaced the previous one.
    ScimTokenCreated {
        org: Uuid,
        org_name: String,
        prefix: String,
        rotated: bool,
    },
    /// The SCIM token was revoked: provisioning stops, roles can be changed again.
    ScimTokenRevoked {
        org: Uuid,
        org_name: String,
        prefix: String,
    },
    /// Members of the provider's group `group` now get `to` (`None`: no role from it).
    ScimGroupRoleChanged {
        org: Uuid,
        org_name: String,
        group: String,
        from: Option<Role>,
        to: Option<Role>,
    },
    /// The identity provider made this person a member (or, `linked`, took over the
    /// membership they had).
    MemberProvisioned {
        member: Person,
        email: String,
        role: Role,
        linked: bool,
    },
    /// The identity provider deactivated (or, `deleted`, deleted) this member: the
    /// membership ended at once.
    MemberDeprovisioned {
        member: Person,
        email: String,
        role: Role,
        deleted: bool,
    },
    /// The provider changed what it keeps of a user (userName, name, emails, active
    /// while not a member); `before` / `after` hold the changed attributes.
    ScimUserUpdated {
        member: Person,
        before: Value,
        after: Value,
    },
    ScimGroupCreated {
        group: Uuid,
        name: String,
        members: Vec<String>,
    },
    /// A group renamed, or people added to or removed from it (by name).
    ScimGroupUpdated {
        group: Uuid,
        name: String,
        renamed_from: Option<String>,
        added: Vec<String>,
        removed: Vec<String>,
    },
    ScimGroupDeleted {
        group: Uuid,
        name: String,
    },
}

/// The stored parts of an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub action: Action,
    pub target: Target,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

fn invitation_json(i: &InvitationFacts) -> Value {
    let mut object = Map::new();
    object.insert("email".into(), json!(i.email));
    object.insert("role".into(), json!(i.role.as_str()));
    object.insert("expires_at".into(), json!(i.expires_at));
    if let Some(project) = &i.project {
        object.insert("project".into(), json!(project));
    }
    Value::Object(object)
}

impl Event {
    pub fn action(&self) -> Action {
        self.stored().action
    }

    /// The action, target and before/after JSON as the `activity` table stores them.
    pub fn stored(&self) -> Stored {
        use Event::*;
        let (action, target, before, after) = match self {
            OrganizationCreated { org, name, slug } => (
                Action::OrganizationCreated,
                Target::of("organization", *org, name),
                None,
                Some(json!({ "name": name, "slug": slug })),
            ),
            OrganizationRenamed { org, from, to } => (
                Action::OrganizationRenamed,
                Target::of("organization", *org, to),
                Some(json!({ "name": from })),
                Some(json!({ "name": to })),
            ),
            RetentionChanged {
                org,
                org_name,
                from,
                to,
            } => (
                Action::OrganizationRetentionChanged,
                Target::of("organization", *org, org_name),
                Some(json!({ "keep_personal_days": from })),
                Some(json!({ "keep_personal_days": to })),
            ),
            OrganizationDeleted {
                org,
                name,
                restore_until,
                invitations_cancelled,
            } => (
                Action::OrganizationDeleted,
                Target::of("organization", *org, name),
                None,
                Some(json!({
                    "restore_until": restore_until,
                    "invitations_cancelled": invitations_cancelled,
                })),
            ),
            OrganizationRestored { org, name } => (
                Action::OrganizationRestored,
                Target::of("organization", *org, name),
                None,
                None,
            ),
            AuditStreamUpdated {
                org,
                org_name,
                was,
                endpoint,
                secret_replaced,
            } => (
                Action::OrganizationAuditStreamUpdated,
                Target::of("organization", *org, org_name),
                was.as_ref().map(|url| json!({ "endpoint": url })),
                Some(json!({ "endpoint": endpoint, "secret_replaced": secret_replaced })),
            ),
            AuditStreamDisabled {
                org,
                org_name,
                endpoint,
            } => (
                Action::OrganizationAuditStreamDisabled,
                Target::of("organization", *org, org_name),
                Some(json!({ "endpoint": endpoint })),
                None,
            ),
            AuditStreamTested {
                org,
                org_name,
                endpoint,
            } => (
                Action::OrganizationAuditStreamTested,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "endpoint": endpoint })),
            ),
            MemberRoleChanged { member, from, to } => (
                Action::MemberRoleChanged,
                Target::of("member", member.id, &member.name),
                Some(json!({ "role": from.as_str() })),
                Some(json!({ "role": to.as_str() })),
            ),
            MemberRemoved {
                member,
                role,
                email,
            } => (
                Action::MemberRemoved,
                Target::of("member", member.id, &member.name),
                Some(json!({ "role": role.as_str(), "email": email })),
                None,
            ),
            MemberLeft { member, held } => (
                Action::MemberLeft,
                Target::of("member", member.id, &member.name),
                Some(match held {
                    Held::Org(role) => json!({ "role": role.as_str() }),
                    Held::Project { role, project } => {
                        json!({ "role": role.as_str(), "project": project })
                    }
                }),
                None,
            ),
            InvitationSent(i) => (
                Action::InvitationSent,
                Target::of("invitation", i.id, &i.email),
                None,
                Some(invitation_json(i)),
            ),
            InvitationResent {
                invitation: i,
                previous_expires_at,
                previous_send_count,
            } => (
                Action::InvitationResent,
                Target::of("invitation", i.id, &i.email),
                Some(
                    json!({ "expires_at": previous_expires_at, "send_count": previous_send_count }),
                ),
                Some(invitation_json(i)),
            ),
            InvitationCancelled(i) => (
                Action::InvitationCancelled,
                Target::of("invitation", i.id, &i.email),
                Some(invitation_json(i)),
                None,
            ),
            InvitationAccepted {
                invitation,
                email,
                member,
                role,
            } => (
                Action::InvitationAccepted,
                Target::of("invitation", *invitation, email),
                None,
                Some(json!({ "member": member, "role": role.as_str() })),
            ),
            ProjectCreated { project, name } => (
                Action::ProjectCreated,
                Target::of("project", *project, name),
                None,
                Some(json!({ "name": name })),
            ),
            ProjectRenamed { project, from, to } => (
                Action::ProjectRenamed,
                Target::of("project", *project, to),
                Some(json!({ "name": from })),
                Some(json!({ "name": to })),
            ),
            ProjectArchived { project, name } => (
                Action::ProjectArchived,
                Target::of("project", *project, name),
                None,
                None,
            ),
            ProjectAccessGranted {
                member,
                project,
                role,
                invitation,
            } => {
                let mut after = json!({ "project": project, "role": role.as_str() });
                if let Some(invitation) = invitation {
                    after["invitation"] = json!(invitation);
                }
                (
                    Action::ProjectAccessGranted,
                    Target::of("member", member.id, &member.name),
                    None,
                    Some(after),
                )
            }
            ProjectAccessChanged {
                member,
                project,
                from,
                to,
            } => (
                Action::ProjectAccessChanged,
                Target::of("member", member.id, &member.name),
                Some(json!({ "role": from.as_str(), "project": project })),
                Some(json!({ "role": to.as_str(), "project": project })),
            ),
            ProjectAccessRevoked {
                member,
                project,
                role,
            } => (
                Action::ProjectAccessRevoked,
                Target::of("member", member.id, &member.name),
                Some(json!({ "role": role.as_str(), "project": project })),
                None,
            ),
            ApiKeyCreated(key) => (
                Action::ApiKeyCreated,
                Target::of("api_key", key.id, &key.name),
                None,
                Some(json!({ "name": key.name, "prefix": key.prefix, "project": key.project })),
            ),
            ApiKeyRevoked(key) => (
                Action::ApiKeyRevoked,
                Target::of("api_key", key.id, &key.name),
                Some(json!({ "prefix": key.prefix, "project": key.project })),
                None,
            ),
            ApiKeyRotated {
                old,
                new_prefix,
                overlap_hours,
            } => (
                Action::ApiKeyRotated,
                Target::of("api_key", old.id, &old.name),
                Some(json!({ "prefix": old.prefix })),
                Some(json!({
                    "new_prefix": new_prefix,
                    "overlap_hours": overlap_hours,
                    "project": old.project,
                })),
            ),
            CreditsAdded {
                org,
                org_name,
                amount,
                reference,
            } => (
                Action::BillingCreditsAdded,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "amount_micro": amount.micro(), "reference": reference })),
            ),
            PlanChanged {
                org,
                org_name,
                from,
                to,
            } => (
                Action::BillingPlanChanged,
                Target::of("organization", *org, org_name),
                Some(json!({ "plan": from.as_str() })),
                Some(json!({ "plan": to.as_str() })),
            ),
            TwoFactorRequired { org, org_name } => (
                Action::OrganizationTwoFactorRequired,
                Target::of("organization", *org, org_name),
                Some(json!({ "require_two_factor": false })),
                Some(json!({ "require_two_factor": true })),
            ),
            TwoFactorOptional { org, org_name } => (
                Action::OrganizationTwoFactorOptional,
                Target::of("organization", *org, org_name),
                Some(json!({ "require_two_factor": true })),
                Some(json!({ "require_two_factor": false })),
            ),
            TwoFactorEnabled { account } => (
                Action::AccountTwoFactorEnabled,
                Target::of("member", account.id, &account.name),
                Some(json!({ "two_factor": false })),
                Some(json!({ "two_factor": true })),
            ),
            TwoFactorDisabled { account } => (
                Action::AccountTwoFactorDisabled,
                Target::of("member", account.id, &account.name),
                Some(json!({ "two_factor": true })),
                Some(json!({ "two_factor": false })),
            ),
            InvitationRoleChanged { invitation, from } => {
                let mut before = invitation_json(invitation);
                before["role"] = json!(from.as_str());
                (
                    Action::InvitationRoleChanged,
                    Target::of("invitation", invitation.id, &invitation.email),
                    Some(before),
                    Some(invitation_json(invitation)),
                )
            }
            InvitationRequestedAgain(i) => (
                Action::InvitationRequestedAgain,
                Target::of("invitation", i.id, &i.email),
                None,
                Some(invitation_json(i)),
            ),
            ProjectAccessUntilChanged {
                member,
                project,
                from,
                to,
            } => (
                Action::ProjectAccessUntilChanged,
                Target::of("member", member.id, &member.name),
                Some(json!({ "project": project, "access_until": from.map(|d| d.to_string()) })),
                Some(json!({ "project": project, "access_until": to.map(|d| d.to_string()) })),
            ),
            ProjectAccessExpired {
                member,
                project,
                role,
                until,
            } => (
                Action::ProjectAccessExpired,
                Target::of("member", member.id, &member.name),
                Some(json!({
                    "project": project,
                    "role": role.as_str(),
                    "access_until": until.to_string(),
                })),
                None,
            ),
            AdminKeyCreated(key) => (
                Action::AdminKeyCreated,
                Target::of("admin_key", key.id, &key.name),
                None,
                Some(json!({ "name": key.name, "prefix": key.prefix, "scopes": key.scopes })),
            ),
            AdminKeyRevoked(key) => (
                Action::AdminKeyRevoked,
                Target::of("admin_key", key.id, &key.name),
                Some(json!({ "prefix": key.prefix, "scopes": key.scopes })),
                None,
            ),
            SsoConfigured {
                org,
                org_name,
                issuer,
                client_id,
                default_role,
                secret_replaced,
            } => (
                Action::OrganizationSsoConfigured,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({
                    "issuer": issuer,
                    "client_id": client_id,
                    "default_role": default_role.as_str(),
                    "secret_replaced": secret_replaced,
                })),
            ),
            SsoTested {
                org,
                org_name,
                issuer,
                email,
            } => (
                Action::OrganizationSsoTested,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "issuer": issuer, "email": email })),
            ),
            SsoEnabled {
                org,
                org_name,
                issuer,
            } => (
                Action::OrganizationSsoEnabled,
                Target::of("organization", *org, org_name),
                Some(json!({ "sso": false })),
                Some(json!({ "sso": true, "issuer": issuer })),
            ),
            SsoDisabled { org, org_name } => (
                Action::OrganizationSsoDisabled,
                Target::of("organization", *org, org_name),
                Some(json!({ "sso": true })),
                Some(json!({ "sso": false })),
            ),
            SsoRequired { org, org_name } => (
                Action::OrganizationSsoRequired,
                Target::of("organization", *org, org_name),
                Some(json!({ "require_sso": false })),
                Some(json!({ "require_sso": true })),
            ),
            SsoOptional { org, org_name } => (
                Action::OrganizationSsoOptional,
                Target::of("organization", *org, org_name),
                Some(json!({ "require_sso": true })),
                Some(json!({ "require_sso": false })),
            ),
            DomainAdded {
                org,
                org_name,
                domain,
            } => (
                Action::OrganizationDomainAdded,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "domain": domain })),
            ),
            DomainVerified {
                org,
                org_name,
                domain,
            } => (
                Action::OrganizationDomainVerified,
                Target::of("organization", *org, org_name),
                Some(json!({ "domain": domain, "verified": false })),
                Some(json!({ "domain": domain, "verified": true })),
            ),
            DomainRemoved {
                org,
                org_name,
                domain,
                was_verified,
            } => (
                Action::OrganizationDomainRemoved,
                Target::of("organization", *org, org_name),
                Some(json!({ "domain": domain, "verified": was_verified })),
                None,
            ),
            JoinedViaSso {
                member,
                email,
                role,
                linked,
            } => (
                Action::MemberJoinedViaSso,
                Target::of("member", member.id, &member.name),
                None,
                Some(json!({ "email": email, "role": role.as_str(), "linked": linked })),
            ),
            SsoBypassed { org, org_name } => (
                Action::OrganizationSsoBypassed,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "method": "password and two-factor" })),
            ),
            ScimTokenCreated {
                org,
                org_name,
                prefix,
                rotated,
            } => (
                Action::OrganizationScimTokenCreated,
                Target::of("organization", *org, org_name),
                None,
                Some(json!({ "prefix": prefix, "rotated": rotated })),
            ),
            ScimTokenRevoked {
                org,
                org_name,
                prefix,
            } => (
                Action::OrganizationScimTokenRevoked,
                Target::of("organization", *org, org_name),
                Some(json!({ "prefix": prefix })),
                None,
            ),
            ScimGroupRoleChanged {
                org,
                org_name,
                group,
                from,
                to,
            } => (
                Action::OrganizationScimGroupRoleChanged,
                Target::of("organization", *org, org_name),
                Some(json!({ "group": group, "role": from.map(Role::as_str) })),
                Some(json!({ "group": group, "role": to.map(Role::as_str) })),
            ),
            MemberProvisioned {
                member,
                email,
                role,
                linked,
            } => (
                Action::MemberProvisioned,
                Target::of("member", member.id, &member.name),
                None,
                Some(json!({ "email": email, "role": role.as_str(), "linked": linked })),
            ),
            MemberDeprovisioned {
                member,
                email,
                role,
                deleted,
            } => (
                Action::MemberDeprovisioned,
                Target::of("member", member.id, &member.name),
                Some(json!({ "email": email, "role": role.as_str() })),
                Some(json!({ "reason": if *deleted { "deleted" } else { "deactivated" } })),
            ),
            ScimUserUpdated {
                member,
                before,
                after,
            } => (
                Action::ScimUserUpdated,
                Target::of("member", member.id, &member.name),
                Some(before.clone()),
                Some(after.clone()),
            ),
            ScimGroupCreated {
                group,
                name,
                members,
            } => (
                Action::ScimGroupCreated,
                Target::of("scim_group", *group, name),
                None,
                Some(json!({ "name": name, "members": members })),
            ),
            ScimGroupUpdated {
                group,
                name,
                renamed_from,
                added,
                removed,
            } => (
                Action::ScimGroupUpdated,
                Target::of("scim_group", *group, name),
                Some(
                    json!({ "name": renamed_from.as_deref().unwrap_or(name), "removed": removed }),
                ),
                Some(json!({ "name": name, "added": added })),
            ),
            ScimGroupDeleted { group, name } => (
                Action::ScimGroupDeleted,
                Target::of("scim_group", *group, name),
                Some(json!({ "name": name })),
                None,
            ),
        };
        Stored {
            action,
            target,
            before,
            after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_stored_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("member.promoted"), None);
    }

    #[test]
    fn a_role_change_is_stored_as_it_always_was() {
        let id = Uuid::now_v7();
        let stored = Event::MemberRoleChanged {
            member: Person {
                id,
                name: "Grace".into(),
            },
            from: Role::Viewer,
            to: Role::Developer,
        }
        .stored();
        assert_eq!(stored.action.as_str(), "member.role_changed");
        assert_eq!(stored.target.kind, "member");
        assert_eq!(stored.target.id, Some(id));
        assert_eq!(stored.before, Some(json!({ "role": "viewer" })));
        assert_eq!(stored.after, Some(json!({ "role": "developer" })));
    }

    #[test]
    fn a_project_invitation_records_its_project() {
        let facts = InvitationFacts {
            id: Uuid::now_v7(),
            email: "a@x.test".into(),
            role: Role::Viewer,
            expires_at: DateTime::<Utc>::UNIX_EPOCH,
            project: Some("Apollo".into()),
        };
        let after = Event::InvitationSent(facts).stored().after.unwrap();
        assert_eq!(after["project"], "Apollo");
        assert_eq!(after["role"], "viewer");
    }
}

//! What the activity log records: who acted, and one typed `Event` per action. An event
//! is the only way to write an entry; it yields the stored action, target and before/after.

use uuid::Uuid;

mod event;

pub use event::{AdminKeyFacts, Event, Held, InvitationFacts, KeyFacts, Person, Stored};

/// Who did it, and from where. Names are copied into the entry so that history keeps
/// the name a person had at the time.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub name: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The organization admin key acting (then `user_id` and `name` are its creator's
    /// id and "API key <name> (created by <person>)"): the ops grant it the rights of
    /// an Administrator narrowed to its scopes, re-read in their transaction.
    pub admin_key: Option<Uuid>,
    /// The organization's SCIM token acting (then `user_id` is nil and `name` "SCIM"):
    /// the ops grant it the member management of an Administrator while it is the
    /// organization's token, and the log records no person as the actor.
    pub scim: Option<Uuid>,
}

impl Actor {
    /// The identity provider, through the SCIM token `token_id`.
    pub fn scim(token_id: Uuid, ip: Option<String>, user_agent: Option<String>) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            name: crate::domain::scim::ACTOR_NAME.to_owned(),
            ip,
            user_agent,
            admin_key: None,
            scim: Some(token_id),
        }
    }

    /// The person acting, if a person is (not the identity provider).
    pub fn person(&self) -> Option<Uuid> {
        self.scim.is_none().then_some(self.user_id)
    }
}

/// Every kind of entry the log can hold; stored as `noun.verb` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    OrganizationCreated,
    OrganizationRenamed,
    OrganizationRetentionChanged,
    OrganizationDeleted,
    OrganizationRestored,
    OrganizationAuditStreamUpdated,
    OrganizationAuditStreamDisabled,
    OrganizationAuditStreamTested,
    MemberRoleChanged,
    MemberRemoved,
    MemberLeft,
    InvitationSent,
    InvitationResent,
    InvitationCancelled,
    InvitationAccepted,
    ProjectCreated,
    ProjectRenamed,
    ProjectArchived,
    ProjectAccessGranted,
    ProjectAccessChanged,
    ProjectAccessRevoked,
    ApiKeyCreated,
    ApiKeyRevoked,
    ApiKeyRotated,
    BillingCreditsAdded,
    BillingPlanChanged,
    OrganizationTwoFactorRequired,
    OrganizationTwoFactorOptional,
    AccountTwoFactorEnabled,
    AccountTwoFactorDisabled,
    InvitationRoleChanged,
    InvitationRequestedAgain,
    ProjectAccessUntilChanged,
    ProjectAccessExpired,
    AdminKeyCreated,
    AdminKeyRevoked,
    OrganizationSsoConfigured,
    OrganizationSsoTested,
    OrganizationSsoEnabled,
    OrganizationSsoDisabled,
    OrganizationSsoRequired,
    OrganizationSsoOptional,
    OrganizationDomainAdded,
    OrganizationDomainVerified,
    OrganizationDomainRemoved,
    MemberJoinedViaSso,
    OrganizationSsoBypassed,
    OrganizationScimTokenCreated,
    OrganizationScimTokenRevoked,
    OrganizationScimGroupRoleChanged,
    MemberProvisioned,
    MemberDeprovisioned,
    ScimUserUpdated,
    ScimGroupCreated,
    ScimGroupUpdated,
    ScimGroupDeleted,
}

impl Action {
    pub const ALL: [Action; 56] = [
        Action::OrganizationCreated,
        Action::OrganizationRenamed,
        Action::OrganizationRetentionChanged,
        Action::OrganizationDeleted,
        Action::OrganizationRestored,
        Action::OrganizationAuditStreamUpdated,
        Action::OrganizationAuditStreamDisabled,
        Action::OrganizationAuditStreamTested,
        Action::MemberRoleChanged,
        Action::MemberRemoved,
        Action::MemberLeft,
        Action::InvitationSent,
        Action::InvitationResent,
        Action::InvitationCancelled,
        Action::InvitationAccepted,
        Action::ProjectCreated,
        Action::ProjectRenamed,
        Action::ProjectArchived,
        Action::ProjectAccessGranted,
        Action::ProjectAccessChanged,
        Action::ProjectAccessRevoked,
        Action::ApiKeyCreated,
        Action::ApiKeyRevoked,
        Action::ApiKeyRotated,
        Action::BillingCreditsAdded,
        Action::BillingPlanChanged,
        Action::OrganizationTwoFactorRequired,
        Action::OrganizationTwoFactorOptional,
        Action::AccountTwoFactorEnabled,
        Action::AccountTwoFactorDisabled,
        Action::InvitationRoleChanged,
        Action::InvitationRequestedAgain,
        Action::ProjectAccessUntilChanged,
        Action::ProjectAccessExpired,
        Action::AdminKeyCreated,
        Action::AdminKeyRevoked,
        Action::OrganizationSsoConfigured,
        Action::OrganizationSsoTested,
        Action::OrganizationSsoEnabled,
        Action::OrganizationSsoDisabled,
        Action::OrganizationSsoRequired,
        Action::OrganizationSsoOptional,
        Action::OrganizationDomainAdded,
        Action::OrganizationDomainVerified,
        Action::OrganizationDomainRemoved,
        Action::MemberJoinedViaSso,
        Action::OrganizationSsoBypassed,
        Action::OrganizationScimTokenCreated,
        Action::OrganizationScimTokenRevoked,
        Action::OrganizationScimGroupRoleChanged,
        Action::MemberProvisioned,
        Action::MemberDeprovisioned,
        Action::ScimUserUpdated,
        Action::ScimGroupCreated,
        Action::ScimGroupUpdated,
        Action::ScimGroupDeleted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Action::OrganizationCreated => "organization.created",
            Action::OrganizationRenamed => "organization.renamed",
            Action::OrganizationRetentionChanged => "organization.retention_changed",
            Action::OrganizationDeleted => "organization.deleted",
            Action::OrganizationRestored => "organization.restored",
            Action::OrganizationAuditStreamUpdated => "organization.audit_stream_updated",
            Action::OrganizationAuditStreamDisabled => "organization.audit_stream_disabled",
            Action::OrganizationAuditStreamTested => "organization.audit_stream_tested",
            Action::MemberRoleChanged => "member.role_changed",
            Action::MemberRemoved => "member.removed",
            Action::MemberLeft => "member.left",
            Action::InvitationSent => "invitation.sent",
            Action::InvitationResent => "invitation.resent",
            Action::InvitationCancelled => "invitation.cancelled",
            Action::InvitationAccepted => "invitation.accepted",
            Action::ProjectCreated => "project.created",
            Action::ProjectRenamed => "project.renamed",
            Action::ProjectArchived => "project.archived",
            Action::ProjectAccessGranted => "project_access.granted",
            Action::ProjectAccessChanged => "project_access.changed",
            Action::ProjectAccessRevoked => "project_access.revoked",
            Action::ApiKeyCreated => "api_key.created",
            Action::ApiKeyRevoked => "api_key.revoked",
            Action::ApiKeyRotated => "api_key.rotated",
            Action::BillingCreditsAdded => "billing.credits_added",
            Action::BillingPlanChanged => "billing.plan_changed",
            Action::OrganizationTwoFactorRequired => "organization.2fa_required",
            Action::OrganizationTwoFactorOptional => "organization.2fa_optional",
            Action::AccountTwoFactorEnabled => "account.2fa_enabled",
            Action::AccountTwoFactorDisabled => "account.2fa_disabled",
            Action::InvitationRoleChanged => "invitation.role_changed",
            Action::InvitationRequestedAgain => "invitation.requested_again",
            Action::ProjectAccessUntilChanged => "project_access.until_changed",
            Action::ProjectAccessExpired => "project.access_expired",
            Action::AdminKeyCreated => "admin_key.created",
            Action::AdminKeyRevoked => "admin_key.revoked",
            Action::OrganizationSsoConfigured => "organization.sso_configured",
            Action::OrganizationSsoTested => "organization.sso_tested",
            Action::OrganizationSsoEnabled => "organization.sso_enabled",
            Action::OrganizationSsoDisabled => "organization.sso_disabled",
            Action::OrganizationSsoRequired => "organization.sso_required",
            Action::OrganizationSsoOptional => "organization.sso_optional",
            Action::OrganizationDomainAdded => "organization.domain_added",
            Action::OrganizationDomainVerified => "organization.domain_verified",
            Action::OrganizationDomainRemoved => "organization.domain_removed",
            Action::MemberJoinedViaSso => "member.joined_via_sso",
            Action::OrganizationSsoBypassed => "organization.sso_bypassed",
            Action::OrganizationScimTokenCreated => "organization.scim_token_created",
            Action::OrganizationScimTokenRevoked => "organization.scim_token_revoked",
            Action::OrganizationScimGroupRoleChanged => "organization.scim_group_role_changed",
            Action::MemberProvisioned => "member.provisioned",
            Action::MemberDeprovisioned => "member.deprovisioned",
            Action::ScimUserUpdated => "scim.user_updated",
            Action::ScimGroupCreated => "scim.group_created",
            Action::ScimGroupUpdated => "scim.group_updated",
            Action::ScimGroupDeleted => "scim.group_deleted",
        }
    }

    /// The label of the action in the log's "Action" filter.
    pub const fn label(self) -> &'static str {
        match self {
            Action::OrganizationCreated => "Organization created",
            Action::OrganizationRenamed => "Organization renamed",
            Action::OrganizationRetentionChanged => "Retention changed",
            Action::OrganizationDeleted => "Organization deleted",
            Action::OrganizationRestored => "Organization restored",
            Action::OrganizationAuditStreamUpdated => "Audit log streaming changed",
            Action::OrganizationAuditStreamDisabled => "Audit log streaming turned off",
            Action::OrganizationAuditStreamTested => "Audit log streaming test event",
            Action::MemberRoleChanged => "Role changed",
            Action::MemberRemoved => "Member removed",
            Action::MemberLeft => "Member left",
            Action::InvitationSent => "Invitation sent",
            Action::InvitationResent => "Invitation resent",
            Action::InvitationCancelled => "Invitation cancelled",
            Action::InvitationAccepted => "Invitation accepted",
            Action::ProjectCreated => "Project created",
            Action::ProjectRenamed => "Project renamed",
            Action::ProjectArchived => "Project archived",
            Action::ProjectAccessGranted => "Project access given",
            Action::ProjectAccessChanged => "Project access changed",
            Action::ProjectAccessRevoked => "Project access taken away",
            Action::ApiKeyCreated => "API key created",
            Action::ApiKeyRevoked => "API key revoked",
            Action::ApiKeyRotated => "API key rotated",
            Action::BillingCreditsAdded => "Credits added",
            Action::BillingPlanChanged => "Plan changed",
            Action::OrganizationTwoFactorRequired => "Two-factor authentication required",
            Action::OrganizationTwoFactorOptional => "Two-factor authentication made optional",
            Action::AccountTwoFactorEnabled => "Two-factor authentication turned on",
            Action::AccountTwoFactorDisabled => "Two-factor authentication turned off",
            Action::InvitationRoleChanged => "Invitation role changed",
            Action::InvitationRequestedAgain => "New invitation requested",
            Action::ProjectAccessUntilChanged => "Access until changed",
            Action::ProjectAccessExpired => "Project access expired",
            Action::AdminKeyCreated => "Admin key created",
            Action::AdminKeyRevoked => "Admin key revoked",
            Action::OrganizationSsoConfigured => "Single sign-on settings changed",
            Action::OrganizationSsoTested => "Single sign-on tested",
            Action::OrganizationSsoEnabled => "Single sign-on turned on",
            Action::OrganizationSsoDisabled => "Single sign-on turned off",
            Action::OrganizationSsoRequired => "Single sign-on required",
            Action::OrganizationSsoOptional => "Single sign-on made optional",
            Action::OrganizationDomainAdded => "Domain added",
            Action::OrganizationDomainVerified => "Domain verified",
            Action::OrganizationDomainRemoved => "Domain removed",
            Action::MemberJoinedViaSso => "Joined through single sign-on",
            Action::OrganizationSsoBypassed => "Single sign-on bypassed",
            Action::OrganizationScimTokenCreated => "SCIM token created",
            Action::OrganizationScimTokenRevoked => "SCIM token revoked",
            Action::OrganizationScimGroupRoleChanged => "SCIM group role changed",
            Action::MemberProvisioned => "Provisioned by SCIM",
            Action::MemberDeprovisioned => "Deprovisioned by SCIM",
            Action::ScimUserUpdated => "SCIM user updated",
            Action::ScimGroupCreated => "SCIM group created",
            Action::ScimGroupUpdated => "SCIM group changed",
            Action::ScimGroupDeleted => "SCIM group deleted",
        }
    }

    pub fn parse(stored: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == stored)
    }
}

/// What the action was done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub label: String,
}

impl Target {
    pub(super) fn of(kind: &'static str, id: Uuid, label: &str) -> Self {
        Target {
            kind,
            id: Some(id),
            label: label.to_owned(),
        }
    }
}

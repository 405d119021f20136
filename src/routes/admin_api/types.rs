//! The JSON shapes of the organization API: what the handlers serialize is what the
//! OpenAPI document describes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ProjectRole, Role};
use crate::models::api_keys::{ApiKey, Status};
use crate::models::member_list::MemberRow;
use crate::models::project_members::ProjectMemberRow;
use crate::models::projects::Project;
use crate::ops::api_keys::Overlap;

/// An organization role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Administrator,
    Developer,
    BillingManager,
    Viewer,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Administrator => RoleName::Administrator,
            Role::Developer => RoleName::Developer,
            Role::BillingManager => RoleName::BillingManager,
            Role::Viewer => RoleName::Viewer,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Self {
        match role {
            RoleName::Administrator => Role::Administrator,
            RoleName::Developer => Role::Developer,
            RoleName::BillingManager => Role::BillingManager,
            RoleName::Viewer => Role::Viewer,
        }
    }
}

/// The role of a project-only member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRoleName {
    Developer,
    Viewer,
}

impl From<ProjectRole> for ProjectRoleName {
    fn from(role: ProjectRole) -> Self {
        match role {
            ProjectRole::Developer => ProjectRoleName::Developer,
            ProjectRole::Viewer => ProjectRoleName::Viewer,
        }
    }
}

impl From<ProjectRoleName> for ProjectRole {
    fn from(role: ProjectRoleName) -> Self {
        match role {
            ProjectRoleName::Developer => ProjectRole::Developer,
            ProjectRoleName::Viewer => ProjectRole::Viewer,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: RoleName,
    pub joined_at: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
    /// Whether the member signs in with a second factor.
    pub two_factor: bool,
    /// Provisioned by the identity provider (SCIM): the role follows its groups, and
    /// changing it here answers 409.
    pub scim_managed: bool,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            user_id: row.user_id,
            name: row.name,
            email: row.email,
            role: row.role.into(),
            joined_at: row.joined_at,
            last_active_at: row.last_active_at,
            two_factor: row.two_factor,
            scim_managed: row.scim_managed,
        }
    }
}

/// A page of a list: `data`, and the `after` of the next page when there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub data: Vec<Member>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: RoleName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: RoleName,
    /// The project of a project-only invitation.
    pub project_id: Option<Uuid>,
    /// The last day of the project-only access it grants, when it has one.
    pub access_until: Option<NaiveDate>,
    pub invited_by: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<crate::models::admin_api::PendingInvitation> for Invitation {
    fn from(row: crate::models::admin_api::PendingInvitation) -> Self {
        Invitation {
            id: row.id,
            email: row.email,
            role: row.role.into(),
            project_id: row.project_id,
            access_until: row.access_until,
            invited_by: row.invited_by_name,
            sent_at: row.sent_at,
            expires_at: row.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub data: Vec<Invitation>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitations {
    /// One to 50 addresses.
    pub emails: Vec<String>,
    pub role: RoleName,
}

/// What happened to one address.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCode {
    Invited,
    Invalid,
    AlreadyMember,
    AlreadyInvited,
    AddressLimit,
    SeatLimit,
    DailyLimit,
    Resent,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressOutcome {
    pub email: String,
    pub outcome: OutcomeCode,
    /// The new or existing pending invitation of this address.
    pub invitation_id: Option<Uuid>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResults {
    pub results: Vec<AddressOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectOut {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl From<Project> for ProjectOut {
    fn from(p: Project) -> Self {
        ProjectOut {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            archived_at: p.archived_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub data: Vec<ProjectOut>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectName {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectMember {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: ProjectRoleName,
    pub added_at: DateTime<Utc>,
    /// "Access until": the last day the access works (UTC); none for no end date.
    pub access_until: Option<NaiveDate>,
}

impl From<ProjectMemberRow> for ProjectMember {
    fn from(row: ProjectMemberRow) -> Self {
        ProjectMember {
            user_id: row.user_id,
            name: row.name,
            email: row.email,
            role: row.role.into(),
            added_at: row.created_at,
            access_until: row.access_until,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectMemberList {
    pub data: Vec<ProjectMember>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInvite {
    pub email: String,
    pub role: ProjectRoleName,
    /// The last day of the access (today to 5 years ahead); none for no end date.
    #[serde(default)]
    pub access_until: Option<NaiveDate>,
}

/// A change of a project-only member: either field, or both. `access_until: null`
/// clears the end date; leaving it out keeps it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectMemberChange {
    #[serde(default)]
    pub role: Option<ProjectRoleName>,
    /// The last day of the access (today to 5 years ahead), or null for no end date.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub access_until: Option<Option<NaiveDate>>,
}

/// A field that is present, null or not: `Some(None)` for null, so that a missing field
/// (`None`, by `default`) differs from a null one.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Expiring,
    Expired,
    Revoked,
}

/// A project API key; never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Key {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// The first characters of the secret, as lists show them.
    pub prefix: String,
    pub created_by: String,
    /// The user who created it (none when their account is gone): the keys to rotate
    /// when removing them.
    pub created_by_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub status: KeyStatus,
}

impl Key {
    pub fn of(key: ApiKey, now: DateTime<Utc>) -> Self {
        Key {
            status: match key.status(now) {
                Status::Active => KeyStatus::Active,
                Status::Expiring => KeyStatus::Expiring,
                Status::Expired => KeyStatus::Expired,
                Status::Revoked => KeyStatus::Revoked,
            },
            id: key.id,
            project_id: key.project_id,
            name: key.name,
            prefix: key.prefix,
            created_by: key.created_by_name,
            created_by_id: key.created_by,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub data: Vec<Key>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
}

/// A new key and its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub key: Key,
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Hours the old key keeps working: 0, 1 or 24.
    #[serde(default)]
    pub overlap_hours: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedKey {
    pub old: Key,
    pub new: Key,
    pub secret: String,
}

/// How long an old secret keeps working beside its replacement.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum OverlapName {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
    #[serde(rename = "7d")]
    OneWeek,
}

impl From<OverlapName> for Overlap {
    fn from(overlap: OverlapName) -> Self {
        match overlap {
            OverlapName::None => Overlap::None,
            OverlapName::OneHour => Overlap::OneHour,
            OverlapName::OneDay => Overlap::OneDay,
            OverlapName::OneWeek => Overlap::OneWeek,
        }
    }
}

/// What removing a member also does (an empty body: keep every key).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// Keys the member created that get a new secret, in the same transaction as the
    /// removal (at most 100). Any other key stays as it is.
    #[serde(default)]
    pub rotate_keys: Vec<Uuid>,
    /// How long each rotated key's old secret keeps working; `24h` by default.
    #[serde(default)]
    pub overlap: Option<OverlapName>,
}

/// The removed member, and each rotated key with its new secret: the only time the
/// secrets are shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedMember {
    pub member: Member,
    pub rotated_keys: Vec<RotatedKey>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    pub day: NaiveDate,
    pub project_id: Uuid,
    pub project_name: String,
    pub requests: i64,
    pub tokens: i64,
    /// Credits, as a decimal string.
    pub cost: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageKey {
    pub project_id: Uuid,
    pub project_name: String,
    pub key_id: Uuid,
    pub key_name: String,
    pub key_prefix: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: String,
}

/// The Usage page's numbers: per day and project, and per key, since `since`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub since: NaiveDate,
    pub days: Vec<UsageDay>,
    pub keys: Vec<UsageKey>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityEntry {
    pub id: Uuid,
    pub time: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor: String,
    pub action: String,
    /// The sentence the Activity log shows.
    pub summary: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub target: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    pub data: Vec<ActivityEntry>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Billing {
    /// Credits, as a decimal string.
    pub balance: String,
    pub plan: String,
    pub seats_used: i64,
    /// None: no seat limit.
    pub seat_limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: String,
    pub amount: String,
    pub balance_after: String,
    pub reference: Option<String>,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Usage charges summed into this line (one line per day of usage).
    pub charges: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    pub data: Vec<LedgerEntry>,
    pub has_more: bool,
    pub next_after: Option<String>,
}

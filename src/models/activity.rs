use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::schema::activity;

/// Who did it, and from where. Names are copied into the entry so that history keeps
/// the name a person had at the time.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub name: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Every kind of entry the log can hold; stored as `noun.verb` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    OrganizationCreated,
    OrganizationRenamed,
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
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::OrganizationCreated => "organization.created",
            Action::OrganizationRenamed => "organization.renamed",
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
        }
    }
}

/// What the action was done to.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub label: String,
}

impl Target {
    pub fn organization(id: Uuid, name: &str) -> Self {
        Target {
            kind: "organization",
            id: Some(id),
            label: name.to_owned(),
        }
    }
}

impl Target {
    pub fn invitation(id: Uuid, email: &str) -> Self {
        Target {
            kind: "invitation",
            id: Some(id),
            label: email.to_owned(),
        }
    }

    pub fn project(id: Uuid, name: &str) -> Self {
        Target {
            kind: "project",
            id: Some(id),
            label: name.to_owned(),
        }
    }

    pub fn api_key(id: Uuid, name: &str) -> Self {
        Target {
            kind: "api_key",
            id: Some(id),
            label: name.to_owned(),
        }
    }

    pub fn member(user_id: Uuid, name: &str) -> Self {
        Target {
            kind: "member",
            id: Some(user_id),
            label: name.to_owned(),
        }
    }
}

/// One change: the action, its target, and the state before and after.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: Action,
    pub target: Target,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity)]
pub struct ActivityRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Appends one entry. Call it inside the transaction of the change it describes, so
/// that the change and its entry commit or roll back together (R33).
pub fn record(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    entry: Entry,
) -> QueryResult<()> {
    diesel::insert_into(activity::table)
        .values((
            activity::id.eq(Uuid::now_v7()),
            activity::org_id.eq(org_id),
            activity::actor_id.eq(actor.user_id),
            activity::actor_name.eq(&actor.name),
            activity::action.eq(entry.action.as_str()),
            activity::target_type.eq(entry.target.kind),
            activity::target_id.eq(entry.target.id),
            activity::target_label.eq(&entry.target.label),
            activity::before.eq(entry.before),
            activity::after.eq(entry.after),
            activity::ip.eq(&actor.ip),
            activity::user_agent.eq(&actor.user_agent),
        ))
        .execute(conn)
        .map(drop)
}

/// The newest entries of an organization, newest first (keyset paging comes with the log page).
pub fn recent(conn: &mut PgConnection, org_id: Uuid, limit: i64) -> QueryResult<Vec<ActivityRow>> {
    activity::table
        .filter(activity::org_id.eq(org_id))
        .order(activity::id.desc())
        .limit(limit)
        .select(ActivityRow::as_select())
        .load(conn)
}

//! The admin API's cursor pages: stable id order, `after` an id, `limit` rows.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::Role;
use crate::models::api_keys::ApiKey;
use crate::models::projects::Project;
use crate::schema::{api_keys, invitations, projects};

/// A pending invitation as the API lists it.
#[derive(Debug, Clone, Queryable)]
pub struct PendingInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub project_id: Option<Uuid>,
    pub access_until: Option<NaiveDate>,
    pub invited_by_name: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn invitations(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<PendingInvitation>> {
    let mut query = invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::status.eq("pending"))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(invitations::id.gt(after));
    }
    query
        .order(invitations::id.asc())
        .limit(limit)
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::project_id,
            invitations::access_until,
            invitations::invited_by_name,
            invitations::sent_at,
            invitations::expires_at,
        ))
        .load(conn)
}

/// The pending invitation `id`, as [`invitations`] lists it.
pub fn invitation(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<PendingInvitation>> {
    invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::id.eq(id))
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::project_id,
            invitations::access_until,
            invitations::invited_by_name,
            invitations::sent_at,
            invitations::expires_at,
        ))
        .first(conn)
        .optional()
}

/// Projects, archived ones included (the API says which).
pub fn projects(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Project>> {
    let mut query = projects::table
        .filter(projects::org_id.eq(org_id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(projects::id.gt(after));
    }
    query
        .order(projects::id.asc())
        .limit(limit)
        .select(Project::as_select())
        .load(conn)
}

/// A project's keys, revoked and expired ones included (the API says which).
pub fn keys(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    let mut query = api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .filter(api_keys::project_id.eq(project_id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    query
        .order(api_keys::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

//! What the Members page shows around its page of members (pending invitations,
//! project-only access, the second-administrator notice), read in one statement.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Jsonb, Uuid as SqlUuid};
use serde::Deserialize;
use uuid::Uuid;

use super::invitations::PendingRow;
use super::notices::SecondAdminNotice;
use super::project_members::ProjectMemberRow;
use crate::domain::{ProjectRole, Role};

/// Which parts to read; the page asks only for those the organization's kept counts
/// say exist, so that an organization without them pays nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    pub pending: bool,
    pub project_only: bool,
    pub notice: bool,
}

impl Wanted {
    pub fn any(&self) -> bool {
        self.pending || self.project_only || self.notice
    }
}

#[derive(Debug, Default)]
pub struct Extras {
    pub pending: Vec<PendingRow>,
    pub project_only: Vec<ProjectMemberRow>,
    pub notice: SecondAdminNotice,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Jsonb)]
    pending: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    project_only: serde_json::Value,
    #[diesel(sql_type = Bool)]
    dismissed: bool,
    #[diesel(sql_type = Bool)]
    invited_anyone: bool,
}

#[derive(Deserialize)]
struct PendingJson {
    id: Uuid,
    email: String,
    role: String,
    invited_by_name: String,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    delivery_status: Option<String>,
    delivery_error: Option<String>,
    project_name: Option<String>,
    #[serde(default)]
    requested_again_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ProjectOnlyJson {
    user_id: Uuid,
    name: String,
    email: String,
    role: String,
    project_id: Uuid,
    project_name: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    access_until: Option<chrono::NaiveDate>,
}

// Each list is aggregated to one JSON value so that both ride in one row; the lists
// keep the order and limit of the separate queries they replace.
const EXTRAS: &str = "SELECT \
    CASE WHEN $3 THEN (SELECT coalesce(jsonb_agg(p ORDER BY p.sent_at DESC, p.id), '[]') FROM ( \
        SELECT i.id, i.email, i.role, i.invited_by_name, i.sent_at, i.expires_at, \
               o.status AS delivery_status, o.last_error AS delivery_error, pr.name AS project_name, \
               i.requested_again_at \
        FROM invitations i \
        LEFT JOIN outbox o ON o.id = i.outbox_id \
        LEFT JOIN projects pr ON pr.id = i.project_id \
        WHERE i.org_id = $1 AND i.status = 'pending' \
        ORDER BY i.sent_at DESC, i.id LIMIT $5) p) ELSE '[]' END AS pending, \
    CASE WHEN $4 THEN (SELECT coalesce(jsonb_agg(q ORDER BY q.project_name, q.name, q.user_id), '[]') FROM ( \
        SELECT u.id AS user_id, u.name, u.email, pm.role, pr.id AS project_id, \
               pr.name AS project_name, pm.created_at, pm.access_until \
        FROM project_members pm \
        JOIN users u ON u.id = pm.user_id \
        JOIN projects pr ON pr.id = pm.project_id \
        WHERE pm.org_id = $1 \
        ORDER BY pr.name, u.name, u.id LIMIT $5) q) ELSE '[]' END AS project_only, \
    EXISTS (SELECT 1 FROM notice_dismissals d \
            WHERE d.org_id = $1 AND d.user_id = $2 AND d.notice = 'second_admin') AS dismissed, \
    EXISTS (SELECT 1 FROM invitations i WHERE i.org_id = $1) AS invited_anyone";

/// The parts of the page `wanted` names, each list at most `limit` long.
pub fn load(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    wanted: Wanted,
    limit: i64,
) -> QueryResult<Extras> {
    let row: Row = super::cached_sql::query(EXTRAS)
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(user_id)
        .bind::<Bool, _>(wanted.pending)
        .bind::<Bool, _>(wanted.project_only)
        .bind::<BigInt, _>(limit)
        .get_result(conn)?;
    let pending: Vec<PendingJson> = from_json(row.pending)?;
    let project_only: Vec<ProjectOnlyJson> = from_json(row.project_only)?;
    Ok(Extras {
        pending: pending
            .into_iter()
            .map(|p| {
                Ok(PendingRow {
                    id: p.id,
                    email: p.email,
                    role: Role::parse(&p.role).map_err(|_| bad("role"))?,
                    invited_by_name: p.invited_by_name,
                    sent_at: p.sent_at,
                    expires_at: p.expires_at,
                    delivery_status: p.delivery_status,
                    delivery_error: p.delivery_error,
                    project_name: p.project_name,
                    requested_again_at: p.requested_again_at,
                })
            })
            .collect::<QueryResult<_>>()?,
        project_only: project_only
            .into_iter()
            .map(|p| {
                Ok(ProjectMemberRow {
                    user_id: p.user_id,
                    name: p.name,
                    email: p.email,
                    role: ProjectRole::parse(&p.role).map_err(|_| bad("project role"))?,
                    project_id: p.project_id,
                    project_name: p.project_name,
                    created_at: p.created_at,
                    access_until: p.access_until,
                })
            })
            .collect::<QueryResult<_>>()?,
        notice: SecondAdminNotice {
            dismissed: row.dismissed,
            invited_anyone: row.invited_anyone,
        },
    })
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> QueryResult<T> {
    serde_json::from_value(value)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

fn bad(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("unknown {what}").into())
}

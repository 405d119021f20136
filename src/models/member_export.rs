//! The people of an organization for an access review (the members CSV): members and
//! project-only members, read in keyset chunks by name.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Deserialize;
use uuid::Uuid;

/// People read per statement while exporting.
pub const CHUNK: i64 = 1_000;

/// One person with access to the organization.
#[derive(Debug, Clone, QueryableByName)]
pub struct PersonRow {
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Lowercased name: the keyset cursor.
    #[diesel(sql_type = Text)]
    pub sort_name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    /// Their organization role; `None` for project-only access.
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<String>,
    /// When they became a member, or got their first project access.
    #[diesel(sql_type = Timestamptz)]
    pub joined_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_active_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool)]
    pub two_factor: bool,
    /// `[{"project": name, "role": role}]`, by project name.
    #[diesel(sql_type = Jsonb)]
    projects: serde_json::Value,
}

/// A project a project-only member can reach, and their role in it.
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectAccess {
    pub project: String,
    pub role: String,
}

impl PersonRow {
    pub fn projects(&self) -> Vec<ProjectAccess> {
        serde_json::from_value(self.projects.clone()).unwrap_or_default()
    }
}

const PEOPLE: &str = "WITH people AS ( \
        SELECT user_id FROM memberships WHERE org_id = $1 \
        UNION \
        SELECT user_id FROM project_members WHERE org_id = $1) \
    SELECT u.id AS user_id, u.name, lower(u.name) AS sort_name, u.email, m.role, \
           coalesce(m.created_at, pj.since) AS joined_at, u.last_active_at, \
           EXISTS (SELECT 1 FROM two_factor_secrets t \
                   WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS two_factor, \
           coalesce(pj.projects, '[]') AS projects \
    FROM people p \
    JOIN users u ON u.id = p.user_id \
    LEFT JOIN memberships m ON m.org_id = $1 AND m.user_id = p.user_id \
    LEFT JOIN LATERAL ( \
        SELECT jsonb_agg(jsonb_build_object('project', pr.name, 'role', pm.role) \
                         ORDER BY pr.name) AS projects, \
               min(pm.created_at) AS since \
        FROM project_members pm JOIN projects pr ON pr.id = pm.project_id \
        WHERE pm.org_id = $1 AND pm.user_id = p.user_id) pj ON true \
    WHERE (lower(u.name), u.id) > ($2, $3) \
    ORDER BY lower(u.name), u.id \
    LIMIT $4";

/// Up to [`CHUNK`] people after the cursor (lowercased name, user id), by name; the
/// first chunk starts from `None`.
pub fn chunk(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<(String, Uuid)>,
) -> QueryResult<Vec<PersonRow>> {
    let (name, id) = after.unwrap_or((String::new(), Uuid::nil()));
    diesel::sql_query(PEOPLE)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Text, _>(name)
        .bind::<SqlUuid, _>(id)
        .bind::<BigInt, _>(CHUNK)
        .load(conn)
}

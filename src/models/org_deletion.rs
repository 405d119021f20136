//! The deleted state of organizations: marking and clearing it, the deleter's list of
//! restorable organizations, and the purge after the window.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::organizations::Organization;
use crate::domain::org_deletion::{Deletion, RESTORE_DAYS};
use crate::schema::{memberships, organizations, project_members, users};

/// A deleted organization its deleter can still restore, as lists show it.
#[derive(Debug, Clone, Queryable)]
pub struct Restorable {
    pub name: String,
    pub slug: String,
    pub deleted_at: DateTime<Utc>,
}

impl Restorable {
    pub fn restore_until(&self) -> DateTime<Utc> {
        self.deleted_at + chrono::Duration::days(RESTORE_DAYS)
    }
}

/// Marks the organization deleted by `by`; returns the time of the deletion, which the
/// database stamps with its own clock (a trigger: no statement can backdate one). Call
/// under the organization lock.
pub fn mark_deleted(conn: &mut PgConnection, org_id: Uuid, by: Uuid) -> QueryResult<DateTime<Utc>> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::deleted_at.eq(Utc::now()),
            organizations::deleted_by.eq(by),
        ))
        .returning(organizations::deleted_at.assume_not_null())
        .get_result(conn)
}

/// Clears the deleted state; nothing else of the row changes (not even `updated_at`),
/// so a restored organization is the one that was deleted.
pub fn mark_restored(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<()> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::deleted_at.eq(None::<DateTime<Utc>>),
            organizations::deleted_by.eq(None::<Uuid>),
        ))
        .execute(conn)
        .map(drop)
}

/// The deleted organization with this slug and its deletion; `lock` takes its row lock
/// (the organization lock, which `Organization::lock` takes for live organizations
/// only) for the rest of the transaction.
pub fn find_deleted(
    conn: &mut PgConnection,
    slug: &str,
    lock: bool,
) -> QueryResult<Option<(Organization, Deletion)>> {
    let query = organizations::table
        .filter(organizations::slug.eq(slug))
        .filter(organizations::deleted_at.is_not_null())
        .select((
            Organization::as_select(),
            organizations::deleted_at.assume_not_null(),
            organizations::deleted_by,
        ));
    let row: Option<(Organization, DateTime<Utc>, Option<Uuid>)> = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    Ok(row.map(|(org, deleted_at, deleted_by)| {
        (
            org,
            Deletion {
                deleted_at,
                deleted_by,
            },
        )
    }))
}

/// The organizations `user_id` deleted and may still restore at `now`, newest first.
pub fn restorable_by(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Restorable>> {
    organizations::table
        .filter(organizations::deleted_by.eq(user_id))
        .filter(organizations::deleted_at.gt(now - chrono::Duration::days(RESTORE_DAYS)))
        .select((
            organizations::name,
            organizations::slug,
            organizations::deleted_at.assume_not_null(),
        ))
        .order(organizations::deleted_at.desc())
        .load(conn)
}

/// Everyone with access to the organization (members and project-only members): id,
/// name and email address.
pub fn people(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<(Uuid, String, String)>> {
    let members: Vec<(Uuid, String, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id))
        .select((users::id, users::name, users::email))
        .load(conn)?;
    let project_only: Vec<(Uuid, String, String)> = project_members::table
        .inner_join(users::table)
        .filter(project_members::org_id.eq(org_id))
        .select((users::id, users::name, users::email))
        .load(conn)?;
    Ok(members.into_iter().chain(project_only).collect())
}

/// Deleted organizations whose restore window is over (by the database's clock, as
/// `purge_organization` decides), oldest first.
pub fn purgeable(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Uuid>> {
    let over = format!("organizations.deleted_at < now() - interval '{RESTORE_DAYS} days'");
    organizations::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&over))
        .select(organizations::id)
        .order(organizations::deleted_at)
        .limit(limit)
        .load(conn)
}

#[derive(QueryableByName)]
struct Purged {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    purged: bool,
}

/// Drops every row of the organization through `purge_organization` (the one path the
/// append-only triggers let delete activity and ledger entries), in its own transaction
/// without the usual 5 s statement limit: a large log takes longer. False when the
/// organization is not past its window (nothing deleted).
pub fn purge(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<bool> {
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL statement_timeout = '15min'").execute(conn)?;
        diesel::sql_query("SELECT purge_organization($1) AS purged")
            .bind::<diesel::sql_types::Uuid, _>(org_id)
            .get_result::<Purged>(conn)
            .map(|row| row.purged)
    })
}

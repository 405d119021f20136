use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::access_health::KeptBadge;
use super::cached_sql;
use super::organizations::{CountChange, Organization};
use super::users::User;
use crate::domain::{Access, ProjectRole, Role};
use crate::schema::{memberships, organizations, project_members, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An organization the user belongs to, for the header's switcher.
#[derive(Debug, Clone, Queryable, serde::Deserialize)]
pub struct OrgLink {
    pub name: String,
    pub slug: String,
}

/// What [`Membership::load_member`] finds.
pub struct LoadedMember {
    pub user: User,
    pub org: Organization,
    pub membership: Membership,
    pub orgs: Vec<OrgLink>,
    /// The organization's credit balance in micro-credits, for the low-credits warning.
    pub balance_micro: Option<i64>,
    /// The sidebar's "Access health" badge as kept, however old.
    pub health_badge: Option<KeptBadge>,
}

impl Membership {
    pub fn create(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> QueryResult<Membership> {
        let membership = diesel::insert_into(memberships::table)
            .values((
                memberships::id.eq(Uuid::now_v7()),
                memberships::org_id.eq(org_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role),
            ))
            .returning(Membership::as_returning())
            .get_result(conn)?;
        Organization::count(
            conn,
            org_id,
            CountChange {
                to: Some(role),
                ..Default::default()
            },
        )?;
        Ok(membership)
    }

    /// The user, the organization with this slug, the user's membership in it, and the
    /// user's organizations for the switcher, in one query; `None` when the user is not a
    /// member (or the organization does not exist).
    pub fn load_member(
        conn: &mut PgConnection,
        user_id: Uuid,
        slug: &str,
    ) -> QueryResult<Option<LoadedMember>> {
        let row = memberships::table
            .inner_join(users::table)
            .inner_join(organizations::table)
            .filter(memberships::user_id.eq(user_id))
            .filter(organizations::slug.eq(slug))
            .filter(organizations::deleted_at.is_null())
            .select((
                User::as_select(),
                Organization::as_select(),
                Membership::as_select(),
                switcher(),
                balance(),
                kept_badge_count(),
                kept_badge_time(),
            ))
            .first::<(
                User,
                Organization,
                Membership,
                serde_json::Value,
                Option<i64>,
                Option<i32>,
                Option<DateTime<Utc>>,
            )>(conn)
            .optional()?;
        row.map(
            |(user, org, membership, orgs, balance_micro, count, time)| {
                Ok(LoadedMember {
                    user,
                    org,
                    membership,
                    orgs: org_links(orgs)?,
                    balance_micro,
                    health_badge: count.zip(time).map(|(open_checks, computed_at)| KeptBadge {
                        open_checks,
                        computed_at,
                    }),
                })
            },
        )
        .transpose()
    }

    /// The organizations the user belongs to, as a member or with project-only access.
    pub fn orgs_of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<OrgLink>> {
        let member_of = memberships::table
            .filter(memberships::user_id.eq(user_id))
            .select(memberships::org_id);
        let project_of = project_members::table
            .filter(project_members::user_id.eq(user_id))
            .select(project_members::org_id);
        organizations::table
            .filter(
                organizations::id
                    .eq_any(member_of)
                    .or(organizations::id.eq_any(project_of)),
            )
            .filter(organizations::deleted_at.is_null())
            .select((organizations::name, organizations::slug))
            .order((organizations::name, organizations::slug))
            .load(conn)
    }
}

impl Membership {
    /// The membership of `user_id` in the organization, if any.
    pub fn find(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
    ) -> QueryResult<Option<Membership>> {
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .select(Membership::as_select())
            .first(conn)
            .optional()
    }

    /// The name and email address of every administrator of `org_id`.
    pub fn administrators(
        conn: &mut PgConnection,
        org_id: Uuid,
    ) -> QueryResult<Vec<(String, String)>> {
        use crate::schema::users;
        memberships::table
            .inner_join(users::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::role.eq(Role::Administrator))
            .select((users::name, users::email))
            .load(conn)
    }

    /// Call under the organization lock when the answer guards a change (R10).
    pub fn count_admins(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<i64> {
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::role.eq(Role::Administrator))
            .count()
            .get_result(conn)
    }

    /// Changes the role of a member whose role is `from` (read under the organization
    /// lock, which the caller holds) and keeps the organization's counts.
    pub fn set_role(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
        from: Role,
        role: Role,
    ) -> QueryResult<()> {
        let changed = diesel::update(memberships::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::role.eq(from))
            .set(memberships::role.eq(role))
            .execute(conn)?;
        if changed == 1 && from != role {
            let change = CountChange {
                from: Some(from),
                to: Some(role),
                ..Default::default()
            };
            Organization::count(conn, org_id, change)?;
        }
        Ok(())
    }

    /// Call under the organization lock; keeps the organization's counts.
    pub fn delete(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> QueryResult<()> {
        let gone: Option<Role> = diesel::delete(memberships::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .returning(memberships::role)
            .get_result(conn)
            .optional()?;
        if let Some(role) = gone {
            let change = CountChange {
                from: Some(role),
                ..Default::default()
            };
            Organization::count(conn, org_id, change)?;
        }
        Ok(())
    }
}

/// The organizations of the user of the row, for the header's switcher, as a JSON array
/// of `{name, slug}`: it rides along in the query that loads the user, so every page
/// saves a statement. Only for queries that have `users` in their FROM clause.
pub fn switcher() -> cached_sql::Literal<diesel::sql_types::Jsonb> {
    cached_sql::literal(
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('name', o.name, 'slug', o.slug) \
         ORDER BY o.name, o.slug), '[]'::jsonb) FROM organizations o WHERE o.deleted_at IS NULL \
         AND o.id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = users.id \
          UNION SELECT p.org_id FROM project_members p WHERE p.user_id = users.id))",
    )
}

/// The organization's credit balance, riding along like [`switcher`]. Only for queries
/// that have `organizations` in their FROM clause.
fn balance() -> cached_sql::Literal<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    cached_sql::literal(
        "(SELECT b.balance_micro FROM billing_accounts b WHERE b.org_id = organizations.id)",
    )
}

/// The kept "Access health" badge of the organization, riding along like [`balance`]
/// (a primary-key probe each).
fn kept_badge_count() -> cached_sql::Literal<diesel::sql_types::Nullable<diesel::sql_types::Integer>>
{
    cached_sql::literal(
        "(SELECT h.open_checks FROM access_health_badges h WHERE h.org_id = organizations.id)",
    )
}

fn kept_badge_time()
-> cached_sql::Literal<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>> {
    cached_sql::literal(
        "(SELECT h.computed_at FROM access_health_badges h WHERE h.org_id = organizations.id)",
    )
}

pub fn org_links(json: serde_json::Value) -> QueryResult<Vec<OrgLink>> {
    serde_json::from_value(json)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// How `user_id` reaches the organization now, and their project for project-only
/// access. The row is locked (`FOR SHARE`) until the transaction ends, so a concurrent
/// demotion or removal of this person either commits first and is seen here, or waits
/// for the caller's change to commit (R39).
pub fn current_access(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<(Access, Option<Uuid>)>> {
    let role = memberships::table
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::user_id.eq(user_id))
        .select(memberships::role)
        .for_share()
        .first::<Role>(conn)
        .optional()?;
    if let Some(role) = role {
        return Ok(Some((Access::Org(role), None)));
    }
    let project = project_members::table
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .select((project_members::role, project_members::project_id))
        .for_share()
        .first::<(ProjectRole, Uuid)>(conn)
        .optional()?;
    Ok(project.map(|(role, project_id)| (Access::Project(role), Some(project_id))))
}

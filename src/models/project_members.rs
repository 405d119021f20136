use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::memberships::{OrgLink, org_links, switcher};
use super::organizations::{CountChange, Organization};
use super::users::User;
use crate::domain::ProjectRole;
use crate::schema::{organizations, project_members, projects, users};

/// A person with project-only access, as lists show them.
#[derive(Debug, Clone, Queryable)]
pub struct ProjectMemberRow {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: ProjectRole,
    pub project_id: Uuid,
    pub project_name: String,
    pub created_at: DateTime<Utc>,
    /// "Access until": the last day the access works (UTC); none for no end date.
    pub access_until: Option<NaiveDate>,
}

/// What [`load_access`] finds.
pub struct LoadedAccess {
    pub user: User,
    pub org: Organization,
    pub role: ProjectRole,
    pub project_id: Uuid,
    pub orgs: Vec<OrgLink>,
}

/// The user, the organization with this slug, and the user's project-only access in it
/// (role and project); `None` when the user has none (live projects only).
pub fn load_access(
    conn: &mut PgConnection,
    user_id: Uuid,
    slug: &str,
) -> QueryResult<Option<LoadedAccess>> {
    let row = project_members::table
        .inner_join(users::table)
        .inner_join(projects::table.inner_join(organizations::table))
        .filter(project_members::user_id.eq(user_id))
        .filter(organizations::slug.eq(slug))
        .filter(organizations::deleted_at.is_null())
        .filter(projects::archived_at.is_null())
        .select((
            User::as_select(),
            Organization::as_select(),
            project_members::role,
            project_members::project_id,
            switcher(),
        ))
        .first::<(User, Organization, ProjectRole, Uuid, serde_json::Value)>(conn)
        .optional()?;
    row.map(|(user, org, role, project_id, orgs)| {
        Ok(LoadedAccess {
            user,
            org,
            role,
            project_id,
            orgs: org_links(orgs)?,
        })
    })
    .transpose()
}

/// The project-only members of the organization, or of one of its projects.
pub fn list(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
) -> QueryResult<Vec<ProjectMemberRow>> {
    let mut query = project_members::table
        .inner_join(users::table)
        .inner_join(projects::table)
        .filter(project_members::org_id.eq(org_id))
        .select((
            users::id,
            users::name,
            users::email,
            project_members::role,
            projects::id,
            projects::name,
            project_members::created_at,
            project_members::access_until,
        ))
        .order((projects::name, users::name))
        .into_boxed();
    if let Some(project_id) = project {
        query = query.filter(project_members::project_id.eq(project_id));
    }
    query.load(conn)
}

/// One person's project-only access in the organization.
pub fn find(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<ProjectMemberRow>> {
    project_members::table
        .inner_join(users::table)
        .inner_join(projects::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .select((
            users::id,
            users::name,
            users::email,
            project_members::role,
            projects::id,
            projects::name,
            project_members::created_at,
            project_members::access_until,
        ))
        .first(conn)
        .optional()
}

/// Call under the organization lock; keeps the organization's counts.
pub fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
    access_until: Option<NaiveDate>,
) -> QueryResult<()> {
    diesel::insert_into(project_members::table)
        .values((
            project_members::id.eq(Uuid::now_v7()),
            project_members::org_id.eq(org_id),
            project_members::project_id.eq(project_id),
            project_members::user_id.eq(user_id),
            project_members::role.eq(role),
            project_members::access_until.eq(access_until),
        ))
        .execute(conn)?;
    let change = CountChange {
        project_only_members: 1,
        ..Default::default()
    };
    Organization::count(conn, org_id, change)
}

pub fn set_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> QueryResult<()> {
    diesel::update(project_members::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .set(project_members::role.eq(role))
        .execute(conn)
        .map(drop)
}

/// Call under the organization lock; keeps the organization's counts.
pub fn delete(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> QueryResult<()> {
    let gone = diesel::delete(project_members::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .execute(conn)?;
    let change = CountChange {
        project_only_members: -i32::try_from(gone).unwrap_or(i32::MAX),
        ..Default::default()
    };
    Organization::count(conn, org_id, change)
}

/// Sets "Access until" (none: no end date). A new date earns new reminders.
pub fn set_access_until(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    until: Option<NaiveDate>,
) -> QueryResult<()> {
    diesel::update(project_members::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .set((
            project_members::access_until.eq(until),
            project_members::week_notice_at.eq(None::<DateTime<Utc>>),
            project_members::day_notice_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .map(drop)
}

/// A project-only access the maintenance job acts on, locked by it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Ending {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub org_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub role: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub project_name: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub access_until: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub org_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub slug: String,
}

const ENDING: &str = "SELECT pm.org_id, pm.user_id, u.name, u.email, pm.role, p.name AS project_name, \
     pm.access_until, pm.project_id, o.name AS org_name, o.slug FROM project_members pm JOIN users u ON u.id = pm.user_id \
     JOIN projects p ON p.id = pm.project_id JOIN organizations o ON o.id = pm.org_id \
     WHERE o.deleted_at IS NULL AND pm.access_until IS NOT NULL";

/// Which reminder: a week before the end, or the day before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    Week,
    Day,
}

impl Reminder {
    /// How many days before the access ends the reminder goes out.
    pub fn days(self) -> i64 {
        match self {
            Reminder::Week => 7,
            Reminder::Day => 1,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Reminder::Week => "week_notice_at",
            Reminder::Day => "day_notice_at",
        }
    }
}

/// Accesses due for `reminder` that have not had it, locked (SKIP LOCKED, as above).
pub fn lock_due(
    conn: &mut PgConnection,
    reminder: Reminder,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Ending>> {
    let column = reminder.column();
    diesel::sql_query(format!(
        "{ENDING} AND pm.{column} IS NULL AND pm.access_until >= $1 \
         AND pm.access_until <= $1 + $2::int ORDER BY pm.access_until \
         LIMIT $3 FOR UPDATE OF pm SKIP LOCKED"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    // Due from the day that is `days` before the end, the end being the start of the
    // day after the last one.
    .bind::<diesel::sql_types::Integer, _>(reminder.days() as i32 - 1)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

/// Records that `reminder` went out.
pub fn mark_reminded(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    reminder: Reminder,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let target = project_members::table
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id));
    match reminder {
        Reminder::Week => diesel::update(target)
            .set(project_members::week_notice_at.eq(now))
            .execute(conn),
        Reminder::Day => diesel::update(target)
            .set((
                project_members::day_notice_at.eq(now),
                // The day's reminder says all the week's would: neither is due again.
                project_members::week_notice_at.eq(now),
            ))
            .execute(conn),
    }
    .map(drop)
}

/// The organization's administrators as (name, email): who hears about ending access.
pub fn administrators(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<(String, String)>> {
    use crate::schema::memberships;
    memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::role.eq(crate::domain::Role::Administrator))
        .select((users::name, users::email))
        .load(conn)
}

/// Accesses whose last day is before `today`, unlocked: candidates that the job then
/// takes one by one under their organization's lock.
pub fn ended(conn: &mut PgConnection, today: NaiveDate, limit: i64) -> QueryResult<Vec<Ending>> {
    diesel::sql_query(format!(
        "{ENDING} AND pm.access_until < $1 ORDER BY pm.access_until LIMIT $2"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

/// One ended access, locked; `None` when another instance holds it (it is ending it)
/// or it is gone or no longer ended.
pub fn lock_one_ended(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    today: NaiveDate,
) -> QueryResult<Option<Ending>> {
    diesel::sql_query(format!(
        "{ENDING} AND pm.org_id = $1 AND pm.user_id = $2 AND pm.access_until < $3 \
         FOR UPDATE OF pm SKIP LOCKED"
    ))
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .bind::<diesel::sql_types::Date, _>(today)
    .get_result(conn)
    .optional()
}

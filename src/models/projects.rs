use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::ProjectName;
use crate::schema::projects;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Project {
    /// Fails with a unique violation when a live project already has this name.
    pub fn create(
        conn: &mut PgConnection,
        org_id: Uuid,
        name: &ProjectName,
        created_by: Uuid,
    ) -> QueryResult<Project> {
        diesel::insert_into(projects::table)
            .values((
                projects::id.eq(Uuid::now_v7()),
                projects::org_id.eq(org_id),
                projects::name.eq(name.as_str()),
                projects::created_by.eq(created_by),
            ))
            .returning(Project::as_returning())
            .get_result(conn)
    }

    /// The organization's project with this id, archived or not.
    pub fn find(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<Project>> {
        projects::table
            .filter(projects::org_id.eq(org_id))
            .filter(projects::id.eq(id))
            .select(Project::as_select())
            .first(conn)
            .optional()
    }

    /// Live projects by name; `only` narrows to one (a project-only member's).
    pub fn list(
        conn: &mut PgConnection,
        org_id: Uuid,
        only: Option<Uuid>,
    ) -> QueryResult<Vec<Project>> {
        let mut query = projects::table
            .filter(projects::org_id.eq(org_id))
            .filter(projects::archived_at.is_null())
            .select(Project::as_select())
            .order(projects::name)
            .into_boxed();
        if let Some(id) = only {
            query = query.filter(projects::id.eq(id));
        }
        query.load(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: Uuid, name: &ProjectName) -> QueryResult<()> {
        diesel::update(projects::table.find(id))
            .set(projects::name.eq(name.as_str()))
            .execute(conn)
            .map(drop)
    }

    /// Archived projects leave the lists and their keys stop working.
    pub fn archive(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
        diesel::update(
            projects::table
                .find(id)
                .filter(projects::archived_at.is_null()),
        )
        .set(projects::archived_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
    }
}

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use serde_json::json;

use super::activity::{self, Action, Actor, Entry, Target};
use super::memberships::Membership;
use crate::domain::{OrgName, Role, Slug};
use crate::schema::organizations;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Path segments under `/orgs/` that are routes, not organizations.
const RESERVED_SLUGS: &[&str] = &["new"];

impl Organization {
    /// Inserts the organization under the first free slug derived from its name
    /// (`acme`, `acme-2`, `acme-3`, ...). A concurrent insert of the same slug is
    /// resolved by the unique index and the next suffix.
    pub fn create(conn: &mut PgConnection, name: &OrgName) -> QueryResult<Organization> {
        let base = Slug::from_name(name);
        for n in 1..=1000 {
            let slug = if n == 1 {
                base.clone()
            } else {
                base.with_suffix(n)
            };
            if RESERVED_SLUGS.contains(&slug.as_str()) {
                continue;
            }
            let inserted = diesel::insert_into(organizations::table)
                .values((
                    organizations::id.eq(Uuid::now_v7()),
                    organizations::name.eq(name.as_str()),
                    organizations::slug.eq(slug.as_str()),
                ))
                .on_conflict(organizations::slug)
                .do_nothing()
                .returning(Organization::as_returning())
                .get_result(conn)
                .optional()?;
            if let Some(org) = inserted {
                return Ok(org);
            }
        }
        Err(diesel::result::Error::RollbackTransaction)
    }

    /// A new organization with `founder` as its first Administrator, its billing account,
    /// and the activity entry that says so. Call it inside a transaction.
    pub fn found(
        conn: &mut PgConnection,
        name: &OrgName,
        founder: &Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> QueryResult<Organization> {
        let org = Organization::create(conn, name)?;
        Membership::create(conn, org.id, founder.user_id, Role::Administrator)?;
        super::billing::open(conn, org.id, now)?;
        activity::record(
            conn,
            org.id,
            founder,
            Entry {
                action: Action::OrganizationCreated,
                target: Target::organization(org.id, &org.name),
                before: None,
                after: Some(json!({ "name": org.name, "slug": org.slug })),
            },
        )?;
        Ok(org)
    }

    /// Locks the organization row for the rest of the transaction. Every transaction
    /// that changes memberships or invitations takes this lock first, so their
    /// invariant checks (last administrator, seats) cannot race (R10).
    pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Organization> {
        organizations::table
            .find(id)
            .select(Organization::as_select())
            .for_update()
            .first(conn)
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Organization> {
        organizations::table
            .find(id)
            .select(Organization::as_select())
            .first(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: Uuid, name: &OrgName) -> QueryResult<()> {
        diesel::update(organizations::table.find(id))
            .set((
                organizations::name.eq(name.as_str()),
                organizations::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .map(drop)
    }
}

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

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
    /// How long activity entries keep IP addresses and user agents (0: never stored).
    pub keep_personal_days: i32,
    /// Members without two-factor sign-in reach only the page asking them to set it up.
    pub require_two_factor: bool,
    /// Members with an address in a verified domain must come through the IdP.
    pub require_sso: bool,
    #[diesel(embed)]
    pub counts: MemberCounts,
}

/// How many people the organization has, kept on its row by every change of
/// memberships, project-only access and pending invitations (under the organization
/// lock), so that pages read them with the organization instead of counting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct MemberCounts {
    pub administrators: i32,
    pub developers: i32,
    pub billing_managers: i32,
    pub viewers: i32,
    pub pending_invitations: i32,
    pub project_only_members: i32,
}

impl MemberCounts {
    pub fn of(&self, role: Role) -> i64 {
        i64::from(match role {
            Role::Administrator => self.administrators,
            Role::Developer => self.developers,
            Role::BillingManager => self.billing_managers,
            Role::Viewer => self.viewers,
        })
    }

    /// Organization members (project-only access not included).
    pub fn total(&self) -> i64 {
        Role::ALL.iter().map(|role| self.of(*role)).sum()
    }
}

/// A change to [`MemberCounts`]: a membership that appears (`to`), goes (`from`) or
/// changes role (both), and pending invitations or project-only members gained or lost.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountChange {
    pub from: Option<Role>,
    pub to: Option<Role>,
    pub pending_invitations: i32,
    pub project_only_members: i32,
}

impl CountChange {
    fn role_delta(&self, role: Role) -> i32 {
        i32::from(self.to == Some(role)) - i32::from(self.from == Some(role))
    }
}

/// Path segments under `/orgs/` that are routes, not organizations.
const RESERVED_SLUGS: &[&str] = &["new"];

const NUMBERED_TRIES: u32 = 3;
/// 36^6 tags: ten collisions in a row do not happen by chance.
const RANDOM_TRIES: u32 = 10;

/// Six lowercase letters or digits.
fn random_tag() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    rand::fill(&mut bytes[..]);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

impl Organization {
    /// Inserts the organization under the first free slug derived from its name:
    /// `acme`, `acme-2`, `acme-3`, then `acme-` and a random tag. Random after three
    /// tries because anyone can take the numbered slugs ahead of a victim's name (1,000
    /// inserts per creation before, then a failure). A concurrent insert of the same slug
    /// is resolved by the unique index and the next candidate.
    pub fn create(conn: &mut PgConnection, name: &OrgName) -> QueryResult<Organization> {
        let base = Slug::from_name(name);
        let numbered = (1..=NUMBERED_TRIES).map(|n| {
            if n == 1 {
                base.clone()
            } else {
                base.with_suffix(n)
            }
        });
        let tagged = (0..RANDOM_TRIES).map(|_| base.with_tag(&random_tag()));
        for slug in numbered.chain(tagged) {
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

    /// Locks the organization row for the rest of the transaction. Every transaction
    /// that changes memberships or invitations takes this lock first, so their
    /// invariant checks (last administrator, seats) cannot race (R10). A deleted
    /// organization is not found: a change that queued behind its deletion fails
    /// instead of writing into it.
    pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Organization> {
        organizations::table
            .find(id)
            .filter(organizations::deleted_at.is_null())
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

    /// Applies `change` to the kept counts. Call under the organization lock, in the
    /// transaction of the change it counts.
    pub fn count(conn: &mut PgConnection, id: Uuid, change: CountChange) -> QueryResult<()> {
        use organizations::dsl as o;
        diesel::update(organizations::table.find(id))
            .set((
                o::administrators.eq(o::administrators + change.role_delta(Role::Administrator)),
                o::developers.eq(o::developers + change.role_delta(Role::Developer)),
                o::billing_managers
                    .eq(o::billing_managers + change.role_delta(Role::BillingManager)),
                o::viewers.eq(o::viewers + change.role_delta(Role::Viewer)),
                o::pending_invitations.eq(o::pending_invitations + change.pending_invitations),
                o::project_only_members.eq(o::project_only_members + change.project_only_members),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn set_keep_personal_days(conn: &mut PgConnection, id: Uuid, days: i32) -> QueryResult<()> {
        diesel::update(organizations::table.find(id))
            .set((
                organizations::keep_personal_days.eq(days),
                organizations::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Counts everything again from the rows: for bulk writers that bypass the
    /// operations (the demo seed, test fixtures).
    pub fn recount(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
        diesel::sql_query(RECOUNT)
            .bind::<diesel::sql_types::Uuid, _>(id)
            .execute(conn)
            .map(drop)
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

const RECOUNT: &str = "UPDATE organizations o SET \
    administrators = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'administrator'), \
    developers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'developer'), \
    billing_managers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'billing_manager'), \
    viewers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'viewer'), \
    pending_invitations = (SELECT count(*) FROM invitations i WHERE i.org_id = o.id AND i.status = 'pending'), \
    project_only_members = (SELECT count(*) FROM project_members p WHERE p.org_id = o.id) \
    WHERE o.id = $1";

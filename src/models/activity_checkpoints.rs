//! Signed checkpoints of the activity chains.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::activity_checkpoints;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activity_checkpoints)]
pub struct Checkpoint {
    pub id: Uuid,
    pub org_id: Uuid,
    pub seq: i64,
    pub hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

pub fn insert(conn: &mut PgConnection, checkpoint: &Checkpoint) -> QueryResult<()> {
    diesel::insert_into(activity_checkpoints::table)
        .values(checkpoint)
        .execute(conn)
        .map(drop)
}

/// The seq of the newest checkpoint of `org_id`.
pub fn latest_seq(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<i64>> {
    activity_checkpoints::table
        .filter(activity_checkpoints::org_id.eq(org_id))
        .select(diesel::dsl::max(activity_checkpoints::seq))
        .first(conn)
}

/// Every checkpoint of `org_id`, oldest first.
pub fn of_org(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<Checkpoint>> {
    activity_checkpoints::table
        .filter(activity_checkpoints::org_id.eq(org_id))
        .order((
            activity_checkpoints::seq.asc(),
            activity_checkpoints::created_at.asc(),
        ))
        .select(Checkpoint::as_select())
        .load(conn)
}

/// The public key of the newest checkpoint of `org_id`.
pub fn latest_public_key(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<Vec<u8>>> {
    activity_checkpoints::table
        .filter(activity_checkpoints::org_id.eq(org_id))
        .order(activity_checkpoints::created_at.desc())
        .select(activity_checkpoints::public_key)
        .first(conn)
        .optional()
}

/// The hash of entry `seq` of `org_id`, if there is one.
pub fn entry_hash(conn: &mut PgConnection, org_id: Uuid, seq: i64) -> QueryResult<Option<Vec<u8>>> {
    use crate::schema::activity;
    activity::table
        .filter(activity::org_id.eq(org_id).and(activity::seq.eq(seq)))
        .select(activity::hash)
        .first(conn)
        .optional()
}

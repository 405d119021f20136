//! Reading the activity hash chain back and checking it, from the start or from a
//! verified point.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::audit_chain::{self, Break, ChainEntry, GENESIS};
use crate::schema::{activity, activity_chains, activity_verifications};

/// Entries read per query: large enough that round trips do not dominate, small enough
/// that a million-entry log never sits in memory at once.
const BATCH: i64 = 5_000;

#[derive(Queryable, Selectable)]
#[diesel(table_name = activity)]
struct ChainRow {
    org_id: Uuid,
    seq: i64,
    id: Uuid,
    created_at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_name: String,
    action: String,
    target_type: String,
    target_id: Option<Uuid>,
    target_label: String,
    before: Option<Value>,
    after: Option<Value>,
    ip: Option<String>,
    user_agent: Option<String>,
    personal_digests: Value,
    personal_salts: Value,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl From<ChainRow> for ChainEntry {
    fn from(r: ChainRow) -> Self {
        ChainEntry {
            org_id: r.org_id,
            seq: r.seq,
            id: r.id,
            created_at: r.created_at,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            target_label: r.target_label,
            before: r.before,
            after: r.after,
            ip: r.ip,
            user_agent: r.user_agent,
            personal_digests: r.personal_digests,
            personal_salts: r.personal_salts,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A point of a chain: an entry's seq and hash (seq 0 and `GENESIS` before the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl ChainPoint {
    pub fn genesis() -> Self {
        ChainPoint {
            seq: 0,
            hash: GENESIS.to_vec(),
        }
    }
}

/// What checking a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every entry up to this point links and matches its hash.
    Intact(ChainPoint),
    Broken(Break),
}

/// The head of an organization's chain as the database records it.
pub fn head(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<ChainPoint> {
    let head = activity_chains::table
        .find(org_id)
        .select((activity_chains::seq, activity_chains::hash))
        .first::<(i64, Vec<u8>)>(conn)
        .optional()?;
    Ok(head.map_or_else(ChainPoint::genesis, |(seq, hash)| ChainPoint { seq, hash }))
}

/// Checks the entries of `org_id` after `from` (a point verified before, or genesis) up
/// to the head, and that the last entry is the head. Reading the head first means a
/// writer committing meanwhile adds entries after it, which this pass leaves alone.
///
/// A second thread checks each batch while this one reads the next from the database,
/// so that the database's work and the hashing overlap; at most two batches wait.
pub fn verify(
    conn: &mut PgConnection,
    org_id: Uuid,
    from: ChainPoint,
) -> QueryResult<Verification> {
    let head = head(conn, org_id)?;
    let (batches, to_check) = std::sync::mpsc::sync_channel::<Vec<ChainRow>>(2);
    let start = from.clone();
    let checker = std::thread::spawn(move || -> Result<ChainPoint, Break> {
        let mut at = start;
        let mut buffer = Vec::with_capacity(1024);
        for rows in to_check {
            for row in rows {
                let entry = ChainEntry::from(row);
                audit_chain::check_with(&entry, at.seq, &at.hash, &mut buffer)?;
                at = ChainPoint {
                    seq: entry.seq,
                    hash: entry.hash,
                };
            }
        }
        Ok(at)
    });
    let mut read_up_to = from.seq;
    let mut failed = None;
    while read_up_to < head.seq {
        let rows = activity::table
            .filter(activity::org_id.eq(org_id))
            .filter(activity::seq.gt(read_up_to))
            .filter(activity::seq.le(head.seq))
            .order(activity::seq.asc())
            .limit(BATCH)
            .select(ChainRow::as_select())
            .load(conn);
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let Some(last) = rows.last() else { break };
        read_up_to = last.seq;
        // A closed channel: the checker stopped at a break.
        if batches.send(rows).is_err() {
            break;
        }
    }
    drop(batches);
    let checked = checker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if let Some(e) = failed {
        return Err(e);
    }
    let at = match checked {
        Ok(at) => at,
        Err(broken) => return Ok(Verification::Broken(broken)),
    };
    // Entries deleted from the end leave no gap: only the head can tell.
    if at != head {
        return Ok(Verification::Broken(Break {
            seq: at.seq + 1,
            reason: "the chain ends before its recorded head",
            expected: format!("#{} {}", head.seq, audit_chain::hex(&head.hash)),
            found: format!("#{} {}", at.seq, audit_chain::hex(&at.hash)),
        }));
    }
    Ok(Verification::Intact(at))
}

/// The organizations to verify (id and slug): all, or the one with `slug`.
pub fn organizations(
    conn: &mut PgConnection,
    slug: Option<&str>,
) -> QueryResult<Vec<(Uuid, String)>> {
    use crate::schema::organizations as o;
    let mut query = o::table
        .select((o::id, o::slug))
        .order(o::slug.asc())
        .into_boxed();
    if let Some(slug) = slug {
        query = query.filter(o::slug.eq(slug.to_owned()));
    }
    query.load(conn)
}

/// How far the maintenance job has verified an organization's chain.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_verifications)]
pub struct VerificationState {
    pub org_id: Uuid,
    pub seq: i64,
    pub hash: Vec<u8>,
    pub verified_at: DateTime<Utc>,
    pub broken_seq: Option<i64>,
    pub broken_reason: Option<String>,
    pub broken_at: Option<DateTime<Utc>>,
}

pub fn state(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<VerificationState>> {
    activity_verifications::table
        .find(org_id)
        .select(VerificationState::as_select())
        .first(conn)
        .optional()
}

/// The organizations that have a chain, with their verification state if any.
pub fn chains(conn: &mut PgConnection) -> QueryResult<Vec<(Uuid, Option<VerificationState>)>> {
    activity_chains::table
        .left_join(
            activity_verifications::table
                .on(activity_verifications::org_id.eq(activity_chains::org_id)),
        )
        .select((
            activity_chains::org_id,
            Option::<VerificationState>::as_select(),
        ))
        .order(activity_chains::org_id)
        .load(conn)
}

pub fn save_intact(
    conn: &mut PgConnection,
    org_id: Uuid,
    at: &ChainPoint,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use activity_verifications as v;
    diesel::insert_into(v::table)
        .values((
            v::org_id.eq(org_id),
            v::seq.eq(at.seq),
            v::hash.eq(&at.hash),
            v::verified_at.eq(now),
        ))
        .on_conflict(v::org_id)
        .do_update()
        .set((
            v::seq.eq(at.seq),
            v::hash.eq(&at.hash),
            v::verified_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Records the first break of a chain verified up to `verified` before it.
pub fn save_broken(
    conn: &mut PgConnection,
    org_id: Uuid,
    verified: &ChainPoint,
    broken: &Break,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use activity_verifications as v;
    let values = (
        v::seq.eq(verified.seq),
        v::hash.eq(&verified.hash),
        v::verified_at.eq(now),
        v::broken_seq.eq(broken.seq),
        v::broken_reason.eq(broken.reason),
        v::broken_at.eq(now),
    );
    diesel::insert_into(v::table)
        .values((v::org_id.eq(org_id), values))
        .on_conflict(v::org_id)
        .do_update()
        .set(values)
        .execute(conn)
        .map(drop)
}

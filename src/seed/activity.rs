//! The demo's activity log: how the organization came to be, then the everyday changes
//! that fill it to the requested size.
//!
//! The story, from the rows the other seeding steps wrote: the founder creates the
//! organization; the named people are invited and join; the Billing Manager picks the
//! plan and buys credits; the founder creates the projects and gives project-only
//! access; the Developer creates the keys; the generated members are invited and join;
//! former members join and are removed or leave; the pending invitations are sent.
//! Then the filler, in the second half: administrators change the roles of "quiet"
//! members (whose only entry of their own is accepting their invitation, before any
//! change, so that nothing they do depends on a role that changes under them), send
//! invitations they cancel later, and the Developer and the founder rotate keys. Each quiet member's changes alternate between their final
//! role and another one, ending on the final role, and they joined with the role the
//! first change starts from; each key's rotations chain from the prefix it was created
//! with to the prefix it has.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Interval, Text, Timestamptz, Uuid as SqlUuid};

use super::money::{PLAN_AT, purchases};
use super::people::former_members;
use super::{PENDING_INVITATIONS, PROJECTS, Timeline};
use crate::models::organizations::Organization;

/// How the `n` entries are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    /// Entries of the story, by whole units (an invitation and its acceptance are one),
    /// as many as fit.
    story: i64,
    role_changes: i64,
    /// Invitations sent and later cancelled: two entries each.
    cancelled_invitations: i64,
    rotations: i64,
}

/// The units of the story, in the order they are kept when `n` is too small for all:
/// (entries per unit, units). The SQL below deletes by the same order.
fn story_units(members: i32, days: i32) -> [(i64, i64); 10] {
    [
        (1, 1),                              // the organization is created
        (2, 3),                              // the named people join
        (1, 1),                              // the plan
        (1, PROJECTS.len() as i64),          // the projects
        (1, 2 * PROJECTS.len() as i64),      // their keys
        (1, 2),                              // project-only access
        (1, purchases(days).into()),         // credit purchases
        (1, PENDING_INVITATIONS.into()),     // the pending invitations
        (2, members.into()),                 // the generated members join
        (3, former_members(members).into()), // former members join and go
    ]
}

fn plan(n: i64, members: i32, days: i32) -> Plan {
    let mut story = 0;
    for (size, units) in story_units(members, days) {
        let fitting = ((n - story) / size).clamp(0, units);
        story += fitting * size;
        if fitting < units {
            // Cut short: what is left is filled with rotations, whose chain needs no
            // one else's story.
            return Plan {
                story,
                role_changes: 0,
                cancelled_invitations: 0,
                rotations: n - story,
            };
        }
    }
    let filler = n - story;
    let role_changes = filler * 2 / 5;
    let cancelled_invitations = filler / 10;
    Plan {
        story,
        role_changes,
        cancelled_invitations,
        rotations: filler - role_changes - 2 * cancelled_invitations,
    }
}

/// Writes exactly `n` entries (UUIDv7 ids from their times, in time order).
pub(super) fn story(
    conn: &mut PgConnection,
    org: &Organization,
    emails: &[String],
    time: &Timeline,
    n: i32,
) -> QueryResult<()> {
    if n == 0 {
        return Ok(());
    }
    let members =
        diesel::sql_query("SELECT count(*) AS n FROM users WHERE email LIKE 'member%@' || $1")
            .bind::<Text, _>(format!("{}.example", org.slug))
            .get_result::<super::Total>(conn)?
            .n;
    let days = ((time.now - time.start).num_days()) as i32;
    let plan = plan(n.into(), members as i32, days);
    conn.batch_execute(
        "CREATE TEMPORARY TABLE seed_log ( \
           at timestamptz NOT NULL, actor_id uuid, actor_name text NOT NULL, action text NOT NULL, \
           target_type text NOT NULL, target_id uuid, target_label text NOT NULL, \
           before jsonb, after jsonb, priority int NOT NULL, unit text NOT NULL) ON COMMIT DROP",
    )?;
    people(conn, org, emails, time, plan)?;
    founding(conn, org, emails, time, plan)?;
    // Units beyond `n`, by the order of `story_units`.
    diesel::sql_query(
        "DELETE FROM seed_log WHERE unit IN ( \
           SELECT unit FROM ( \
             SELECT unit, sum(count(*)) OVER (ORDER BY min(priority), unit) AS upto \
             FROM seed_log GROUP BY unit) u WHERE upto > $1)",
    )
    .bind::<BigInt, _>(plan.story)
    .execute(conn)?;
    filler(conn, org, emails, time, plan)?;
    // A table with statistics, so that the insert below is planned for its size.
    conn.batch_execute("ANALYZE seed_log")?;
    // Ids are UUIDv7 made from each entry's time, so that paging by id is paging by
    // time: the first 48 bits are the Unix time in milliseconds (`int8send` of the bigint
    // gives 8 big-endian bytes, the last 6 of which replace the start of a random v4
    // UUID), then bits 52 and 53 turn the version nibble from 4 (0100) into 7 (0111); the
    // variant bits and the 74 random bits of the v4 UUID stay. Each person acts from one
    // address of the documentation range. The rows are staged unchained (seq 0), then
    // chained below.
    conn.batch_execute(
        "CREATE TEMPORARY TABLE seed_rows (LIKE activity INCLUDING DEFAULTS) ON COMMIT DROP",
    )?;
    diesel::sql_query(
        "INSERT INTO seed_rows (id, org_id, actor_id, actor_name, action, target_type, target_id, \
                               target_label, before, after, ip, user_agent, created_at, seq, \
                               prev_hash, hash) \
         SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) \
                  PLACING substring(int8send(floor(extract(epoch FROM at) * 1000)::bigint) FROM 3) \
                  FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid, \
                $1, actor_id, actor_name, action, target_type, target_id, target_label, before, after, \
                '203.0.113.' || (1 + abs(hashtext(actor_id::text)) % 250), \
                'Mozilla/5.0 (teamwork seed-demo)', at, 0, '\\x', '\\x' \
         FROM seed_log",
    )
    .bind::<SqlUuid, _>(org.id)
    .execute(conn)?;
    chain_staged_rows(conn, org)
}

/// Appends `seed_rows` to the organization's chain in time order, hashed by the same
/// SQL function as the chain trigger. The trigger would chain them too, but it moves
/// the chain's head row once per entry, and in one transaction every move of the same
/// row walks all its earlier versions: a million entries would never finish. Here the
/// head is kept in variables and written once, with the trigger off for this
/// transaction only (the table stays locked until the commit, so no other writer can
/// slip in unchained; it needs the table's owner, as `seed-demo` runs in development).
fn chain_staged_rows(conn: &mut PgConnection, org: &Organization) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE FUNCTION pg_temp.seed_chain(org uuid) RETURNS void LANGUAGE plpgsql AS $$ \
         DECLARE head activity_chains%ROWTYPE; r activity; \
         BEGIN \
           INSERT INTO activity_chains (org_id) VALUES (org) ON CONFLICT DO NOTHING; \
           SELECT * INTO head FROM activity_chains WHERE org_id = org FOR UPDATE; \
           FOR r IN SELECT * FROM seed_rows ORDER BY created_at, id LOOP \
             r := activity_chain_entry(r, head.seq, head.hash); \
             INSERT INTO activity SELECT (r).*; \
             head.seq := r.seq; head.hash := r.hash; \
           END LOOP; \
           UPDATE activity_chains SET seq = head.seq, hash = head.hash WHERE org_id = org; \
         END $$; \
         ALTER TABLE activity DISABLE TRIGGER activity_chain",
    )?;
    diesel::sql_query("SELECT pg_temp.seed_chain($1)")
        .bind::<SqlUuid, _>(org.id)
        .execute(conn)?;
    conn.batch_execute(
        "ALTER TABLE activity ENABLE TRIGGER activity_chain; DROP FUNCTION pg_temp.seed_chain(uuid)",
    )
}

/// The quiet members and how many role changes each gets, then every membership's
/// invitation and acceptance (the founder's excepted), and the former members.
fn people(
    conn: &mut PgConnection,
    org: &Organization,
    emails: &[String],
    time: &Timeline,
    plan: Plan,
) -> QueryResult<()> {
    // Quiet: the named Viewer and the even-numbered generated members who are not
    // administrators.
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_quiet ON COMMIT DROP AS \
         SELECT *, $3 / count(*) OVER () + CASE WHEN q <= $3 % count(*) OVER () THEN 1 ELSE 0 END AS k \
         FROM (SELECT u.id AS user_id, u.name, m.role AS final_role, \
                      CASE m.role WHEN 'viewer' THEN 'developer' ELSE 'viewer' END AS alt_role, \
                      row_number() OVER (ORDER BY u.email) AS q \
               FROM memberships m JOIN users u ON u.id = m.user_id \
               WHERE m.org_id = $1 AND m.role <> 'administrator' \
                 AND (u.email = $2 OR substring(u.email from '^member([0-9]+)@')::int % 2 = 0)) s",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&emails[3])
    .bind::<BigInt, _>(plan.role_changes)
    .execute(conn)?;
    // Each membership but the founder's came from an invitation by the founder, sent a
    // twentieth of the founding before it was accepted.
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_joins ON COMMIT DROP AS \
         SELECT gen_random_uuid() AS invitation, u.id AS user_id, u.name, u.email, m.created_at AS joined_at, \
                CASE WHEN q.k % 2 = 1 THEN q.alt_role ELSE m.role END AS role, \
                CASE WHEN u.email LIKE 'member%' THEN 8 ELSE 1 END AS priority \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         LEFT JOIN seed_quiet q ON q.user_id = u.id \
         WHERE m.org_id = $1 AND u.email <> $2",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&emails[0])
    .execute(conn)?;
    let sent_before = time.setup / 20;
    diesel::sql_query(
        "INSERT INTO seed_log \
         SELECT j.joined_at - $2, a.id, a.name, 'invitation.sent', 'invitation', j.invitation, j.email, NULL::jsonb, \
                jsonb_build_object('email', j.email, 'role', j.role, 'expires_at', \
                  to_char((j.joined_at - $2 + interval '7 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')), \
                j.priority, 'join:' || j.email \
         FROM seed_joins j, users a WHERE a.email = $1 \
         UNION ALL \
         SELECT j.joined_at, j.user_id, j.name, 'invitation.accepted', 'invitation', j.invitation, j.email, NULL::jsonb, \
                jsonb_build_object('member', j.name, 'role', j.role), j.priority, 'join:' || j.email \
         FROM seed_joins j",
    )
    .bind::<Text, _>(&emails[0])
    .bind::<Interval, _>(sent_before)
    .execute(conn)?;
    // Former members: invited, joined, then removed by the founder or gone by themselves.
    diesel::sql_query(
        "INSERT INTO seed_log \
         SELECT f.joined_at - $2, a.id, a.name, 'invitation.sent', 'invitation', \
                md5(f.email)::uuid, f.email, NULL::jsonb, \
                jsonb_build_object('email', f.email, 'role', f.role, 'expires_at', \
                  to_char((f.joined_at - $2 + interval '7 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')), \
                9, 'former:' || f.email \
         FROM seed_former f, users a WHERE a.email = $1 \
         UNION ALL \
         SELECT f.joined_at, f.user_id, f.name, 'invitation.accepted', 'invitation', md5(f.email)::uuid, \
                f.email, NULL::jsonb, jsonb_build_object('member', f.name, 'role', f.role), 9, 'former:' || f.email \
         FROM seed_former f \
         UNION ALL \
         SELECT f.gone_at, CASE WHEN f.removed THEN a.id ELSE f.user_id END, \
                CASE WHEN f.removed THEN a.name ELSE f.name END, \
                CASE WHEN f.removed THEN 'member.removed' ELSE 'member.left' END, 'member', f.user_id, f.name, \
                CASE WHEN f.removed THEN jsonb_build_object('role', f.role, 'email', f.email) \
                     ELSE jsonb_build_object('role', f.role) END, \
                NULL::jsonb, 9, 'former:' || f.email \
         FROM seed_former f, users a WHERE a.email = $1",
    )
    .bind::<Text, _>(&emails[0])
    .bind::<Interval, _>(sent_before)
    .execute(conn)?;
    Ok(())
}

/// The founding: the organization, its plan, projects, access, keys (with the prefix
/// each had before its rotations), purchases, and the pending invitations.
fn founding(
    conn: &mut PgConnection,
    org: &Organization,
    emails: &[String],
    time: &Timeline,
    plan: Plan,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO seed_log \
         SELECT $3, a.id, a.name, 'organization.created', 'organization', $1, $2, NULL::jsonb, \
                jsonb_build_object('name', $2, 'slug', $4), 0, 'organization' \
         FROM users a WHERE a.email = $5 \
         UNION ALL \
         SELECT $6, b.id, b.name, 'billing.plan_changed', 'organization', $1, $2, \
                jsonb_build_object('plan', 'free'), jsonb_build_object('plan', 'enterprise'), 2, 'plan' \
         FROM users b WHERE b.email = $7 \
         UNION ALL \
         SELECT p.created_at, a.id, a.name, 'project.created', 'project', p.id, p.name, NULL::jsonb, \
                jsonb_build_object('name', p.name), 3, 'project:' || p.created_at \
         FROM projects p, users a WHERE p.org_id = $1 AND a.id = p.created_by \
         UNION ALL \
         SELECT pm.created_at, a.id, a.name, 'project_access.granted', 'member', u.id, u.name, NULL::jsonb, \
                jsonb_build_object('project', p.name, 'role', pm.role), 5, 'access:' || u.email \
         FROM project_members pm JOIN users u ON u.id = pm.user_id JOIN projects p ON p.id = pm.project_id, \
              users a WHERE pm.org_id = $1 AND a.email = $5 \
         UNION ALL \
         SELECT l.created_at, l.actor_id, l.actor_name, 'billing.credits_added', 'organization', $1, $2, \
                NULL::jsonb, jsonb_build_object('amount_micro', l.amount_micro, 'reference', l.reference), \
                6, 'purchase:' || l.reference \
         FROM credit_ledger l WHERE l.org_id = $1 AND l.kind = 'purchase' \
         UNION ALL \
         SELECT i.sent_at, i.invited_by, i.invited_by_name, 'invitation.sent', 'invitation', i.id, i.email, \
                NULL::jsonb, jsonb_build_object('email', i.email, 'role', i.role, 'expires_at', \
                  to_char(i.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')), \
                7, 'pending:' || i.email \
         FROM invitations i WHERE i.org_id = $1 AND i.status = 'pending'",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&org.name)
    .bind::<Timestamptz, _>(time.start)
    .bind::<Text, _>(&org.slug)
    .bind::<Text, _>(&emails[0])
    .bind::<Timestamptz, _>(time.founding(PLAN_AT))
    .bind::<Text, _>(&emails[2])
    .execute(conn)?;
    // Keys in creation order, numbered; each gets its share of the rotations.
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_keys ON COMMIT DROP AS \
         SELECT *, $2 / count(*) OVER () + CASE WHEN c <= $2 % count(*) OVER () THEN 1 ELSE 0 END AS k \
         FROM (SELECT k.id, k.name, k.prefix, k.created_at, k.created_by, k.created_by_name, \
                      p.name AS project, row_number() OVER (ORDER BY k.created_at, k.id) AS c \
               FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.org_id = $1) s",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<BigInt, _>(plan.rotations)
    .execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO seed_log \
         SELECT k.created_at, k.created_by, k.created_by_name, 'api_key.created', 'api_key', k.id, k.name, \
                NULL::jsonb, jsonb_build_object('name', k.name, 'prefix', {}, \
                                         'project', k.project), \
                4, 'key:' || k.created_at || k.id \
         FROM seed_keys k",
        prefix("k", "0")
    ))
    .execute(conn)?;
    Ok(())
}

/// The prefix of the key in `row` (of `seed_keys`) after its `j`th rotation: made up
/// before the last one, the key's own prefix after it.
fn prefix(row: &str, j: &str) -> String {
    format!(
        "CASE WHEN {j} = {row}.k THEN {row}.prefix \
              ELSE 'tw_live_' || substr(md5({row}.id::text || ':' || ({j})), 1, 8) END"
    )
}

/// The everyday changes of the second half (key rotations from the end of the founding).
fn filler(
    conn: &mut PgConnection,
    org: &Organization,
    emails: &[String],
    time: &Timeline,
    plan: Plan,
) -> QueryResult<()> {
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_admins ON COMMIT DROP AS \
         SELECT u.id, u.name, row_number() OVER (ORDER BY m.created_at, u.id) - 1 AS a \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.role = 'administrator'",
    )
    .bind::<SqlUuid, _>(org.id)
    .execute(conn)?;
    let second_half = time.now - time.half;
    diesel::sql_query(
        "WITH changes AS ( \
                SELECT r, 1 + (r - 1) % n.quiet AS q, (r - 1) / n.quiet + 1 AS j, r % n.admins AS a \
                FROM generate_series(1, $1) AS r, \
                     (SELECT (SELECT count(*) FROM seed_quiet) AS quiet, \
                             (SELECT count(*) FROM seed_admins) AS admins) n) \
         INSERT INTO seed_log \
         SELECT $2 + $3 * c.r / ($1 + 1), a.id, a.name, 'member.role_changed', 'member', q.user_id, q.name, \
                jsonb_build_object('role', CASE WHEN (q.k - c.j + 1) % 2 = 0 THEN q.final_role ELSE q.alt_role END), \
                jsonb_build_object('role', CASE WHEN (q.k - c.j) % 2 = 0 THEN q.final_role ELSE q.alt_role END), \
                10, 'filler' \
         FROM changes c JOIN seed_quiet q ON q.q = c.q JOIN seed_admins a ON a.a = c.a",
    )
    .bind::<BigInt, _>(plan.role_changes)
    .bind::<Timestamptz, _>(time.half)
    .bind::<Interval, _>(second_half)
    .execute(conn)?;
    diesel::sql_query(
        "WITH invitations AS ( \
                SELECT p, md5($4::text || p)::uuid AS id, 'candidate' || p || '@' || $5 AS email, \
                       CASE WHEN p % 2 = 0 THEN 'developer' ELSE 'viewer' END AS role, \
                       $2 + $3 * p / ($1 + 1) AS sent_at, p % (SELECT count(*) FROM seed_admins) AS a \
                FROM generate_series(1, $1) AS p), \
              facts AS ( \
                SELECT i.*, a.id AS actor_id, a.name AS actor_name, \
                       jsonb_build_object('email', i.email, 'role', i.role, 'expires_at', \
                         to_char((i.sent_at + interval '7 days') AT TIME ZONE 'UTC', \
                                 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) AS json \
                FROM invitations i JOIN seed_admins a ON a.a = i.a) \
         INSERT INTO seed_log \
         SELECT sent_at, actor_id, actor_name, 'invitation.sent', 'invitation', id, email, NULL::jsonb, json, \
                10, 'filler' FROM facts \
         UNION ALL \
         SELECT sent_at + $3 / ($1 + 1) / 2, actor_id, actor_name, 'invitation.cancelled', 'invitation', \
                id, email, json, NULL::jsonb, 10, 'filler' FROM facts",
    )
    .bind::<BigInt, _>(plan.cancelled_invitations)
    .bind::<Timestamptz, _>(time.half)
    .bind::<Interval, _>(second_half)
    .bind::<Text, _>(org.id.to_string())
    .bind::<Text, _>(format!("{}.example", org.slug))
    .execute(conn)?;
    let after_founding = time.now - (time.start + time.setup);
    diesel::sql_query(format!(
        "WITH numbered AS ( \
                SELECT r, 1 + (r - 1) % n.keys AS c, (r - 1) / n.keys + 1 AS j \
                FROM generate_series(1, $1) AS r, (SELECT count(*) AS keys FROM seed_keys) n), \
              rotations AS (SELECT n.r, n.j, k.* FROM numbered n JOIN seed_keys k ON k.c = n.c) \
         INSERT INTO seed_log \
         SELECT $2 + $3 * r.r / ($1 + 1), a.id, a.name, 'api_key.rotated', 'api_key', r.id, r.name, \
                jsonb_build_object('prefix', {}), \
                jsonb_build_object('new_prefix', {}, \
                                   'overlap_hours', 24, 'project', r.project), \
                10, 'filler' \
         FROM rotations r JOIN users a ON a.email = CASE WHEN r.r % 3 = 0 THEN $4 ELSE $5 END",
        prefix("r", "r.j - 1"),
        prefix("r", "r.j"),
    ))
    .bind::<BigInt, _>(plan.rotations)
    .bind::<Timestamptz, _>(time.start + time.setup)
    .bind::<Interval, _>(after_founding)
    .bind::<Text, _>(&emails[0])
    .bind::<Text, _>(&emails[1])
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_fills_exactly_n_entries() {
        for (n, members, days) in [
            (0, 0, 1),
            (7, 20, 90),
            (1000, 20, 90),
            (1_000_000, 10_000, 90),
        ] {
            let p = plan(n, members, days);
            assert_eq!(
                p.story + p.role_changes + 2 * p.cancelled_invitations + p.rotations,
                n
            );
        }
        let short = plan(7, 20, 90);
        assert_eq!((short.story, short.rotations), (7, 0));
        let full = plan(1000, 20, 90);
        assert_eq!(full.story, 1 + 6 + 1 + 5 + 10 + 2 + 3 + 5 + 40 + 3 * 2);
    }
}

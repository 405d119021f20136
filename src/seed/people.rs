//! The people of the demo: the named accounts, the generated members, the former members
//! the log remembers, the pending invitations with their delivered emails, and when
//! everyone was last active.

use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Interval, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::{ORG_ROLES, PENDING_INVITATIONS, PEOPLE, Timeline};

/// Former members: people who joined and then were removed or left, so that the log
/// can tell it without naming anyone who is still there.
pub(super) fn former_members(members: i32) -> i32 {
    2 + members / 25
}

/// Accounts and memberships. The founder is there from the start, the named Developer,
/// Billing Manager and Viewer join during the founding, the generated members one after
/// another until half-time. Former members have accounts but no membership; when they
/// joined and went is kept in `seed_former` (dropped at commit) for the log.
pub(super) fn accounts(
    conn: &mut PgConnection,
    org_id: Uuid,
    domain: &str,
    hash: &str,
    time: &Timeline,
    members: i32,
) -> QueryResult<()> {
    let emails: Vec<String> = PEOPLE.iter().map(|p| format!("{}@{domain}", p.1)).collect();
    let names: Vec<&str> = PEOPLE.iter().map(|p| p.0).collect();
    diesel::sql_query(
        "INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at) \
         SELECT gen_random_uuid(), e, n, $3, $4, $4 FROM unnest($1::text[], $2::text[]) AS t(e, n)",
    )
    .bind::<Array<Text>, _>(&emails)
    .bind::<Array<Text>, _>(&names)
    .bind::<Text, _>(hash)
    .bind::<Timestamptz, _>(time.start)
    .execute(conn)?;
    let roles: Vec<&str> = ORG_ROLES.iter().map(|r| r.as_str()).collect();
    // The founder at the start; the others as they accept their invitations.
    let joined = vec![
        time.start,
        time.founding(100),
        time.founding(110),
        time.founding(120),
    ];
    diesel::sql_query(
        "INSERT INTO memberships (id, org_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, u.id, t.role, t.joined \
         FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS t(email, role, joined) \
         JOIN users u ON u.email = t.email",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<Text>, _>(&emails[..4])
    .bind::<Array<Text>, _>(&roles)
    .bind::<Array<Timestamptz>, _>(&joined)
    .execute(conn)?;

    // Generated members join evenly from the end of the founding to half-time.
    let joining = time.half - (time.start + time.setup);
    diesel::sql_query(
        "WITH new_users AS ( \
           INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at) \
           SELECT gen_random_uuid(), 'member' || i || '@' || $2, \
                  (ARRAY['Alex','Sam','Robin','Kim','Lee','Noor','Mika','Jo','Ari','Tess', \
                         'Ravi','Lena','Omar','Yuki','Iris','Pablo','Zoe','Hugo','Maya','Finn'])[1 + i % 20] \
                  || ' ' || \
                  (ARRAY['Garcia','Smith','Okafor','Tanaka','Muller','Rossi','Novak','Silva','Kowalski','Nguyen', \
                         'Haddad','Larsen','Dubois','Moreau','Ivanova','Costa','Kim','Patel','Berg','Walsh'])[1 + (i / 20) % 20] \
                  || ' ' || i, \
                  $3, $4, $4 \
           FROM generate_series(1, $5) AS i \
           RETURNING id, email) \
         INSERT INTO memberships (id, org_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, id, \
                CASE WHEN n % 50 = 0 THEN 'administrator' \
                     ELSE (ARRAY['developer','developer','viewer','billing_manager','viewer'])[1 + n % 5] END, \
                $6 + $7 * n / ($5 + 1) \
         FROM (SELECT id, substring(email from '^member([0-9]+)@')::int AS n FROM new_users) m",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(domain)
    .bind::<Text, _>(hash)
    .bind::<Timestamptz, _>(time.start)
    .bind::<Integer, _>(members)
    .bind::<Timestamptz, _>(time.start + time.setup)
    .bind::<Interval, _>(joining)
    .execute(conn)?;

    // Former members join in the same stretch and go in the second half: the even ones
    // removed by the founder, the odd ones leaving by themselves.
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_former ON COMMIT DROP AS \
         WITH new_users AS ( \
           INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at) \
           SELECT gen_random_uuid(), 'former' || k || '@' || $1, \
                  (ARRAY['Quinn','Rene','Sasha','Toni','Uma'])[1 + k % 5] || ' Former ' || k, \
                  $2, $3, $3 \
           FROM generate_series(1, $4) AS k \
           RETURNING id, email, name) \
         SELECT id AS user_id, email, name, k, \
                CASE WHEN k % 2 = 0 THEN 'developer' ELSE 'viewer' END AS role, \
                $5 + $6 * k / ($4 + 1) + interval '1 minute' AS joined_at, \
                $7 + $8 * k / ($4 + 1) + interval '1 minute' AS gone_at, \
                k % 2 = 0 AS removed \
         FROM (SELECT *, substring(email from '^former([0-9]+)@')::int AS k FROM new_users) f",
    )
    .bind::<Text, _>(domain)
    .bind::<Text, _>(hash)
    .bind::<Timestamptz, _>(time.start)
    .bind::<Integer, _>(former_members(members))
    .bind::<Timestamptz, _>(time.start + time.setup)
    .bind::<Interval, _>(joining)
    .bind::<Timestamptz, _>(time.half)
    .bind::<Interval, _>(time.now - time.half)
    .execute(conn)?;
    Ok(())
}

/// Pending invitations sent by the founder over the last days, and their emails as the
/// worker leaves them once delivered (sent, bodies blanked), so that the Members page
/// reads "Sent" rather than a queue that never moves: the demo addresses are not real,
/// nothing is mailed, whether mail goes to SMTP or to files.
pub(super) fn pending_invitations(
    conn: &mut PgConnection,
    org_id: Uuid,
    org_name: &str,
    domain: &str,
    admin_email: &str,
    time: &Timeline,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, invited_by_name, \
                                  expires_at, sent_at) \
         SELECT gen_random_uuid(), $1, 'invitee' || i || '@' || $2, \
                (ARRAY['developer','viewer','billing_manager'])[1 + i % 3], \
                sha256(convert_to(gen_random_uuid()::text, 'UTF8')), u.id, u.name, \
                sent + interval '7 days', sent \
         FROM generate_series(1, $5) AS i, users u, \
              LATERAL (SELECT greatest($4 - i * interval '1 day', $6) AS sent) s \
         WHERE u.email = $3",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(domain)
    .bind::<Text, _>(admin_email)
    .bind::<Timestamptz, _>(time.now)
    .bind::<Integer, _>(PENDING_INVITATIONS)
    .bind::<Timestamptz, _>(time.half)
    .execute(conn)?;
    diesel::sql_query(
        "WITH mail AS ( \
           INSERT INTO outbox (id, org_id, kind, recipient, subject, body_text, body_html, \
                               message_id, status, attempts, next_attempt_at, created_at, sent_at) \
           SELECT gen_random_uuid(), i.org_id, 'invitation', i.email, 'Join ' || $2 || ' on Teamwork', \
                  '', '', '<' || gen_random_uuid() || '@seed-demo.invalid>', 'sent', 1, \
                  i.sent_at, i.sent_at, i.sent_at \
           FROM invitations i WHERE i.org_id = $1 AND i.outbox_id IS NULL \
           RETURNING id, recipient) \
         UPDATE invitations SET outbox_id = mail.id \
         FROM mail WHERE invitations.org_id = $1 AND invitations.email = mail.recipient",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(org_name)
    .execute(conn)?;
    Ok(())
}

/// Everyone with access was last active some time after their latest entry in the log
/// (or after joining, if the log does not name them), and never later than now.
pub(super) fn last_active(
    conn: &mut PgConnection,
    org_id: Uuid,
    time: &Timeline,
) -> QueryResult<()> {
    diesel::sql_query(
        "WITH people AS ( \
           SELECT user_id, created_at FROM memberships WHERE org_id = $1 \
           UNION ALL SELECT user_id, created_at FROM project_members WHERE org_id = $1), \
         acted AS ( \
           SELECT actor_id, max(created_at) AS at FROM activity \
           WHERE org_id = $1 AND actor_id IS NOT NULL GROUP BY actor_id) \
         UPDATE users u SET last_active_at = \
           least($2, seen + random() * least(interval '3 days', $2 - seen)) \
         FROM (SELECT p.user_id, greatest(p.created_at, a.at) AS seen \
               FROM people p LEFT JOIN acted a ON a.actor_id = p.user_id) s \
         WHERE u.id = s.user_id",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(time.now)
    .execute(conn)
    .map(drop)
}

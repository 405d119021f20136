//! The demo's projects, their project-only members and API keys, all set up during the
//! founding: the founder creates the projects and gives the contractor and the client
//! their access, the named Developer creates two keys per project.

use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::{PROJECTS, Timeline};

/// When the `n`th project (from 0) was created, and when its keys were.
pub(super) const PROJECTS_AT: i32 = 200;
pub(super) const KEYS_AT: i32 = 300;
/// When the contractor and the client got their access.
pub(super) const ACCESS_AT: i32 = 400;

pub(super) fn projects_and_keys(
    conn: &mut PgConnection,
    org_id: Uuid,
    emails: &[String],
    key_hash: &[u8],
    key_prefix: &str,
    time: &Timeline,
) -> QueryResult<()> {
    let created: Vec<_> = (0..PROJECTS.len() as i32)
        .map(|n| time.founding(PROJECTS_AT + 10 * n))
        .collect();
    diesel::sql_query(
        "INSERT INTO projects (id, org_id, name, created_by, created_at) \
         SELECT gen_random_uuid(), $1, p, (SELECT id FROM users WHERE email = $3), at \
         FROM unnest($2::text[], $4::timestamptz[]) AS t(p, at)",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<Text>, _>(PROJECTS.to_vec())
    .bind::<Text, _>(&emails[0])
    .bind::<Array<Timestamptz>, _>(&created)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO project_members (id, org_id, project_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, p.id, u.id, t.role, t.at \
         FROM (VALUES ($2, $3, 'developer', $6::timestamptz), ($4, $5, 'viewer', $7::timestamptz)) \
              AS t(email, project, role, at) \
         JOIN users u ON u.email = t.email JOIN projects p ON p.org_id = $1 AND p.name = t.project",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(&emails[4])
    .bind::<Text, _>(PROJECTS[0])
    .bind::<Text, _>(&emails[5])
    .bind::<Text, _>(PROJECTS[1])
    .bind::<Timestamptz, _>(time.founding(ACCESS_AT))
    .bind::<Timestamptz, _>(time.founding(ACCESS_AT + 10))
    .execute(conn)?;

    // Two keys per project, in project order; Website's "production" is the one whose
    // secret is printed.
    diesel::sql_query(
        "INSERT INTO api_keys (id, org_id, project_id, name, prefix, secret_hash, created_by, \
                               created_by_name, created_at, last_used_at) \
         SELECT gen_random_uuid(), $1, p.id, k.name, \
                CASE WHEN p.name = $2 AND k.name = 'production' THEN $4 \
                     ELSE 'tw_live_' || substr(md5(random()::text), 1, 8) END, \
                CASE WHEN p.name = $2 AND k.name = 'production' THEN $3 \
                     ELSE sha256(convert_to(gen_random_uuid()::text, 'UTF8')) END, \
                u.id, u.name, \
                $6 + $8 * (2 * (array_position($9::text[], p.name) - 1) + k.n) / 1000, $7 \
         FROM projects p CROSS JOIN (VALUES ('production', 0), ('staging', 1)) AS k(name, n) \
         JOIN users u ON u.email = $5 WHERE p.org_id = $1",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(PROJECTS[0])
    .bind::<Bytea, _>(key_hash)
    .bind::<Text, _>(key_prefix)
    .bind::<Text, _>(&emails[1])
    .bind::<Timestamptz, _>(time.founding(KEYS_AT))
    .bind::<Timestamptz, _>(time.now)
    .bind::<diesel::sql_types::Interval, _>(time.setup * 10)
    .bind::<Array<Text>, _>(PROJECTS.to_vec())
    .execute(conn)?;
    Ok(())
}

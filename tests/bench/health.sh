#!/usr/bin/env bash
# Access health benchmark (a script to run by hand, not a test): a release build on a
# fresh embedded Postgres, one organization with 10,000 members and 20,000 API keys
# (a tenth by people who left, a third unused for 90 days), 200 project-only members
# and 500 invitations, then the time of the "Access health" page (its seven checks in
# one statement) and of the Members page (whose sidebar carries the badge: one
# statement of existence probes), plus each statement's own time in Postgres
# (EXPLAIN ANALYZE). Prints the machine and a table for the README.
#
#   tests/bench/health.sh              # MEMBERS=10000 KEYS=20000 ROUNDS=200 PORT=18182
#
# Needs PostgreSQL's binaries (as `cargo run` does), curl and psql.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

MEMBERS=${MEMBERS:-10000}
KEYS=${KEYS:-20000}
ROUNDS=${ROUNDS:-200}
PORT=${PORT:-18182}
ADDR="127.0.0.1:$PORT"
BASE="http://$ADDR"

cargo build --release --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/teamwork"

# Under /tmp: when run as root, Postgres runs as the `postgres` user, which must be
# able to enter the folder.
DATA_DIR=$(mktemp -d /tmp/teamwork-bench.XXXXXX)
chmod 755 "$DATA_DIR"
APP_PID=
stop_app() {
    if [[ -n $APP_PID ]]; then
        kill "$APP_PID" 2>/dev/null || true
        wait "$APP_PID" 2>/dev/null || true
        APP_PID=
    fi
}
trap 'stop_app; rm -rf "$DATA_DIR"' EXIT

DATA_DIR="$DATA_DIR" BIND_ADDR="$ADDR" RUST_LOG=warn "$BIN" serve >>"$DATA_DIR/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 100); do
    if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At "postgresql://postgres@/teamwork?host=$DATA_DIR/postgres")

JAR="$DATA_DIR/cookies.txt"
csrf() {
    curl -fsS -b "$JAR" -c "$JAR" "$BASE/login" |
        grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'
}
post() { # post <path> <field=value>...
    local path=$1 token
    shift
    token=$(csrf)
    local args=()
    for field in "$@"; do args+=(--data-urlencode "$field"); done
    curl -fsS -o /dev/null -b "$JAR" -c "$JAR" "${args[@]}" --data-urlencode "_csrf=$token" "$BASE$path"
}
post /signup "name=Ada Bench" "email=ada@example.com" "password=correct horse battery"
post /login "email=ada@example.com" "password=correct horse battery"
post /orgs "name=Bench"
COOKIE=$(awk '$6 == "teamwork" { print $6 "=" $7 }' "$JAR")

echo "creating $MEMBERS members and $KEYS keys..."
"${PSQL[@]}" <<SQL
INSERT INTO users (id, email, name, password_hash, last_active_at)
SELECT gen_random_uuid(), 'member' || i || '@example.com', 'Member ' || i, 'x',
       now() - (i % 200) * interval '1 day'
FROM generate_series(1, $MEMBERS + 1000) AS i;
-- MEMBERS - 1 members (1 in 100 an administrator); the last 1,000 users left.
INSERT INTO memberships (id, org_id, user_id, role, created_at)
SELECT gen_random_uuid(), o.id, u.id,
       CASE WHEN n % 100 = 0 THEN 'administrator' ELSE (ARRAY['developer', 'viewer', 'billing_manager'])[1 + n % 3] END,
       now() - interval '300 days'
FROM organizations o,
     (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'member%') u
WHERE o.slug = 'bench' AND u.n < $MEMBERS;
INSERT INTO projects (id, org_id, name, created_at)
SELECT gen_random_uuid(), o.id, 'Project ' || i, now() - interval '1 year'
FROM organizations o, generate_series(1, 20) AS i WHERE o.slug = 'bench';
-- 200 project-only members, half with an end date.
INSERT INTO users (id, email, name, password_hash)
SELECT gen_random_uuid(), 'contractor' || i || '@example.com', 'Contractor ' || i, 'x'
FROM generate_series(1, 200) AS i;
INSERT INTO project_members (id, org_id, project_id, user_id, role, access_until)
SELECT gen_random_uuid(), p.org_id, p.id, u.id, 'developer',
       CASE WHEN u.n % 2 = 0 THEN current_date + 30 END
FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'contractor%') u
JOIN (SELECT id, org_id, row_number() OVER (ORDER BY name) AS n FROM projects) p ON p.n = 1 + u.n % 20;
-- KEYS keys: creators among all 11,000 users (so about a tenth left), a third unused
-- for 90 days, a tenth revoked.
INSERT INTO api_keys (id, org_id, project_id, name, prefix, secret_hash, created_by,
                      created_by_name, created_at, last_used_at, revoked_at)
SELECT gen_random_uuid(), p.org_id, p.id, 'key ' || i, 'tw_live_' || i, sha256(('k' || i)::bytea),
       u.id, u.name, now() - interval '200 days',
       CASE WHEN i % 3 = 0 THEN now() - interval '120 days' ELSE now() - (i % 80) * interval '1 day' END,
       CASE WHEN i % 10 = 0 THEN now() END
FROM generate_series(1, $KEYS) AS i
JOIN (SELECT id, org_id, row_number() OVER (ORDER BY name) AS n FROM projects) p ON p.n = 1 + i % 20
JOIN (SELECT id, name, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'member%') u
  ON u.n = 1 + (i * 7) % ($MEMBERS + 1000);
-- 500 pending invitations, a fifth of them sent a week ago.
INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by_name, expires_at, sent_at)
SELECT gen_random_uuid(), o.id, 'invitee' || i || '@example.com', 'viewer', sha256(('i' || i)::bytea), 'Ada',
       now() + interval '7 days' - CASE WHEN i % 5 = 0 THEN interval '7 days' ELSE interval '0' END,
       now() - CASE WHEN i % 5 = 0 THEN interval '7 days' ELSE interval '0' END
FROM organizations o, generate_series(1, 500) AS i WHERE o.slug = 'bench';
SQL
"${PSQL[@]}" -c "VACUUM (ANALYZE)" -c "CHECKPOINT"

PAGE=$(curl -fsS -H "Cookie: $COOKIE" "$BASE/orgs/bench/health")
echo "$PAGE" | grep -o 'check-count">[^<]*' | sed 's/check-count">/  /'
if ! echo "$PAGE" | grep -q 'need a look'; then
    echo "the health page did not show the checklist" >&2
    exit 1
fi

CONFIG="$DATA_DIR/curl.conf"
PAGES=("/orgs/bench/health" "/orgs/bench/members")
for round in $(seq 0 "$ROUNDS"); do
    for page in "${PAGES[@]}"; do printf 'url = "%s"\noutput = "/dev/null"\n' "$BASE$page"; done
done >"$CONFIG"
SAMPLES="$DATA_DIR/samples.txt"
curl -sS -K "$CONFIG" -H "Cookie: $COOKIE" -w '%{http_code} %{time_total}\n' >"$SAMPLES"
if grep -qv '^200 ' "$SAMPLES"; then
    echo "some requests did not answer 200" >&2
    exit 1
fi

# Each statement's own time in Postgres: log every statement's duration, open both
# pages ROUNDS more times, and take the median and p99 of the two health statements.
"${PSQL[@]}" -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
PG_LOG="$DATA_DIR/postgres/postgres.log"
START=$(wc -l <"$PG_LOG")
curl -sS -K "$CONFIG" -H "Cookie: $COOKIE" -o /dev/null
statement() { # the median and p99 of the executions of the statement naming $1
    tail -n +"$START" "$PG_LOG" | grep "duration: .* execute .*$1" |
        sed 's/.*duration: \([0-9.]*\) ms.*/\1/' | sort -n |
        awk '{ t[NR] = $1 } END { printf "%.2f ms median, %.2f ms p99 (%d runs)", t[int((NR + 1) / 2)], t[int(NR * 0.99 + 0.999)], NR }'
}

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "Date: $(date -u +%F), commit $(git describe --always --dirty), $MEMBERS members and $KEYS keys in one organization"
echo "Release build, embedded Postgres $("${PSQL[@]}" -c 'SHOW server_version'), $ROUNDS requests per page"
echo "Load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| page (request sent to last byte, loopback) | median | p99 |"
echo "|---|---:|---:|"
for i in "${!PAGES[@]}"; do
    read -r p50 p99 < <(awk -v n="${#PAGES[@]}" -v i="$i" \
        'NR > n && (NR - 1) % n == i { print $2 * 1000 }' "$SAMPLES" | sort -n |
        awk '{ t[NR] = $1 } END { printf "%.2f %.2f\n", t[int((NR + 1) / 2)], t[int(NR * 0.99 + 0.999)] }')
    echo "| ${PAGES[$i]} | $p50 ms | $p99 ms |"
done
echo
echo "Statement time in Postgres (log_min_duration_statement):"
echo "- the seven counts of the page: $(statement 'AS inactive_administrators')"
echo "- the badge's seven probes (every full page): $(statement 'AS open')"

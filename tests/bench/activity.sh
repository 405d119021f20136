#!/usr/bin/env bash
# Activity log benchmark (a script to run by hand, not a test): a release build on a
# fresh embedded Postgres, one organization with 1,000,000 activity entries, and the
# latency of the pages people open: the newest page, a page 10,000 pages deep (the
# middle of the log), and pages filtered by member, action, group of actions and
# date. Prints the machine, a table (median and p99 per page, the deep/first ratio)
# for the README's "Performance" section, and the plan Postgres chose for every
# activity query (auto_explain), which must be index scans.
#
#   tests/bench/activity.sh              # ENTRIES=1000000 MEMBERS=10000 ROUNDS=500 PORT=18181
#
# Every member appears in the log (as an actor, and the first ones as targets too), so
# that a page listing the people of the log would show it in its size.
#
# Each page is requested ROUNDS times by one curl over one keep-alive connection, the
# pages interleaved (first, deep, member, ..., first, deep, ...), so that other work on
# a shared machine slows every page alike; the percentiles are over curl's own
# per-request time (`time_total`: request sent to last byte received, on loopback).
#
# Needs PostgreSQL's binaries (as `cargo run` does), curl and psql.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ENTRIES=${ENTRIES:-1000000}
MEMBERS=${MEMBERS:-10000}
ACTIVE=$((MEMBERS < 50 ? MEMBERS : 50)) # the people most entries are by and about
ROUNDS=${ROUNDS:-500}
PORT=${PORT:-18181}
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

start_app() {
    DATA_DIR="$DATA_DIR" BIND_ADDR="$ADDR" RUST_LOG=warn "$BIN" serve >>"$DATA_DIR/app.log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then return; fi
        sleep 0.2
    done
    echo "the app did not become ready:" >&2
    cat "$DATA_DIR/app.log" >&2
    exit 1
}

start_app
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At "postgresql://postgres@/teamwork?host=$DATA_DIR/postgres")

# Sign up and create the organization like a person would, keeping the cookie.
JAR="$DATA_DIR/cookies.txt"
csrf() { # the session's token, from the login page like the test client does
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
# Signing up signs nobody in (it must not tell whether the address had an account).
post /login "email=ada@example.com" "password=correct horse battery"
post /orgs "name=Bench"
COOKIE=$(awk '$6 == "teamwork" { print $6 "=" $7 }' "$JAR")

echo "creating $MEMBERS members and $ENTRIES activity entries..."
# MEMBERS - 1 more members, then the entries in one INSERT ... SELECT over generate_series.
# Ids are built like UUIDv7 from each entry's time: 48 bits of Unix milliseconds,
# version 7, 12 bits and (after the variant) 62 bits of the row number. Entries are
# 7 seconds apart (about 81 days for a million), so ids and times order alike.
# Every one of the 20 catalogued actions is 5 % of the log. The first MEMBERS entries
# are by each member in turn, so that everyone appears in the log; the rest are by and
# about the first 50 people, each the actor of 2 % and the target of 2 %.
"${PSQL[@]}" <<SQL
INSERT INTO users (id, email, name, password_hash)
SELECT gen_random_uuid(), 'member' || i || '@example.com', 'Member ' || i, 'x'
FROM generate_series(1, $MEMBERS - 1) AS i;
INSERT INTO memberships (id, org_id, user_id, role)
SELECT gen_random_uuid(), o.id, u.id, (ARRAY['developer', 'viewer', 'billing_manager'])[1 + n % 3]
FROM organizations o,
     (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'member%') u
WHERE o.slug = 'bench';
-- Written in bulk, not through the operations that keep the organization's counts.
UPDATE organizations o SET
    administrators = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'administrator'),
    developers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'developer'),
    billing_managers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'billing_manager'),
    viewers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'viewer')
WHERE o.slug = 'bench';

CREATE TEMP TABLE people AS
SELECT row_number() OVER (ORDER BY u.email) - 1 AS n, u.id, u.name
FROM users u JOIN memberships m ON m.user_id = u.id;
CREATE TEMP TABLE actions (n int, action text, before jsonb, after jsonb);
INSERT INTO actions VALUES
  (0,  'invitation.sent',        NULL, '{"email": "x@example.com", "role": "developer"}'),
  (1,  'invitation.resent',      NULL, '{"email": "x@example.com", "role": "developer"}'),
  (2,  'invitation.cancelled',   '{"email": "x@example.com", "role": "viewer"}', NULL),
  (3,  'invitation.accepted',    NULL, '{"member": "X", "role": "viewer"}'),
  (4,  'member.role_changed',    '{"role": "viewer"}', '{"role": "developer"}'),
  (5,  'member.removed',         '{"role": "developer", "email": "x@example.com"}', NULL),
  (6,  'member.left',            '{"role": "viewer"}', NULL),
  (7,  'organization.created',   NULL, '{"name": "Bench", "slug": "bench"}'),
  (8,  'organization.renamed',   '{"name": "Bench"}', '{"name": "Bench Labs"}'),
  (9,  'project.created',        NULL, '{"name": "Apollo"}'),
  (10, 'project.renamed',        '{"name": "Apollo"}', '{"name": "Artemis"}'),
  (11, 'project.archived',       NULL, NULL),
  (12, 'project_access.granted', NULL, '{"role": "developer", "project": "Apollo"}'),
  (13, 'project_access.changed', '{"role": "developer"}', '{"role": "viewer"}'),
  (14, 'project_access.revoked', NULL, NULL),
  (15, 'api_key.created',        NULL, '{"name": "deploy", "prefix": "tw_3f9a", "project": "Apollo"}'),
  (16, 'api_key.revoked',        NULL, NULL),
  (17, 'api_key.rotated',        NULL, '{"new_prefix": "tw_77c1", "overlap_hours": 24}'),
  (18, 'billing.credits_added',  NULL, '{"amount_micro": 250000000, "reference": "INV-118"}'),
  (19, 'billing.plan_changed',   '{"plan": "free"}', '{"plan": "team"}');

-- Staged unchained, then chained in one pass as seed-demo does (src/seed/activity.rs):
-- the chain trigger moves the chain's head row once per entry, and in one transaction
-- every move walks all the earlier versions of that row, so a million entries through
-- the trigger would not finish.
CREATE TEMP TABLE bench_rows (LIKE activity INCLUDING DEFAULTS);
INSERT INTO bench_rows (id, org_id, actor_id, actor_name, action, target_type, target_id,
                        target_label, before, after, ip, user_agent, created_at, seq,
                        prev_hash, hash)
SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
        || lpad(to_hex(i % 4096), 3, '0') || to_hex(8 + i % 4) || lpad(to_hex(i), 15, '0'))::uuid,
       o.id, actor.id, actor.name, a.action, 'member', target.id, target.name, a.before, a.after,
       '203.0.113.' || (i % 250), 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', t, 0, '\\x', '\\x'
FROM organizations o,
     generate_series(1, $ENTRIES) AS i,
     LATERAL (SELECT now() - ($ENTRIES - i) * interval '7 seconds' AS t) AS time,
     actions a, people actor, people target
WHERE o.slug = 'bench' AND a.n = i % 20
  AND actor.n = CASE WHEN i <= $MEMBERS THEN i - 1 ELSE i % $ACTIVE END
  AND target.n = (i / $ACTIVE) % $ACTIVE;
CREATE FUNCTION pg_temp.bench_chain(org uuid) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE head activity_chains%ROWTYPE; r activity;
BEGIN
  INSERT INTO activity_chains (org_id) VALUES (org) ON CONFLICT DO NOTHING;
  SELECT * INTO head FROM activity_chains WHERE org_id = org FOR UPDATE;
  FOR r IN SELECT * FROM bench_rows ORDER BY created_at, id LOOP
    r := activity_chain_entry(r, head.seq, head.hash);
    INSERT INTO activity SELECT (r).*;
    head.seq := r.seq; head.hash := r.hash;
  END LOOP;
  UPDATE activity_chains SET seq = head.seq, hash = head.hash WHERE org_id = org;
END \$\$;
BEGIN;
ALTER TABLE activity DISABLE TRIGGER activity_chain;
SELECT pg_temp.bench_chain(id) FROM organizations WHERE slug = 'bench';
ALTER TABLE activity ENABLE TRIGGER activity_chain;
COMMIT;
SQL
# Settle like a long-lived table: vacuumed, analyzed, written out, so that neither
# autovacuum nor the checkpointer runs during the measurements.
"${PSQL[@]}" -c "VACUUM (ANALYZE) activity" -c "VACUUM (ANALYZE) users" -c "CHECKPOINT"

DEEP=$("${PSQL[@]}" -c "SELECT id FROM activity ORDER BY id DESC OFFSET $((ENTRIES / 2)) LIMIT 1")
DAY=$("${PSQL[@]}" -c "SELECT (created_at AT TIME ZONE 'UTC')::date FROM activity WHERE id = '$DEEP'")
# One of the 50 active people (their number 7, as in the people table above).
MEMBER=$("${PSQL[@]}" -c "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id ORDER BY u.email OFFSET 7 LIMIT 1")
COUNT=$("${PSQL[@]}" -c "SELECT count(*) FROM activity")
LOG="/orgs/bench/activity"
DEEP_LABEL="$(echo $((ENTRIES / 2 / 50)) | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta') pages deep"

# label|path
PAGES=(
    "first page|$LOG"
    "$DEEP_LABEL|$LOG?before=$DEEP"
    "member filter|$LOG?member=$MEMBER"
    "action filter|$LOG?action=member.role_changed"
    "action group filter|$LOG?action=api_keys"
    "date range (one day)|$LOG?from=$DAY&to=$DAY"
    "member and action|$LOG?member=$MEMBER&action=invitations"
    "member search (\`people?member_q=member 7\`, 10 people)|$LOG/people?member_q=member%207"
)

declare -A SIZE
for page in "${PAGES[@]}"; do
    label=${page%%|*}
    path=${page#*|}
    body=$(curl -fsS -H "Cookie: $COOKIE" "$BASE$path")
    SIZE[$label]=$(printf '%s' "$body" | wc -c | awk '{ printf "%.1f KB", $1 / 1000 }')
    if [[ $path == "$LOG/people"* ]]; then
        found=$(printf '%s' "$body" | grep -c '<li>' || true)
        if [[ $found -ne 10 ]]; then
            echo "expected 10 people from $path, got $found" >&2
            exit 1
        fi
        continue
    fi
    rows=$(printf '%s' "$body" | grep -c 'id="entry-' || true)
    if [[ $rows -ne 50 ]]; then
        echo "expected 50 entries on $path, got $rows" >&2
        exit 1
    fi
done

# One curl, every page in turn ROUNDS times (after one round to warm up).
CONFIG="$DATA_DIR/curl.conf"
for round in $(seq 0 "$ROUNDS"); do
    for page in "${PAGES[@]}"; do
        printf 'url = "%s"\noutput = "/dev/null"\n' "$BASE${page#*|}"
    done
done >"$CONFIG"
SAMPLES="$DATA_DIR/samples.txt"
curl -sS -K "$CONFIG" -H "Cookie: $COOKIE" -w '%{http_code} %{time_total}\n' >"$SAMPLES"
if grep -qv '^200 ' "$SAMPLES"; then
    echo "some requests did not answer 200:" >&2
    sort "$SAMPLES" | cut -d' ' -f1 | uniq -c >&2
    exit 1
fi

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "Date: $(date -u +%F), commit $(git describe --always --dirty), $COUNT entries and $MEMBERS members in one organization"
echo "Release build, embedded Postgres $("${PSQL[@]}" -c 'SHOW server_version'), $ROUNDS requests per page"
echo "Load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows in the p99)"
echo
echo "| page | size | median | p99 |"
echo "|---|---:|---:|---:|"
declare -A MEDIAN
for i in "${!PAGES[@]}"; do
    label=${PAGES[$i]%%|*}
    # Samples of this page, skipping the warm-up round.
    read -r p50 p99 < <(awk -v n="${#PAGES[@]}" -v i="$i" \
        'NR > n && (NR - 1) % n == i { print $2 * 1000 }' "$SAMPLES" | sort -n |
        awk '{ t[NR] = $1 } END { printf "%.2f %.2f\n", t[int((NR + 1) / 2)], t[int(NR * 0.99 + 0.999)] }')
    MEDIAN[$label]=$p50
    echo "| $label | ${SIZE[$label]} | $p50 ms | $p99 ms |"
done
echo
awk -v d="${MEDIAN[$DEEP_LABEL]}" -v f="${MEDIAN["first page"]}" \
    'BEGIN { printf "deep/first median ratio: %.2f\n", d / f }'

# The plans Postgres chose for the very queries the app ran: restart with
# auto_explain on, open each page once, and print every plan that reads activity.
"${PSQL[@]}" <<SQL
LOAD 'auto_explain';
ALTER SYSTEM SET session_preload_libraries = 'auto_explain';
ALTER SYSTEM SET auto_explain.log_min_duration = 0;
ALTER SYSTEM SET auto_explain.log_analyze = on;
ALTER SYSTEM SET auto_explain.log_timing = off;
SQL
stop_app
PG_LOG="$DATA_DIR/postgres/postgres.log"
start_app
: >"$PG_LOG.plans"
# The first page in full (the list and the people of the "Member" filter), then the
# list alone, as htmx fetches it, since the people query is the same on every page.
hx=()
for page in "${PAGES[@]}"; do
    label=${page%%|*}
    path=${page#*|}
    before=$(wc -l <"$PG_LOG")
    curl -fsS -o /dev/null -H "Cookie: $COOKIE" "${hx[@]}" "$BASE$path"
    hx=(-H "HX-Request: true" -H "HX-Target: activity-list")
    sleep 0.2
    {
        echo "== $label: $path"
        # A plan is one LOG message over many lines; keep those whose query reads activity.
        tail -n +"$((before + 1))" "$PG_LOG" | awk '
            /LOG:/ { if (keep) printf "%s", block; keep = 0; block = "" }
            /Query Text: .*activity/ { keep = 1 }
            { block = block $0 "\n" }
            END { if (keep) printf "%s", block }' |
            grep -E "Query Text|Scan|Sort|Limit|Join|Append|Union|Removed" | sed 's/^[[:space:]]*//' | cut -c1-150
    } >>"$PG_LOG.plans"
done
echo
echo "Plans of the activity queries (auto_explain, actual rows):"
cat "$PG_LOG.plans"
if grep -q "Seq Scan on activity" "$PG_LOG.plans"; then
    echo "a query read the activity table sequentially" >&2
    exit 1
fi

#!/usr/bin/env bash
# Activity chain benchmark (a script to run by hand, not a test): a release build on a
# fresh embedded Postgres, one organization with 1,000,000 chained activity entries
# (hashed by seed_chain.py in one pass and loaded with one COPY: the trigger hashes one
# row at a time in PL/pgSQL, too slow to seed a million entries), then
#   1. `teamwork activity verify --org bench`: the time to recompute the whole chain;
#   2. what the chain adds to writing one entry: the median latency of a one-entry
#      transaction into `activity` (chained by its trigger) against the same insert into
#      a copy of the table without the trigger, ROUNDS transactions each (pgbench, one
#      client, interleaved in rounds of 500 so that other work on a shared machine
#      slows both alike).
# Prints the machine and both figures for the README.
#
#   tests/bench/verify.sh              # ENTRIES=1000000 ROUNDS=5000 PORT=18182
#
# Needs PostgreSQL's binaries (as `cargo run` does, pgbench included), curl, psql, bc
# and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ENTRIES=${ENTRIES:-1000000}
ROUNDS=${ROUNDS:-5000}
PORT=${PORT:-18182}
ADDR="127.0.0.1:$PORT"

cargo build --release --locked --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/teamwork"
PGBIN=$(dirname "$(command -v pgbench || ls -d /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)")

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

# The app starts (and migrates) the embedded cluster and keeps it up while it runs.
DATA_DIR="$DATA_DIR" BIND_ADDR="$ADDR" RUST_LOG=warn "$BIN" serve >>"$DATA_DIR/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 100); do
    if curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
URL="postgresql://postgres@/teamwork?host=$DATA_DIR/postgres"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At "$URL")

echo "creating $ENTRIES chained activity entries (hashed in one pass by seed_chain.py, one COPY)..."
start=$(date +%s.%N)
ORG=$("${PSQL[@]}" -c "INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'Bench', 'bench') RETURNING id")
# The chain trigger is off for this one transaction: seed_chain.py has computed every
# seq, prev_hash, hash and personal digest already, as the trigger would have.
{
    echo "BEGIN;"
    echo "ALTER TABLE activity DISABLE TRIGGER activity_chain;"
    python3 tests/bench/seed_chain.py "$ORG" "$ENTRIES" "$DATA_DIR/head"
    echo "ALTER TABLE activity ENABLE TRIGGER activity_chain;"
    IFS=, read -r HEAD_SEQ HEAD_HASH <"$DATA_DIR/head"
    echo "INSERT INTO activity_chains (org_id, seq, hash) VALUES ('$ORG', $HEAD_SEQ, '\\x$HEAD_HASH');"
    echo "COMMIT;"
} | "${PSQL[@]}" >/dev/null
"${PSQL[@]}" -c "VACUUM (ANALYZE) activity" -c "CHECKPOINT"
echo "  $(printf '%.0f' "$(echo "$(date +%s.%N) - $start" | bc)") s"

echo "verifying..."
start=$(date +%s.%N)
# The CPU time of the command itself (Postgres' work is in its own processes).
DATABASE_URL="$URL" DATA_DIR="$DATA_DIR" RUST_LOG=warn /usr/bin/time -f "  verify process: %U s user, %S s sys CPU" \
    "$BIN" activity verify --org bench
VERIFY=$(echo "$(date +%s.%N) - $start" | bc)

"${PSQL[@]}" <<SQL
CREATE TABLE activity_unchained (LIKE activity INCLUDING DEFAULTS INCLUDING INDEXES);
ALTER TABLE activity_unchained ALTER seq DROP NOT NULL, ALTER prev_hash DROP NOT NULL,
                               ALTER hash DROP NOT NULL;
SQL
for table in activity activity_unchained; do
    cat >"$DATA_DIR/$table.sql" <<SQL
INSERT INTO $table (id, org_id, actor_id, actor_name, action, target_type, target_id,
                    target_label, before, after, ip, user_agent)
VALUES (gen_random_uuid(), '$ORG', gen_random_uuid(), 'Ada', 'member.role_changed', 'member',
        gen_random_uuid(), 'Grace', '{"role": "viewer"}', '{"role": "developer"}',
        '203.0.113.9', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0');
SQL
    : >"$DATA_DIR/$table.latencies"
done
for _ in $(seq 1 $((ROUNDS / 500))); do
    for table in activity activity_unchained; do
        (cd "$DATA_DIR" && "$PGBIN/pgbench" -n -c 1 -t 500 -f "$table.sql" -l \
            --log-prefix="$table.log" "$URL" >/dev/null 2>&1)
        cat "$DATA_DIR/$table.log".* | awk '{ print $3 }' >>"$DATA_DIR/$table.latencies"
        rm -f "$DATA_DIR/$table.log".*
    done
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
CHAINED=$(median "$DATA_DIR/activity.latencies")
PLAIN=$(median "$DATA_DIR/activity_unchained.latencies")

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ { print $2 }') GB, PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version')"
printf 'activity verify, %d entries: %.2f s\n' "$ENTRIES" "$VERIFY"
printf 'one-entry transaction, median of %d: %d us chained, %d us unchained: the chain adds %d us\n' \
    "$ROUNDS" "$CHAINED" "$PLAIN" "$((CHAINED - PLAIN))"

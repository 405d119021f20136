#!/usr/bin/env bash
# Throughput of the main pages and the usage API against a demo organization of 10,000
# members and a million activity entries; not part of the test command. Builds the release
# binary, seeds a fresh embedded Postgres in a temporary DATA_DIR, signs in as the seeded
# administrator with curl, then runs wrk against each target in turn and prints one
# Markdown table: requests/s, p50, p99, errors, the ratio to the floor (`/readyz`, one
# `SELECT 1`), SQL statements per request (the app's statement counter, read through
# `teamwork_db_statements_total` on METRICS_ADDR) and the RSS of the app at 100 connections.
# Usage reports: single reports from 100 connections on one organization and spread over
# 50, batches of 100 and 1,000, 10,000 concurrent retries of 100 request ids (the ledger is
# checked: no double charge, every balance equal to its ledger's sum), and the Usage page
# before and after USAGE_ROWS raw reports are added with set-based SQL.
#   tests/bench/perf.sh                   # DURATION=15s THREADS=2 CONNECTIONS=50
#   DURATION=5s MEMBERS=1000 ACTIVITY=100000 USAGE_ROWS=100000 tests/bench/perf.sh   # quick
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

duration=${DURATION:-15s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-50}
members=${MEMBERS:-10000}
activity=${ACTIVITY:-1000000}
# The issue asks for 50,000,000; that takes several GB of disk and about 20 minutes on a
# shared 2-core machine, so the default is smaller: set USAGE_ROWS to run it.
usage_rows=${USAGE_ROWS:-2000000}
# Stop adding raw reports after this many seconds of loading (whole chunks only; the
# Usage page is then measured on what was loaded): USAGE_LOAD_SECONDS=1800.
usage_load_seconds=${USAGE_LOAD_SECONDS:-0}
samples=15 # sequential requests per target when counting statements

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null && continue
    if [[ $tool != wrk || $(id -u) -ne 0 ]]; then
        echo "$tool is missing (wrk: sudo apt-get install -y wrk)" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
done

# BINARY=path skips the build (e.g. a debug binary, to try a change of this script).
if [[ -z ${BINARY:-} ]]; then
    cargo build --release --locked --quiet
fi
binary=${BINARY:-"${CARGO_TARGET_DIR:-target}/release/teamwork"}

# Under the system temp dir and open to others: as root, Postgres runs as `postgres`.
data=$(mktemp -d "${TMPDIR:-/tmp}/teamwork-perf.XXXXXX")
chmod 755 "$data"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics_port=$(free_port)
base="http://127.0.0.1:$port"
jar="$data/cookies"
server=
sampler=
cleanup() {
    if [[ -n $sampler ]]; then kill "$sampler" 2>/dev/null || true; fi
    if [[ -n $server ]]; then kill -TERM "$server" 2>/dev/null && wait "$server" || true; fi
    rm -rf "$data"
}
trap cleanup EXIT
# The one-minute load average every 30 s while the script runs (the machine is shared).
while sleep 30; do cut -d' ' -f1 /proc/loadavg; done >"$data/load.txt" &
sampler=$!
export DATA_DIR="$data" BIND_ADDR="127.0.0.1:$port" METRICS_ADDR="127.0.0.1:$metrics_port" RUST_LOG=warn

echo "seeding $members members and $activity activity entries..." >&2
"$binary" seed-demo --members "$members" --activity "$activity" >"$data/seed.txt"
admin=$(grep -o 'ada@[^ ]*' "$data/seed.txt" | head -1)
slug=${admin#ada@}
slug=${slug%.example}
password=$(sed -n 's/.* with the password \([^ ]*\) as:$/\1/p' "$data/seed.txt")
key=$(grep -o 'Bearer [^'"'"']*' "$data/seed.txt" | head -1 | cut -d' ' -f2)
head -1 "$data/seed.txt" >&2

"$binary" serve >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do
    curl -sf "$base/readyz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; exit 1; }
    sleep 0.1
done

token=$(curl -sf -c "$jar" -b "$jar" "$base/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "email=$admin" \
    --data-urlencode "password=$password" --data-urlencode "_csrf=$token" "$base/login"
cookie=$(awk '$6 == "teamwork" { print $7 }' "$jar")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: teamwork=$cookie" "$base/orgs/$slug/members")
if [[ -z $cookie || -z $key || $status != 200 ]]; then
    echo "could not sign in as $admin (members page: $status) or read the seeded key" >&2
    exit 1
fi

# Credits for the usage run (the seeded balance covers about 50,000 reports).
token=$(curl -sf -b "$jar" -H "Cookie: teamwork=$cookie" "$base/orgs/$slug/billing" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: teamwork=$cookie" --data-urlencode "amount=1000000" \
    --data-urlencode "reference=perf.sh" --data-urlencode "_csrf=$token" "$base/orgs/$slug/billing/credits")
[[ $status == 303 ]] || { echo "could not add credits ($status)" >&2; exit 1; }

body='{"model": "gpt-large", "input_tokens": 1200, "output_tokens": 300}'
cat >"$data/usage.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF

psql=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
psql=$(command -v psql || echo "$psql")
run_sql() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$psql" "$@"; else "$psql" "$@"; fi; }
sql() { run_sql -h "$data/postgres" -U postgres -d teamwork -v ON_ERROR_STOP=1 -Atc "$1"; }

# 50 more organizations with a key each (perf-1 .. perf-50) and one for the retries
# (perf-dup), each with a million credits in its ledger.
sql "
WITH orgs AS (
  INSERT INTO organizations (id, name, slug)
  SELECT gen_random_uuid(), 'Perf ' || n, 'perf-' || n
  FROM (SELECT n::text FROM generate_series(1, 50) AS n UNION ALL SELECT 'dup') AS s(n)
  RETURNING id, slug),
accounts AS (INSERT INTO billing_accounts (org_id, balance_micro) SELECT id, 1000000000000 FROM orgs),
ledger AS (INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, reference, actor_name)
           SELECT id, 'purchase', 1000000000000, 1000000000000, 'perf.sh', 'perf.sh' FROM orgs),
projects AS (INSERT INTO projects (id, org_id, name) SELECT gen_random_uuid(), id, 'Gateway' FROM orgs
             RETURNING id, org_id)
INSERT INTO api_keys (id, org_id, project_id, name, prefix, secret_hash, created_by_name)
SELECT gen_random_uuid(), p.org_id, p.id, 'gateway', left(k, 16), sha256(convert_to(k, 'UTF8')), 'perf.sh'
FROM projects p JOIN orgs o ON o.id = p.org_id
CROSS JOIN LATERAL (SELECT 'tw_live_perf' || replace(o.slug, '-', '') || 'x' || md5(o.slug) AS k) AS key" >/dev/null
perf_key() { echo "tw_live_perf${1//-/}x$(printf '%s' "$1" | md5sum | cut -d' ' -f1)"; }
keys_lua=$(for n in $(seq 50); do printf '"%s",' "$(perf_key "perf-$n")"; done)
dup_key=$(perf_key perf-dup)
cat >"$data/usage50.lua" <<EOF
local keys = { $keys_lua }
local body = '$body'
request = function()
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. keys[math.random(#keys)] }, body)
end
EOF
for n in 100 1000; do
    python3 -c "import json,sys; print(json.dumps([json.loads(sys.argv[1])] * int(sys.argv[2])))" "$body" "$n" >"$data/batch$n.json"
    cat >"$data/batch$n.lua" <<EOF
wrk.method = "POST"
wrk.body = io.open("$data/batch$n.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF
done

# name|path|auth|connections|reports per request: auth is page (session cookie), api
# (Bearer key, POST), api50 (one of 50 organizations' keys), batch100 / batch1000, none
targets=(
    "/healthz (no SQL)|/healthz|none"
    "/readyz (floor: one SELECT 1)|/readyz|none"
    "members page (50 rows, sorted by name)|/orgs/$slug/members|page"
    "members search (?q=member 42)|/orgs/$slug/members?q=member+42|page"
    "project API keys page|/orgs/$slug/api-keys|page"
    "POST /api/v1/usage (one key, one org)|/api/v1/usage|api"
    "POST /api/v1/usage, one org, 100 connections|/api/v1/usage|api|100"
    "POST /api/v1/usage, 50 orgs, 100 connections|/api/v1/usage|api50|100"
    "POST /api/v1/usage/batch, 100 reports|/api/v1/usage/batch|batch100||100"
    "POST /api/v1/usage/batch, 1,000 reports|/api/v1/usage/batch|batch1000||1000"
)
if grep -q activity src/routes/mod.rs; then
    # A cursor ~500,000 entries deep, read from the database like a client that paged there.
    deep=$(run_sql -h "$data/postgres" -U postgres -d teamwork -Atc \
        "SELECT a.id FROM activity a JOIN organizations o ON o.id = a.org_id
         WHERE o.slug = '$slug' ORDER BY a.id DESC OFFSET $((activity / 2)) LIMIT 1")
    targets+=(
        "activity log, first page|/orgs/$slug/activity|page"
        "activity log, deep page (before=, ~$((activity / 2)) entries in)|/orgs/$slug/activity?before=$deep|page"
    )
fi

statements() { curl -sf "http://127.0.0.1:$metrics_port/metrics" | awk '$1 == "teamwork_db_statements_total" { print $2 }'; }
request() { # request <path> <auth>: one request, prints the status
    local path=$1 auth=$2
    case $auth in
        page) curl -s -o /dev/null -w '%{http_code}' -H "Cookie: teamwork=$cookie" "$base$path" ;;
        api) curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
            -H 'Content-Type: application/json' -d "$body" "$base$path" ;;
        api50) curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(perf_key perf-1)" \
            -H 'Content-Type: application/json' -d "$body" "$base$path" ;;
        batch*) curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
            -H 'Content-Type: application/json' -d "@$data/$auth.json" "$base$path" ;;
        *) curl -s -o /dev/null -w '%{http_code}' "$base$path" ;;
    esac
}
bench() { # bench <connections> <duration> <path> <auth> <output>
    local args=(-t"$threads" -c"$1" -d"$2" --latency)
    case $4 in
        page) args+=(-H "Cookie: teamwork=$cookie") ;;
        api) args+=(-s "$data/usage.lua") ;;
        api50) args+=(-s "$data/usage50.lua") ;;
        batch*) args+=(-s "$data/$4.lua") ;;
    esac
    wrk "${args[@]}" "$base$3" >"$5"
}

least() { sort -n | head -1; }
# What a scrape itself adds to the next reading (its outbox query).
scrape_cost=$(for _ in $(seq "$samples"); do
    before=$(statements)
    echo $(($(statements) - before))
done | least)

rows=()
floor=
for target in "${targets[@]}"; do
    IFS='|' read -r name path auth conns per_request <<<"$target"
    # Statements per request: the smallest count over sequential requests, each between
    # two reads of the counter, after a warm-up request (the session's last-seen touch,
    # the key's last-used update and the kept Access health badge are written at most
    # once a minute). The background workers share the pool and the counter (the mail
    # outbox and the audit stream each poll once a second), so a reading can only be too
    # high; with two polls a second the most frequent reading often included one.
    status=$(request "$path" "$auth")
    per=$(for _ in $(seq "$samples"); do
        before=$(statements)
        request "$path" "$auth" >/dev/null
        echo $(($(statements) - before - scrape_cost))
    done | least)
    echo "$name: HTTP $status, $per statements/request; wrk $duration..." >&2
    out="$data/wrk-${#rows[@]}.txt"
    bench "${conns:-$connections}" "$duration" "$path" "$auth" "$out"
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")
    p50=$(awk '$1 == "50%" { print $2 }' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$out")
    socket=$(awk -F'[ ,]+' '/Socket errors/ { print $5 + $7 + $9 + $11 }' "$out")
    errors=$((${non2xx:-0} + ${socket:-0}))
    [[ $path == /readyz ]] && floor=$rps
    rows+=("$name|$rps|$p50|$p99|$errors|$per|${per_request:-1}")
done

# 10,000 retries sent concurrently: 100 request ids, each sent 100 times, shuffled, over
# 100 keep-alive connections, to the perf-dup organization.
echo "10,000 concurrent retries of 100 request ids..." >&2
retries=$(python3 - "$port" "$dup_key" "$body" <<'PY'
import http.client, json, random, sys, threading, time
port, key, body = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
jobs = [f"dup-{i}" for i in range(100)] * 100
random.shuffle(jobs)
answers, lock = [], threading.Lock()
def worker(mine):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for rid in mine:
        conn.request("POST", "/api/v1/usage", json.dumps(dict(body, id=rid)),
                     {"Content-Type": "application/json", "Authorization": "Bearer " + key})
        r = conn.getresponse()
        answer = json.loads(r.read() or b"{}")
        with lock:
            answers.append((rid, r.status, answer.get("id"), answer.get("duplicate", False)))
start = time.monotonic()
threads = [threading.Thread(target=worker, args=(jobs[t::100],)) for t in range(100)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - start
firsts = sum(1 for a in answers if a[1] == 201 and not a[3])
ids_per_request = {}
for rid, _, event, _ in answers:
    ids_per_request.setdefault(rid, set()).add(event)
split = sum(1 for s in ids_per_request.values() if len(s) > 1)
other = sum(1 for a in answers if a[1] != 201)
print(f"{len(answers)} {firsts} {split} {other} {len(answers) / elapsed:.0f}")
PY
)
read -r sent firsts split other retry_rps <<<"$retries"
dup_events=$(sql "SELECT count(*) FROM usage_events e JOIN organizations o ON o.id = e.org_id WHERE o.slug = 'perf-dup'")
# Reports charged by the ledger (an entry charges the reports committed together).
dup_charges=$(sql "SELECT count(*) FROM credit_ledger l JOIN organizations o ON o.id = l.org_id,
    unnest(coalesce(l.usage_event_ids, ARRAY[l.usage_event_id])) AS charged WHERE o.slug = 'perf-dup' AND l.kind = 'usage'")
off_balances=$(sql "SELECT count(*) FROM billing_accounts b
    WHERE balance_micro <> (SELECT coalesce(sum(amount_micro), 0) FROM credit_ledger l WHERE l.org_id = b.org_id)")

# The Usage page (last 30 days) on one connection, before and after adding raw reports
# to the seeded organization with set-based SQL (chunks of 5,000,000 rows spread over the
# last 28 days and the organization's keys). For speed the load skips the per-row foreign
# key checks and the insert trigger (session_replication_role = replica) and upserts the
# hourly rollup from the inserted rows in the same statement, as the trigger would.
usage_page() { # usage_page <output>
    wrk -t1 -c1 -d10s --latency -H "Cookie: teamwork=$cookie" "$base/orgs/$slug/usage?days=30" >"$1"
}
raw_before=$(sql "SELECT count(*) FROM usage_events e JOIN organizations o ON o.id = e.org_id WHERE o.slug = '$slug'")
echo "Usage page with $raw_before raw reports..." >&2
usage_page "$data/wrk-usage-before.txt"
echo "adding $usage_rows raw reports..." >&2
insert_start=$(date +%s)
for ((done_rows = 0; done_rows < usage_rows; done_rows += 5000000)); do
    if ((usage_load_seconds > 0 && $(date +%s) - insert_start >= usage_load_seconds)); then
        echo "  stopping after $done_rows rows: USAGE_LOAD_SECONDS=$usage_load_seconds reached" >&2
        break
    fi
    chunk=$((usage_rows - done_rows < 5000000 ? usage_rows - done_rows : 5000000))
    sql "
    SET session_replication_role = replica;
    WITH keys AS (SELECT array_agg(k.id ORDER BY k.id) AS ids, array_agg(k.project_id ORDER BY k.id) AS projects,
                         min(o.id::text)::uuid AS org_id
                  FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE o.slug = '$slug'),
    raw AS (
      INSERT INTO usage_events (org_id, project_id, api_key_id, model, requests, input_tokens,
                                output_tokens, cost_micro, occurred_at, created_at)
      SELECT keys.org_id, keys.projects[1 + g % cardinality(keys.ids)], keys.ids[1 + g % cardinality(keys.ids)],
             'gpt-large', 1, 1200, 300, 3750, now() - (g % 2419200) * interval '1 second', now()
      FROM keys, generate_series($((done_rows + 1)), $((done_rows + chunk))) AS g
      RETURNING org_id, project_id, api_key_id, model, requests, input_tokens, output_tokens, cost_micro, occurred_at)
    INSERT INTO usage_hourly AS h (org_id, hour, project_id, api_key_id, model, reports, requests,
                                   input_tokens, output_tokens, cost_micro)
    SELECT org_id, date_trunc('hour', occurred_at, 'UTC'), project_id, api_key_id, model, count(*),
           sum(requests), sum(input_tokens), sum(output_tokens), sum(cost_micro)
    FROM raw GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, hour, project_id, api_key_id, model) DO UPDATE
    SET reports = h.reports + EXCLUDED.reports, requests = h.requests + EXCLUDED.requests,
        input_tokens = h.input_tokens + EXCLUDED.input_tokens,
        output_tokens = h.output_tokens + EXCLUDED.output_tokens,
        cost_micro = h.cost_micro + EXCLUDED.cost_micro" >/dev/null
    echo "  $((done_rows + chunk)) rows, $(($(date +%s) - insert_start)) s" >&2
done
sql "VACUUM ANALYZE usage_hourly" >/dev/null
raw_after=$(sql "SELECT count(*) FROM usage_events e JOIN organizations o ON o.id = e.org_id WHERE o.slug = '$slug'")
rollup_rows=$(sql "SELECT count(*) FROM usage_hourly h JOIN organizations o ON o.id = h.org_id WHERE o.slug = '$slug'")
echo "Usage page with $raw_after raw reports..." >&2
usage_page "$data/wrk-usage-after.txt"
insert_seconds=$(($(date +%s) - insert_start))

# RSS of the app process (Postgres is separate processes) under 100 connections.
echo "members page at 100 connections, sampling RSS..." >&2
bench 100 10s "/orgs/$slug/members" page "$data/wrk-rss.txt" &
load=$!
rss=0
while kill -0 "$load" 2>/dev/null; do
    now=$(ps -o rss= -p "$server" | tr -d ' ')
    ((now > rss)) && rss=$now
    sleep 0.5
done
wait "$load"
rss_errors=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$data/wrk-rss.txt")

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo
load_range=$(sort -n "$data/load.txt" | awk 'NR == 1 { low = $1 } { high = $1 } END { print low " to " high }')
echo "$(date -u +%Y-%m-%d), commit $commit, $(nproc) cores, $memory, $cpu, one-minute load average" \
    "$load_range during the run (sampled every 30 s); wrk $duration, $threads threads, $connections connections;" \
    "$members members, $activity activity entries"
echo
echo "| target | requests/s | reports/s | p50 | p99 | errors | x floor | SQL statements/request |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
    IFS='|' read -r name rps p50 p99 errors per reports <<<"$row"
    ratio=$(awk -v r="$rps" -v f="${floor:-0}" 'BEGIN { if (f > 0) printf "%.2f", r / f; else print "-" }')
    echo "| $name | $rps | $((rps * reports)) | $p50 | $p99 | $errors | $ratio | $per |"
done
echo
echo "Retries: $sent requests for 100 request ids ($retry_rps requests/s), $firsts answered as" \
    "first results, $split ids answered with two different events, $other not 201;" \
    "perf-dup has $dup_events usage events and $dup_charges charges (100 expected: 0 double" \
    "charges when both are 100); organizations whose balance differs from their ledger's sum:" \
    "$off_balances."
latency() { awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } /^Requests\/sec/ { r = $2 }
    END { printf "p50 %s, p99 %s, %.0f requests/s", p50, p99, r }' "$1"; }
echo
echo "Usage page (30 days, 1 connection, 10 s): $raw_before raw reports: $(latency "$data/wrk-usage-before.txt");" \
    "$raw_after raw reports ($rollup_rows rollup rows; adding them took $insert_seconds s):" \
    "$(latency "$data/wrk-usage-after.txt")"
echo
echo "RSS of the app process at 100 connections (members page, 10 s): max $((rss / 1024)) MiB" \
    "($((rss)) KiB), errors ${rss_errors:-0}"

#!/usr/bin/env bash
# Throughput of the main pages and the usage API against a demo organization of 10,000
# members and a million activity entries; not part of the test command. Builds the release
# binary, seeds a fresh embedded Postgres in a temporary DATA_DIR, signs in as the seeded
# administrator with curl, then runs wrk against each target in turn and prints one
# Markdown table: requests/s, p50, p99, errors, the ratio to the floor (`/readyz`, one
# `SELECT 1`), SQL statements per request (the app's statement counter, read through
# `teamwork_db_statements_total` on METRICS_ADDR) and the RSS of the app at 100 connections.
#   tests/bench/perf.sh                   # DURATION=15s THREADS=2 CONNECTIONS=50
#   DURATION=5s MEMBERS=1000 ACTIVITY=100000 tests/bench/perf.sh   # a quick run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

duration=${DURATION:-15s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-50}
members=${MEMBERS:-10000}
activity=${ACTIVITY:-1000000}
samples=15 # sequential requests per target when counting statements

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null && continue
    if [[ $tool != wrk || $(id -u) -ne 0 ]]; then
        echo "$tool is missing (wrk: sudo apt-get install -y wrk)" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
done

cargo build --release --locked --quiet
binary="${CARGO_TARGET_DIR:-target}/release/teamwork"

# Under the system temp dir and open to others: as root, Postgres runs as `postgres`.
data=$(mktemp -d "${TMPDIR:-/tmp}/teamwork-perf.XXXXXX")
chmod 755 "$data"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics_port=$(free_port)
base="http://127.0.0.1:$port"
jar="$data/cookies"
server=
cleanup() {
    if [[ -n $server ]]; then kill -TERM "$server" 2>/dev/null && wait "$server" || true; fi
    rm -rf "$data"
}
trap cleanup EXIT
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

# name|path|auth: page (session cookie), api (Bearer key, POST), none
targets=(
    "/healthz (no SQL)|/healthz|none"
    "/readyz (floor: one SELECT 1)|/readyz|none"
    "members page (50 rows, sorted by name)|/orgs/$slug/members|page"
    "members search (?q=member 42)|/orgs/$slug/members?q=member+42|page"
    "project API keys page|/orgs/$slug/api-keys|page"
    "POST /api/v1/usage (one key, one org)|/api/v1/usage|api"
)
if grep -q activity src/routes/mod.rs; then
    # A cursor ~500,000 entries deep, read from the database like a client that paged there.
    psql=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
    psql=$(command -v psql || echo "$psql")
    run_sql() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$psql" "$@"; else "$psql" "$@"; fi; }
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
        *) curl -s -o /dev/null -w '%{http_code}' "$base$path" ;;
    esac
}
bench() { # bench <connections> <duration> <path> <auth> <output>
    local args=(-t"$threads" -c"$1" -d"$2" --latency)
    case $4 in
        page) args+=(-H "Cookie: teamwork=$cookie") ;;
        api) args+=(-s "$data/usage.lua") ;;
    esac
    wrk "${args[@]}" "$base$3" >"$5"
}

mode() { sort -n | uniq -c | sort -k1,1nr -k2,2n | awk 'NR == 1 { print $2 }'; }
# What a scrape itself adds to the next reading (its outbox query).
scrape_cost=$(for _ in $(seq "$samples"); do
    before=$(statements)
    echo $(($(statements) - before))
done | mode)

rows=()
floor=
for target in "${targets[@]}"; do
    IFS='|' read -r name path auth <<<"$target"
    # Statements per request: the most frequent count over sequential requests, each
    # between two reads of the counter (the mail worker's poll, once a second, shares the
    # pool and the counter; the mode leaves it out), after a warm-up request (the session's
    # last-seen touch and the key's last-used update are writes limited to one a minute).
    status=$(request "$path" "$auth")
    per=$(for _ in $(seq "$samples"); do
        before=$(statements)
        request "$path" "$auth" >/dev/null
        echo $(($(statements) - before - scrape_cost))
    done | mode)
    echo "$name: HTTP $status, $per statements/request; wrk $duration..." >&2
    out="$data/wrk-${#rows[@]}.txt"
    bench "$connections" "$duration" "$path" "$auth" "$out"
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")
    p50=$(awk '$1 == "50%" { print $2 }' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$out")
    socket=$(awk -F'[ ,]+' '/Socket errors/ { print $4 + $6 + $8 + $10 }' "$out")
    errors=$((${non2xx:-0} + ${socket:-0}))
    [[ $path == /readyz ]] && floor=$rps
    rows+=("$name|$rps|$p50|$p99|$errors|$per")
done

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
echo "$(date -u +%Y-%m-%d), commit $commit, $(nproc) cores, $memory, $cpu, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg); wrk $duration, $threads threads, $connections connections;" \
    "$members members, $activity activity entries"
echo
echo "| target | requests/s | p50 | p99 | errors | x floor | SQL statements/request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
    IFS='|' read -r name rps p50 p99 errors per <<<"$row"
    ratio=$(awk -v r="$rps" -v f="${floor:-0}" 'BEGIN { if (f > 0) printf "%.2f", r / f; else print "-" }')
    echo "| $name | $rps | $p50 | $p99 | $errors | $ratio | $per |"
done
echo
echo "RSS of the app process at 100 connections (members page, 10 s): max $((rss / 1024)) MiB" \
    "($((rss)) KiB), errors ${rss_errors:-0}"

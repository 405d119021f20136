#!/usr/bin/env bash
# Load test of the members page; not part of the test command. Builds the release binary,
# serves it on the embedded Postgres in a fresh temp DATA_DIR, signs up and creates an
# organization with curl, then runs wrk against the members page (60 s, 2 threads,
# 50 connections by default) and prints throughput, p50, p99, errors and the machine.
#   tests/bench/load.sh                 # DURATION=60s THREADS=2 CONNECTIONS=50
#   DURATION=10s tests/bench/load.sh    # a quick run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

duration=${DURATION:-60s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-50}

if ! command -v wrk >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "wrk is missing: sudo apt-get install -y wrk" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi

cargo build --release --locked --quiet
binary="${CARGO_TARGET_DIR:-target}/release/teamwork"

# Under the system temp dir and open to others: as root, Postgres runs as `postgres`.
data=$(mktemp -d "${TMPDIR:-/tmp}/teamwork-load.XXXXXX")
chmod 755 "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
jar="$data/cookies"

DATA_DIR="$data" BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn \
    "$binary" serve >"$data/server.log" 2>&1 &
server=$!
cleanup() {
    kill -TERM "$server" 2>/dev/null && wait "$server" || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 600); do
    curl -sf "$base/healthz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; exit 1; }
    sleep 0.1
done

csrf() { curl -sf -c "$jar" -b "$jar" "$base$1" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | cut -d'"' -f4; }
post() { # post <path> <form fields...>: prints the Location of the 303
    local path=$1; shift
    local args=()
    for field in "$@"; do args+=(--data-urlencode "$field"); done
    curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' \
        "${args[@]}" --data-urlencode "_csrf=$(csrf /orgs/new)" "$base$path"
}

token=$(csrf /signup)
curl -s -c "$jar" -b "$jar" -o /dev/null \
    --data-urlencode "name=Load Admin" --data-urlencode "email=load@example.com" \
    --data-urlencode "password=correct horse battery" --data-urlencode "_csrf=$token" "$base/signup"
# Signing up signs nobody in (it must not tell whether the address had an account).
token=$(csrf /login)
curl -s -c "$jar" -b "$jar" -o /dev/null \
    --data-urlencode "email=load@example.com" \
    --data-urlencode "password=correct horse battery" --data-urlencode "_csrf=$token" "$base/login"
members=$(post /orgs "name=Load Test")
members=${members#"$base"}
slug=${members#/orgs/}
slug=${slug%/members}
# A page with some rows: 20 pending invitations (mail goes to DATA_DIR/mail).
emails=$(printf 'guest%d@example.com\n' $(seq 20))
post "/orgs/$slug/invitations" "emails=$emails" "role=developer" >/dev/null
cookie=$(awk '$6 == "teamwork" { print $7 }' "$jar")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: teamwork=$cookie" "$base$members")
if [[ -z $cookie || $status != 200 ]]; then
    echo "could not sign in (members page: $status)" >&2
    exit 1
fi

echo "wrk: $duration, $threads threads, $connections connections, GET $members (signed in)"
wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -H "Cookie: teamwork=$cookie" "$base$members" | tee "$data/wrk.txt"

rps=$(awk '/^Requests\/sec/ { print $2 }' "$data/wrk.txt")
p50=$(awk '$1 == "50%" { print $2 }' "$data/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$data/wrk.txt")
total=$(awk '/requests in/ { print $1 }' "$data/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$data/wrk.txt")
socket=$(awk -F'[ ,]+' '/Socket errors/ { print $4 + $6 + $8 + $10 }' "$data/wrk.txt")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo
echo "members page: ${rps} req/s, p50 ${p50}, p99 ${p99}, requests ${total}," \
    "errors: non-2xx ${non2xx:-0}, socket ${socket:-0}"
echo "machine: $(nproc) cores, ${memory}, ${cpu}"

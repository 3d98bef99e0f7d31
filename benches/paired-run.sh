#!/usr/bin/env bash
# Two builds side by side on SQLite, wrk alternating between them: the way to tell a
# few per cent on a machine whose speed drifts by as much within minutes.
#
#   benches/paired-run.sh BEFORE_BIN AFTER_BIN
#   ROUNDS=4 DUR=15 SCEN=devices_by_unit PAUSE=10 benches/paired-run.sh ...
#
# A build to compare with: git worktree add /tmp/before <commit> &&
# (cd /tmp/before && CARGO_TARGET_DIR=/tmp/before-target cargo build --release).
# Each build gets a fresh `stilla demo` database and 64 tokens; the per-token rate is
# raised as in load-run.sh (checked on every request, never binding).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
ROUNDS=${ROUNDS:-3} DUR=${DUR:-15} SCEN=${SCEN:-devices_by_status} PAUSE=${PAUSE:-0}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # name binary port
    local name=$1 bin=$2 port=$3 url="sqlite://$WORK/$1.db?mode=rwc" token
    "$bin" demo --database "$url" > "$WORK/$name.demo.json" 2>/dev/null
    token=$(python3 -c "import json; print(json.load(open('$WORK/$name.demo.json'))['admin_token'])")
    STILLA_LIMITS__TOKEN_REQUESTS_PER_SECOND=1000000 STILLA_LIMITS__TOKEN_REQUEST_BURST=1000000 \
        "$bin" serve --database "$url" --listen "127.0.0.1:$port" > "$WORK/$name.log" 2>&1 &
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
    for n in $(seq 1 64); do
        curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
            -d "{\"name\": \"load client $n\", \"role\": \"admin\"}" "http://127.0.0.1:$port/api/v1/tokens" \
            | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])"
    done > "$WORK/$name.tokens"
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/units?limit=500" \
        | python3 -c "import json,sys; [print(u['id']) for u in json.load(sys.stdin)['items']]" > "$WORK/$name.units"
}

run() { # name port
    STILLA_TOKENS="$WORK/$1.tokens" STILLA_UNITS="$WORK/$1.units" STILLA_PAUSE_MS=$PAUSE \
        wrk -t2 -c64 -d"${DUR}s" --latency -s "benches/wrk/$SCEN.lua" "http://127.0.0.1:$2" \
        | grep -E "Requests/sec|^ +(50|99)%|Non-2xx" | tr -s ' ' | paste -sd' ' | sed "s/^/$1: /"
}

start before "$1" 18501
start after "$2" 18502
echo "$SCEN, 64 connections, ${DUR}s, pause ${PAUSE} ms"
for _ in $(seq 1 "$ROUNDS"); do run before 18501; run after 18502; done

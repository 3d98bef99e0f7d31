#!/usr/bin/env bash
# Console pages of two builds side by side, wrk alternating between them, as
# paired-run.sh does for the API: the way to tell a tenth of a millisecond on a machine
# whose speed drifts by more between two console-run.py runs a minute apart.
#
#   benches/console-paired.sh BEFORE_BIN AFTER_BIN [PAGE ...]
#   ROUNDS=3 DUR=10 CONNS=1 WHO=manager benches/console-paired.sh ...
#
# Each build gets a fresh `stilla demo` database; the admin (or, with WHO=manager, a
# manager of the first unit) signs in through the form and wrk sends the session
# cookie. CONNS=1 is console-run.py's one browser.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN [PAGE ...]" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
BEFORE=$1 AFTER=$2
shift 2
PAGES=("$@")
[ ${#PAGES[@]} -gt 0 ] || PAGES=(/console/import /console/devices /console/reports/unused-subscriptions)
ROUNDS=${ROUNDS:-3} DUR=${DUR:-10} CONNS=${CONNS:-1}
export WHO=${WHO:-admin}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # name binary port -> $WORK/name.cookie: the session cookie
    local name=$1 bin=$2 port=$3 url="sqlite://$WORK/$1.db?mode=rwc"
    "$bin" demo --database "$url" > "$WORK/$name.demo.json" 2>/dev/null
    STILLA_LIMITS__TOKEN_REQUESTS_PER_SECOND=1000000 STILLA_LIMITS__TOKEN_REQUEST_BURST=1000000 \
        "$bin" serve --database "$url" --listen "127.0.0.1:$port" > "$WORK/$name.log" 2>&1 &
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
    python3 - "$WORK/$name.demo.json" "$port" > "$WORK/$name.cookie" <<'EOF'
import http.client, json, os, re, sys, urllib.parse
token = json.load(open(sys.argv[1]))["admin_token"]
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
if os.environ["WHO"] == "manager":
    auth = {"Authorization": f"Bearer {token}"}
    conn.request("GET", "/api/v1/units?limit=1", headers=auth)
    units = json.loads(conn.getresponse().read())
    assert "items" in units, units
    unit = units["items"][0]["id"]
    body = json.dumps({"name": "paired manager", "role": "manager", "unit_ids": [unit]})
    conn.request("POST", "/api/v1/tokens", body, {**auth, "Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["token"]
conn.request("GET", "/console/sign-in")
r = conn.getresponse()
html = r.read()
jar = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
csrf = re.search(rb'name="csrf" value="([^"]+)"', html).group(1).decode()
body = urllib.parse.urlencode({"csrf": csrf, "token": token, "next": "/console"})
conn.request("POST", "/console/sign-in", body,
             {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(jar)})
r = conn.getresponse()
r.read()
print(next(v.split(";")[0] for k, v in r.getheaders()
           if k.lower() == "set-cookie" and "session" in v))
EOF
}

run() { # name port cookie page
    wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "Cookie: $3" "http://127.0.0.1:$2$4" \
        | grep -E "Requests/sec|^ +(50|99)%|Non-2xx" | tr -s ' ' | paste -sd' ' | sed "s|^|$1 $4: |"
}

# Not in $(…): the servers must stay this shell's jobs, for the trap to stop them.
start before "$BEFORE" 18511
start after "$AFTER" 18512
BEFORE_COOKIE=$(cat "$WORK/before.cookie") AFTER_COOKIE=$(cat "$WORK/after.cookie")
echo "$WHO, ${CONNS} connection(s), ${DUR}s a run, back to back"
for page in "${PAGES[@]}"; do
    for _ in $(seq 1 "$ROUNDS"); do
        run before 18511 "$BEFORE_COOKIE" "$page"
        run after 18512 "$AFTER_COOKIE" "$page"
    done
done

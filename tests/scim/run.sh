#!/usr/bin/env bash
# scim2-tester (PyPI: the python-scim project's RFC 7643/7644 compliance checks) against
# Stilla's /scim/v2: a fresh SQLite tenant, a token with the scim role, and placement by
# group (the tester sends random cost centres and titles, which placement by cost
# centre or title rightly refuses; tests/api/directory.rs proves that refusal). Exits
# non-zero on any failed check.
#
# Usage: tests/scim/run.sh PATH_TO_STILLA_BINARY
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stilla="$1"
version="0.5.2"
venv="${TMPDIR:-/tmp}/stilla-ci-scim2-tester"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" show scim2-tester 2>/dev/null | grep -q "^Version: $version$"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "scim2-tester[httpx2]==$version" >/dev/null
fi

work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
db="sqlite://$work/stilla.db?mode=rwc"
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The tester sends its checks back to back with one token: the token budget, which
# tests/api/hardening.rs tests, is raised out of its way.
STILLA_LIMITS__TOKEN_REQUESTS_PER_SECOND=1000000 \
STILLA_LIMITS__TOKEN_REQUEST_BURST=1000000 \
STILLA_DELIVERY__ENABLED=false \
STILLA_SECRETS__KEY="$(head -c 32 /dev/urandom | base64)" \
STILLA_LOG__FILTER=warn \
    "$stilla" serve --listen "127.0.0.1:$port" --database "$db" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
admin="$(grep -o 'stl_[A-Za-z0-9_-]*' "$work/serve.log" | head -1)"
api="http://127.0.0.1:$port/api/v1"
scim="$(curl -sf -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
    -d '{"name": "scim2-tester", "role": "scim"}' "$api/tokens" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
curl -sf -X PUT -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
    -d '{"unit_from": "group", "role_from": "group"}' "$api/directory/settings" >/dev/null

"$venv/bin/python" "$here/check.py" "http://127.0.0.1:$port" "$scim" \
    || { echo "scim2-tester found failures; the server's log:"; tail -50 "$work/serve.log"; exit 1; }

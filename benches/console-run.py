#!/usr/bin/env python3
"""The console's page-time and page-weight run behind BENCHMARKS.md (issue 6's targets).

    python3 benches/console-run.py            # SQLite: a fresh `stilla demo` database
    STILLA_CONSOLE_DB=postgres://postgres@127.0.0.1:5432/stilla_console python3 benches/console-run.py

Builds the release binary, fills a fresh database with `stilla demo` (100 units,
20,000 employees, 100,000 devices, 50,000 subscriptions), starts `stilla serve`, signs
in through the sign-in form as an admin, a manager and an employee, then fetches each
console page 200 times in a row over one keep-alive connection (after 20 warm-up
requests) and prints p50/p95/max in ms and the page's weight: its HTML plus the CSS and
script it links (everything a first visit downloads: no fonts, no images).

Then the whole-tenant pages when each look follows a write (at once, one and two
seconds later), and an admin's working session: writes and looks with a reader's
pauses between them. STILLA_CONSOLE_PARTS=pages,writes,session picks the parts to run.
"""
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROUNDS = int(os.environ.get("STILLA_CONSOLE_ROUNDS", "200"))
WRITE_ROUNDS = int(os.environ.get("STILLA_CONSOLE_WRITE_ROUNDS", "20"))
SESSION_ROUNDS = int(os.environ.get("STILLA_CONSOLE_SESSION_ROUNDS", "30"))
# Which parts to run: pages (warm), writes (looks after a write), session.
PARTS = os.environ.get("STILLA_CONSOLE_PARTS", "pages,writes,session").split(",")
PORT = 18481
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "stilla")


def connect():
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)


def request(conn, method, path, body=None, cookie=None, headers=None):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheaders(), data


def sign_in(token):
    conn = connect()
    _, headers, html = request(conn, "GET", "/console/sign-in")
    jar = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', html).group(1).decode()
    body = urllib.parse.urlencode({"csrf": csrf, "token": token, "next": "/console"})
    status, headers, _ = request(
        conn, "POST", "/console/sign-in", body, "; ".join(jar),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303, status
    session = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and "stilla_session" in v]
    return session[0]


def weight(conn, cookie, html):
    total = len(html)
    for asset in re.findall(rb'(?:href|src)="(/console/assets/[^"]+)"', html):
        _, _, data = request(conn, "GET", asset.decode(), cookie=cookie)
        total += len(data)
    return total


def measure(label, cookie, path):
    conn = connect()
    for _ in range(20):
        status, _, html = request(conn, "GET", path, cookie=cookie)
    assert status == 200, (path, status)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        request(conn, "GET", path, cookie=cookie)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    kb = weight(conn, cookie, html) / 1024
    print(f"| {label} | `{path}` | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} | {kb:.1f} |")
    return p95, kb


def measure_after_write(label, cookie, path, write, pause=0.0):
    """The page's time when the tenant has just changed: every request follows an
    audited write (not timed), so no report result from before can be reused. With a
    `pause` (seconds), the look comes that long after the write, as a person's does."""
    conn = connect()
    times = []
    for n in range(WRITE_ROUNDS):
        write(n)
        time.sleep(pause)
        start = time.perf_counter()
        status, _, _ = request(conn, "GET", path, cookie=cookie)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, (path, status)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"| {label}, {pause:.1f} s after a write | `{path}` | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} |")
    return p95


def working_session(cookie, api, conn, device, holder):
    """An admin at work: each round takes a device back or hands it out again through
    the API (what the device page's forms do), lands on the device page as the form's
    redirect does, then looks at the dashboard, a follow-up report, the device list and
    the planner, pausing 1-3 s (seeded) before each, as a quick reader does. Every look
    is timed; the writes are not."""
    rng = random.Random(6)
    look = connect()
    reports = ["/console/reports/utilization", "/console/reports/returns-due",
               "/console/reports/unused-subscriptions"]
    times = []
    for n in range(SESSION_ROUNDS):
        action, body = ("unassign", "{}") if n % 2 == 0 else ("assign", json.dumps({"employee_id": holder}))
        status = request(conn, "POST", f"/api/v1/devices/{device}/{action}", body, headers=api)[0]
        assert status == 200, (action, status)
        pages = [f"/console/devices/{device}", "/console", reports[n % 3], "/console/devices",
                 "/console/rollout"]
        for i, path in enumerate(pages):
            if i > 0:
                time.sleep(rng.uniform(1.0, 3.0))
            start = time.perf_counter()
            status = request(look, "GET", path, cookie=cookie)[0]
            times.append((time.perf_counter() - start) * 1000)
            assert status == 200, (path, status)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    slow = sum(1 for t in times if t >= 50)
    print(f"| {len(times)} looks in {SESSION_ROUNDS} rounds | {statistics.median(times):.1f} | {p95:.1f} | "
          f"{times[-1]:.1f} | {slow} |")
    return p95


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    url = os.environ.get("STILLA_CONSOLE_DB") or f"sqlite://{work}/console.db?mode=rwc"
    demo = json.loads(subprocess.run([BIN, "demo", "--database", url], capture_output=True, check=True).stdout)
    token = demo["admin_token"]
    # Every limit at its default but one: the run fetches each page 200 times back to
    # back with one session, hundreds of pages a second, which is what a token's request
    # budget is there to stop and no person at a console does. The budget is raised so
    # that the pages are timed; its check still runs on every request.
    env = dict(os.environ,
               STILLA_LIMITS__TOKEN_REQUESTS_PER_SECOND="1000000",
               STILLA_LIMITS__TOKEN_REQUEST_BURST="1000000")
    server = subprocess.Popen([BIN, "serve", "--database", url, "--listen", f"127.0.0.1:{PORT}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                if request(connect(), "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn = connect()
        units = json.loads(request(conn, "GET", "/api/v1/units?limit=500", headers=api)[2])["items"]
        unit = units[0]["id"]
        device = json.loads(request(conn, "GET", "/api/v1/devices?status=assigned&limit=1", headers=api)[2])["items"][0]
        employee = json.loads(request(conn, "GET", "/api/v1/employees?limit=1", headers=api)[2])["items"][0]["id"]
        subscription = json.loads(request(conn, "GET", "/api/v1/subscriptions?limit=1", headers=api)[2])["items"][0]["id"]
        manager = json.loads(request(conn, "POST", "/api/v1/tokens", json.dumps(
            {"name": "bench manager", "role": "manager", "unit_ids": [unit]}), headers=api)[2])["token"]
        staff = json.loads(request(conn, "POST", "/api/v1/tokens", json.dumps(
            {"name": "bench employee", "role": "employee", "employee_id": employee}), headers=api)[2])["token"]
        admin, boss, me = sign_in(token), sign_in(manager), sign_in(staff)
        # A notice to all 20,000 people, planned for tomorrow (so nothing is pushed while
        # pages are timed): its page and follow-up read 20,000 recipients' standing.
        tomorrow = time.strftime("%Y-%m-%dT09:00:00Z", time.gmtime(time.time() + 86400))
        everyone = json.loads(request(conn, "POST", "/api/v1/notices", json.dumps(
            {"title": "Till alla", "body": "Bench.", "priority": "info", "send_at": tomorrow,
             "audience": {"all": True}}), headers=api)[2])["id"]
        if url.startswith("postgres"):
            # PostgreSQL's autovacuum analyses a table after a bulk insert within a
            # minute; this machine runs with autovacuum off, so the run does it once, as
            # `stilla demo` does after seeding. (Unanalysed, the planner expects 67
            # recipients, not 20,000, and joins them one by one: BENCHMARKS.md.)
            subprocess.run(["psql", url, "-qc", "ANALYZE notice_recipients"], check=True)
        if "pages" in PARTS:
            print("| who | page | p50 ms | p95 ms | max ms | weight KB |")
            print("|---|---|---|---|---|---|")
            results = [
                measure("admin", admin, "/console"),
                measure("admin", admin, "/console/devices"),
                measure("admin", admin, "/console/devices?status=assigned&kind=phone"),
                measure("admin", admin, f"/console/devices?unit_id={unit}"),
                measure("admin", admin, "/console/devices?q=SN-0004"),
                measure("admin", admin, "/console/devices?sort=model"),
                measure("admin", admin, "/console/devices?sort=-serial_number"),
                measure("admin", admin, f"/console/devices?unit_id={unit}&sort=model"),
                measure("admin", admin, "/console/search?q=SN-0004"),
                measure("admin", admin, "/console/subscriptions?q=070-1234"),
                measure("admin", admin, "/console/employees?q=person123"),
                measure("admin", admin, f"/console/devices/{device['id']}"),
                measure("admin", admin, "/console/subscriptions"),
                measure("admin", admin, "/console/subscriptions?sort=-operator"),
                measure("admin", admin, f"/console/subscriptions/{subscription}"),
                measure("admin", admin, "/console/employees"),
                measure("admin", admin, f"/console/employees/{employee}"),
                measure("admin", admin, "/console/units"),
                measure("admin", admin, "/console/import"),
                measure("admin", admin, "/console/working-time"),
                measure("admin", admin, "/console/rollout"),
                measure("admin", admin, "/console/tokens"),
                measure("admin", admin, "/console/audit"),
                measure("admin", admin, f"/console/notices/{everyone}"),
                measure("admin", admin, f"/console/notices/{everyone}?show=unread&page=100"),
                measure("admin", admin, "/console/reports/utilization"),
                measure("admin", admin, "/console/reports/returns-due"),
                measure("admin", admin, "/console/reports/unused-subscriptions"),
                measure("admin", admin, "/console/reports/contracts-expiring"),
                measure("manager", boss, "/console/notices"),
                measure("manager", boss, "/console/notices/new"),
                measure("manager", boss, "/console/devices"),
                measure("manager", boss, "/console/devices?sort=model"),
                measure("manager", boss, "/console/rollout"),
                measure("manager", boss, "/console/reports/returns-due"),
                measure("employee", me, "/console/me"),
            ]
            worst_p95 = max(p for p, _ in results)
            heaviest = max(k for _, k in results)
            print(f"\nworst p95 {worst_p95:.1f} ms (target < 50), heaviest page {heaviest:.1f} KB (target < 150)")

        def write(n):
            status = request(conn, "PATCH", f"/api/v1/units/{unit}",
                             json.dumps({"cost_center": f"CC-{n}"}), headers=api)[0]
            assert status == 200, status

        if "writes" in PARTS:
            print("\nThe same pages when every look follows a write, at once and after one and two seconds:\n")
            print("| who | page | p50 ms | p95 ms | max ms |")
            print("|---|---|---|---|---|")
            for pause in [0.0, 1.0, 2.0]:
                for path in ["/console", "/console/rollout", "/console/reports/utilization",
                             "/console/reports/returns-due", "/console/reports/unused-subscriptions"]:
                    measure_after_write("admin", admin, path, write, pause)

        if "session" in PARTS:
            print("\nAn admin's working session: a device taken back or handed out, then five pages:\n")
            print("| session | p50 ms | p95 ms | max ms | looks >= 50 ms |")
            print("|---|---|---|---|---|")
            working_session(admin, api, conn, device["id"], employee)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The push load run behind BENCHMARKS.md (issue 19).

    benches/push-run.py                        # SQLite, then PostgreSQL
    benches/push-run.py --stores sqlite --delays 40 --providers fcm

For each store: a fresh database with two demo tenants — 20,000 people for the rate
runs, 50,000 for the urgent and memory runs — one phone each, working around the
clock; `stilla serve` (release build, dispatcher on) sending through a provider
stand-in (`benches/push_standin.rs`) over TLS HTTP/2 that answers every push after the
round trip set (0, 40, 120 ms). Client, stand-in and database share this machine.

- rate: from `POST /api/v1/notices` (audience: all 20,000) until the stand-in has seen
  every push, planning and outbox writes included; for FCM and APNs, at each delay;
- the peer: Google's Node Admin SDK (firebase-admin `sendEach`, four batches of 500 in
  flight) pushing 20,000 to the same stand-in in the same run, at each delay;
- urgent: while a 50,000-person info notice is being pushed, an urgent notice to 10
  people: from its POST until its first push reaches the stand-in, 20 tries;
- memory: the server's resident memory, sampled through a 50,000-person fan-out: its
  peak, split into heap and SQLite's memory-mapped database file.

Needs openssl, node and npm (firebase-admin is installed under $TMPDIR on first use).
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FCM_PORT, CONTROL_PORT, APNS_PORT, SERVE_PORT = 9400, 9401, 9402, 18490
PEER_DIR = os.path.join(tempfile.gettempdir(), "stilla-bench-firebase")


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def http(method, url, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as answer:
        text = answer.read()
        return json.loads(text) if text and text[:1] in b"{[" else text


def control(method, path):
    return http(method, f"http://127.0.0.1:{CONTROL_PORT}{path}")


def api(method, path, token, body=None):
    return http(method, f"http://127.0.0.1:{SERVE_PORT}/api/v1{path}", token, body)


def build(standin, server):
    if server:
        stilla = server
    else:
        sh("cargo", "build", "--release", "--quiet", cwd=ROOT)
        stilla = os.path.join(ROOT, "target/release/stilla")
    if standin:
        return stilla, standin
    out = subprocess.run(
        ["cargo", "bench", "--bench", "push_standin", "--no-run", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    standin = None
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == "push_standin":
            standin = message["executable"]
    return stilla, standin


def peer_ready():
    """firebase-admin, with its FCM host constant pointed at the stand-in."""
    module = os.path.join(PEER_DIR, "node_modules/firebase-admin/lib/messaging/messaging.js")
    if not os.path.exists(module):
        os.makedirs(PEER_DIR, exist_ok=True)
        sh("npm", "install", "--silent", "--prefix", PEER_DIR, "firebase-admin@13")
    text = open(module).read()
    text = re.sub(r"const FCM_SEND_HOST = '[^']*';",
                  f"const FCM_SEND_HOST = 'localhost:{FCM_PORT}';", text)
    open(module, "w").write(text)
    # firebase-admin 13 sends `:scheme: https:` (colon included; its TODO b/401051826).
    # Google's front ends tolerate it; hyper's HTTP/2 server refuses the stream as
    # malformed. The colon goes; nothing else about the SDK changes.
    request = os.path.join(PEER_DIR, "node_modules/firebase-admin/lib/utils/api-request.js")
    text = open(request).read()
    text = text.replace("':scheme': this.options.protocol,",
                        "':scheme': this.options.protocol.replace(':', ''),")
    open(request, "w").write(text)


def run_peer(people, ca_file):
    env = dict(os.environ, NODE_PATH=os.path.join(PEER_DIR, "node_modules"),
               NODE_EXTRA_CA_CERTS=ca_file)
    script = os.path.join(PEER_DIR, "push-peer.mjs")
    shutil.copy(os.path.join(ROOT, "benches/push-peer.mjs"), script)
    control("POST", "/reset")
    out = subprocess.run(["node", script, str(people)], env=env, check=True,
                         capture_output=True, text=True, cwd=PEER_DIR).stdout
    result = json.loads(out.strip().splitlines()[-1])
    seen = control("GET", "/count")
    assert result["failed"] == 0 and seen["pushes"] == people, (result, seen)
    return people / result["seconds"]


def keys(work):
    sa_key = os.path.join(work, "sa.pem")
    sh("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
       "-out", sa_key, capture_output=True)
    account = os.path.join(work, "service-account.json")
    json.dump({"type": "service_account", "project_id": "bench",
               "client_email": "bench@bench.iam.gserviceaccount.com",
               "private_key": open(sa_key).read(),
               "token_uri": f"https://localhost:{FCM_PORT}/token"}, open(account, "w"))
    p8 = os.path.join(work, "AuthKey_BENCH12345.p8")
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-out", p8, capture_output=True)
    return account, p8


def config(work, account, p8, ca_file, extra):
    path = os.path.join(work, "stilla.toml")
    fcm_extra = "".join(f"{line}\n" for line in extra)
    open(path, "w").write(f"""
[push.fcm]
service_account_file = "{account}"
base_url = "https://localhost:{FCM_PORT}"
{fcm_extra}
[push.apns]
key_file = "{p8}"
key_id = "BENCH12345"
team_id = "BENCHTEAM1"
topic = "se.stilla.bench"
base_url = "https://localhost:{APNS_PORT}"

[push.network]
ca_file = "{ca_file}"
platform_roots = false

[delivery]
enabled = true

[log]
filter = "warn"
""")
    return path


def demo(stilla, url, name, people):
    out = subprocess.run([stilla, "demo", "--database", url, "--tenant", name, "--units",
                          str(people // 100), "--employees", str(people), "--devices", "0"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def phones(url, provider):
    """Every employee's one phone, of `provider` (rewritten between the provider runs)."""
    token = "lower(hex(e.id))" if url.startswith("sqlite") else "replace(e.id::text, '-', '')"
    token = f"{token} || {token}" if provider == "apns" else f"'fcm-' || {token}"
    statements = [
        "DELETE FROM deliveries", "DELETE FROM notice_recipients",
        "DELETE FROM push_registrations",
    ]
    new_id = "randomblob(16)" if url.startswith("sqlite") else "gen_random_uuid()"
    statements.append(
        "INSERT INTO push_registrations (id, tenant_id, employee_id, provider, token, "
        "urgent_off_hours, created_at, last_seen_at) "
        f"SELECT {new_id}, e.tenant_id, e.id, '{provider}', {token}, false, e.created_at, "
        "e.created_at FROM employees e")
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite://").split("?")[0])
        for s in statements:
            db.execute(s.replace("false", "0"))
        db.commit()
        db.execute("ANALYZE")
        db.close()
    else:
        sh("psql", "-q", url, "-c", "; ".join(statements), capture_output=True)
        # The deletes leave the last run's 20,000 rows dead in the queue index; a run
        # must not start by stepping over them (in service, rows are not deleted).
        sh("psql", "-q", url, "-c", "VACUUM ANALYZE", capture_output=True)


def vacuum(url):
    """What autovacuum does in service between two fan-outs, which this machine's
    PostgreSQL has switched off (`autovacuum = off`): without it every run steps over
    the dead row versions of all runs before it (850,000 by the end of a full run)."""
    if not url.startswith("sqlite"):
        sh("psql", "-q", url, "-c", "VACUUM ANALYZE deliveries, notice_recipients",
           capture_output=True)


def around_the_clock(token):
    day = [{"start": "00:00", "end": "24:00"}]
    api("PUT", "/policy", token, {"time_zone": "Europe/Stockholm", "working_hours":
        {d: day for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}})


def wait_for(pushes, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen = control("GET", "/count")
        if seen["pushes"] >= pushes:
            return seen
        time.sleep(0.005)
    raise SystemExit(f"the stand-in saw {seen['pushes']} of {pushes} pushes")


def notice(token, title, priority="important", audience=None):
    body = {"title": title, "body": "Gäller från måndag. Läs igenom före nästa pass.",
            "priority": priority, "audience": audience or {"all": True}}
    if priority == "urgent":
        body["urgent_reason"] = "Larm: personal behövs nu"
    return api("POST", "/notices", token, body)


def rate(token, people):
    control("POST", "/reset")
    started = time.time()
    sent = notice(token, "Ny rutin för läkemedelshantering")
    posted = time.time()
    assert sent["stats"]["recipients"] == people, sent["stats"]
    seen = wait_for(people)
    print(f"   planned and written {posted - started:.2f} s, first push after "
          f"{seen['first'] - started:.2f} s, last after {seen['last'] - started:.2f} s",
          flush=True)
    return people / (seen["last"] - started)


def serve(stilla, url, cfg, log):
    env = dict(os.environ, STILLA_LIMITS__URGENT_NOTICES_PER_HOUR="100000")
    server = subprocess.Popen([stilla, "serve", "--config", cfg, "--database", url,
                               "--listen", f"127.0.0.1:{SERVE_PORT}"],
                              stdout=log, stderr=log, env=env)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{SERVE_PORT}/readyz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("stilla serve did not become ready")


def memory_mb(pid):
    """The server's resident memory now: all of it, the heap (anonymous), and SQLite's
    memory-mapped database file (file-backed pages the kernel may drop at will)."""
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def fan_out_memory(token, pid):
    """A 50,000-person notice, the server's memory sampled every 20 ms until the
    stand-in has seen every push: the peaks."""
    control("POST", "/reset")
    peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    sender = subprocess.Popen([sys.executable, "-c", f"""
import json, urllib.request
r = urllib.request.Request("http://127.0.0.1:{SERVE_PORT}/api/v1/notices", method="POST",
    data=json.dumps({{"title": "Till alla", "body": "Ny rutin", "priority": "important",
        "audience": {{"all": True}}}}).encode(),
    headers={{"Authorization": "Bearer {token}", "Content-Type": "application/json"}})
urllib.request.urlopen(r, timeout=120).read()
"""])
    while True:
        now = memory_mb(pid)
        for k in peak:
            peak[k] = max(peak[k], now[k])
        if control("GET", "/count")["pushes"] >= 50_000:
            break
        time.sleep(0.02)
    sender.wait()
    peak["VmHWM"] = memory_mb(pid)["VmHWM"]
    return peak


def run_store(label, url, stilla, cfg, work, args, results):
    print(f"== {label}", flush=True)
    small = demo(stilla, url, "Rate", args.people)
    big = demo(stilla, url, "Fan-out", 50_000)
    log = open(os.path.join(work, f"serve-{label}.log"), "w")
    server = serve(stilla, url, cfg, log)
    try:
        for tenant in (small, big):
            around_the_clock(tenant["admin_token"])
        for provider in args.providers:
            phones(url, provider)
            for delay in args.delays:
                control("POST", f"/delay/{delay}")
                # The first notice after a change opens connections; one small warm-up.
                for _ in range(args.rounds):
                    vacuum(url)
                    r = rate(small["admin_token"], args.people)
                    results.append((label, provider, delay, "stilla", r))
                    print(f"{label} {provider} {delay} ms: {r:,.0f} pushes/s", flush=True)
                    if provider == "fcm" and not args.no_peer:
                        p = run_peer(args.people, args.ca_file)
                        results.append((label, provider, delay, "firebase-admin", p))
                        print(f"{label} firebase-admin {delay} ms: {p:,.0f} pushes/s", flush=True)
        # Urgent through a 50,000-person fan-out, over FCM at 40 ms.
        phones(url, "fcm")
        control("POST", "/delay/40")
        vacuum(url)
        peak = fan_out_memory(big["admin_token"], server.pid)
        results.append((label, "memory", 0, "stilla", peak))
        print(f"{label} memory at the peak of a 50,000 fan-out: {peak}", flush=True)
        people = [e["id"] for e in api("GET", "/employees?limit=10", big["admin_token"])["items"]]
        latencies = []
        for attempt in range(args.urgent_tries):
            vacuum(url)
            control("POST", "/reset")
            notice(big["admin_token"], f"Info {attempt}", priority="info")
            time.sleep(0.5)
            started = time.time()
            notice(big["admin_token"], f"MARK-{attempt}", priority="urgent",
                   audience={"employee_ids": people})
            while (seen := control("GET", "/count"))["marked"] is None:
                time.sleep(0.002)
            latencies.append(seen["marked"] - started)
            wait_for(50_010)
        latencies.sort()
        if not latencies:
            return
        results.append((label, "urgent", 40, "stilla", latencies))
        print(f"{label} urgent first push: median {statistics.median(latencies)*1000:.0f} ms, "
              f"max {latencies[-1]*1000:.0f} ms over {len(latencies)}", flush=True)

    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--providers", default="fcm,apns")
    parser.add_argument("--delays", default="0,40,120")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--urgent-tries", type=int, default=20)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--standin", help="a push_standin binary already built")
    parser.add_argument("--server", help="a release stilla binary already built")
    parser.add_argument("--fcm", action="append", default=[],
                        help="a line for [push.fcm], e.g. connections = 16")
    parser.add_argument("--postgres", default=os.environ.get(
        "STILLA_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    args.providers = args.providers.split(",")
    args.delays = [int(d) for d in args.delays.split(",")]

    stilla, standin_bin = build(args.standin, args.server)
    if not args.no_peer:
        peer_ready()
    work = tempfile.mkdtemp(prefix="stilla-push-run-")
    args.ca_file = os.path.join(work, "standin-ca.pem")
    standin = subprocess.Popen([standin_bin, "--port", str(FCM_PORT), "--apns-port",
                                str(APNS_PORT), "--control", str(CONTROL_PORT),
                                "--ca-out", args.ca_file], stderr=subprocess.DEVNULL)
    time.sleep(1)
    results = []
    try:
        account, p8 = keys(work)
        cfg = config(work, account, p8, args.ca_file, args.fcm)
        for store in args.stores.split(","):
            if store == "sqlite":
                url = f"sqlite://{work}/push.db?mode=rwc"
            else:
                name = f"stilla_push_run_{os.getpid()}"
                sh("psql", "-q", f"{args.postgres}/postgres", "-c", f"CREATE DATABASE {name}")
                url = f"{args.postgres}/{name}"
            try:
                run_store(store, url, stilla, cfg, work, args, results)
            finally:
                if store != "sqlite":
                    sh("psql", "-q", f"{args.postgres}/postgres", "-c",
                       f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        standin.terminate()
        shutil.rmtree(work, ignore_errors=True)
    print("\n| store | provider | round trip | sender | pushes/s |\n|---|---|---|---|---|")
    for label, provider, delay, who, value in results:
        if provider in ("fcm", "apns"):
            print(f"| {label} | {provider} | {delay} ms | {who} | {value:,.0f} |")
    for label, provider, delay, who, value in results:
        if provider == "urgent":
            p99 = value[min(len(value) - 1, int(len(value) * 0.99))]
            print(f"{label}: urgent first push, {len(value)} tries: median "
                  f"{statistics.median(value)*1000:.0f} ms, p99 {p99*1000:.0f} ms")
        if provider == "memory":
            print(f"{label}: at the peak of a 50,000-person fan-out: resident "
                  f"{value['VmRSS']:.0f} MB, of it heap {value['RssAnon']:.0f} MB and "
                  f"mapped database file {value['RssFile']:.0f} MB (high-water mark "
                  f"{value['VmHWM']:.0f} MB)")


if __name__ == "__main__":
    sys.exit(main())

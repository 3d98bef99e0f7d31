#!/usr/bin/env python3
"""A directory's first sync of a region, as Entra ID does it: for each person, look the
user up by userName, create them, then set their manager with a PATCH; then one group
with every member added in PATCHes of 100 (Entra's batch size), and finally deactivate
a tenth of them. Prints per-step latency percentiles and the whole sync's rate.

Usage: directory-sync.py BASE_URL SCIM_TOKEN PEOPLE CONCURRENCY
(the tenant needs a unit with cost centre K100 and the role category "Sjuksköterska").
"""
import http.client
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlparse

base, token, people, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = urlparse(base)
local = threading.local()
timings = {}
lock = threading.Lock()
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def call(step, method, path, body=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    started = time.perf_counter()
    local.conn.request(method, f"/scim/v2{path}", body=json.dumps(body) if body else None, headers=headers)
    response = local.conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    with lock:
        timings.setdefault(step, []).append(elapsed)
    if response.status >= 300:
        raise RuntimeError(f"{step}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None


def provision(i):
    name = f"person{i}@region.se"
    query = quote('userName eq "' + name + '"')
    call("lookup", "GET", f"/Users?filter={query}")
    user = call("create", "POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": name, "externalId": f"oid-{i}", "active": True,
        "displayName": f"Person {i}", "title": "Sjuksköterska",
        "emails": [{"type": "work", "primary": True, "value": name}],
        ENTERPRISE: {"costCenter": "K100", "employeeNumber": str(i)},
    })
    return user["id"]


def main():
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        ids = list(pool.map(provision, range(people)))
        boss = ids[0]
        list(pool.map(lambda i: call("set manager", "PATCH", f"/Users/{i}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss}]}), ids[1:]))
    group = call("create group", "POST", "/Groups", {"displayName": "Alla"})["id"]
    for start in range(0, len(ids), 100):
        call("add 100 members", "PATCH", f"/Groups/{group}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Add", "path": "members",
                            "value": [{"value": i} for i in ids[start:start + 100]]}]})
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: call("deactivate", "PATCH", f"/Users/{i}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}), ids[::10]))
    total = time.perf_counter() - started
    requests = sum(len(t) for t in timings.values())
    print(f"{people} people, {workers} at a time: {requests} requests in {total:.1f} s "
          f"({requests / total:.0f} requests/s)")
    for step, ms in timings.items():
        ms.sort()
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"  {step:16} n={len(ms):5}  p50 {statistics.median(ms):7.1f} ms  p99 {p99:7.1f} ms")


main()

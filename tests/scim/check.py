"""Runs scim2-tester (PyPI, the python-scim project's RFC 7643/7644 compliance checks)
against a running Stilla's /scim/v2 and fails on any check that does not pass.

Usage: check.py BASE_URL SCIM_TOKEN
"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, token = sys.argv[1], sys.argv[2]
http = Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"})
scim = SyncSCIMClient(http)
results = check_server(scim)
failed = [r for r in results if r.status == Status.ERROR]
for r in results:
    mark = "FAIL" if r.status == Status.ERROR else r.status.name.lower()
    print(f"{mark:10} {r.title} {r.resource_type or ''} {r.reason or ''}")
passed = sum(1 for r in results if r.status == Status.SUCCESS)
print(f"scim2-tester: {len(results)} checks, {passed} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)

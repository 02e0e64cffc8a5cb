"""Round trips and time of `ssoctl entra export` on a large tenant.

Run: python benchmarks/bench_entra.py [--apps 200] [--users 5000]
Builds a Graph twin (tests/entra/graphtwin.py) holding N SAML apps and M users, each app
assigned 25 users and one group, and exports them all in-process through
httpx.WSGITransport. Prints the Graph requests per app (budget: at most 3 per app plus
paging, with no request per user per app) and the export's time against a reference
measured in the same run: the twin alone answering the very same requests (so the ratio
is ssoctl's own cost, not the twin's). Needs the test extra (the twin and msal).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUESTS_PER_APP = 3


def build(apps: int, users: int) -> tuple[Any, str]:
    from tests.entra.conftest import TENANT_ID, make_der
    from tests.entra.graphtwin import GraphTwin

    twin = GraphTwin(TENANT_ID)
    ids = [twin.add_user(f"user{n:05d}@contoso.com") for n in range(users)]
    der = make_der(900)
    for n in range(apps):
        sp, _ = twin.add_saml_app(
            f"App {n:03d}",
            identifiers=[f"https://app{n:03d}.contoso.com"],
            reply_urls=[f"https://app{n:03d}.contoso.com/acs"],
        )
        twin.set_claims(sp, ("userprincipalname", "emailAddress"), {"urn:mail": "mail"})
        twin.add_signing_certificate(sp, der, end="2029-12-01T00:00:00Z", active=True)
        for k in range(25):
            twin.assign(sp, ids[(n * 25 + k) % users], "User")
        group = twin.add_group(f"Team {n:03d}", ids[n * 5 : n * 5 + 10])
        twin.assign(sp, group, "Group")
    return twin, TENANT_ID


def export_once(twin: Any, tenant_id: str) -> tuple[float, int]:
    import datetime as dt
    import os

    import httpx

    import ssoctl.entra.transport as transport
    from ssoctl import entra
    from ssoctl import tenant as wing
    from ssoctl.tenant.scaffold import create_tenant_folder  # noqa: F401 (init's files)
    from ssoctl.validate import edit_judge

    folder = Path(tempfile.mkdtemp())
    path = folder / "tenant.yaml"
    path.write_text(f"version: 1\ntenant:\n  id: {tenant_id}\n  domain: contoso.com\n")
    transport.make_client = lambda: httpx.Client(transport=httpx.WSGITransport(app=twin))
    environ = {"AZURE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
               "AZURE_CLIENT_SECRET": twin.knobs.secret}  # fmt: skip
    os.environ.pop("AZURE_TENANT_ID", None)
    start = time.perf_counter()
    connection = entra.connect(wing.load(path).model, str(path), environ)
    judge = edit_judge(force=True, now=dt.datetime.now(dt.timezone.utc))
    result = entra.export(path, connection, app=None, dry_run=False, judge=judge)
    elapsed = time.perf_counter() - start
    return elapsed, result.requests


def replay(twin: Any, log: list[tuple[str, str]]) -> float:
    """The twin alone, answering the same top-level requests (batches included)."""
    import httpx

    client = httpx.Client(transport=httpx.WSGITransport(app=twin))
    token = next(iter(twin.tokens))
    requests = [(m, p) for m, p in log if m in ("GET", "POST") and p.startswith(("/v1.0", "/beta"))]
    bodies = twin.batch_bodies
    start = time.perf_counter()
    batch = iter(bodies)
    for method, path in requests:
        url = f"https://graph.microsoft.com{path}"
        headers = {"Authorization": f"Bearer {token}"}
        if method == "POST":
            client.post(url, json=next(batch), headers=headers)
        else:
            client.get(url, headers=headers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--users", type=int, default=5000)
    args = parser.parse_args()
    twin, tenant_id = build(args.apps, args.users)
    twin.batch_bodies = []
    original = twin.batch

    def recording(body: dict[str, Any], beta: bool, token: str) -> Any:
        twin.batch_bodies.append(body)
        return original(body, beta, token)

    twin.batch = recording
    elapsed, requests = export_once(twin, tenant_id)
    reference = replay(twin, list(twin.log))
    per_app = requests / args.apps
    print(f"apps {args.apps}, users {args.users}")
    print(f"Graph requests: {requests} ({per_app:.2f} per app; budget {REQUESTS_PER_APP} per app "
          f"plus paging): {'ok' if per_app <= REQUESTS_PER_APP else 'OVER BUDGET'}")  # fmt: skip
    print(f"export: {elapsed:.2f} s; the twin alone answering the same requests: "
          f"{reference:.2f} s; ratio {elapsed / reference:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()

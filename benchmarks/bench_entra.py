"""Round trips and time of `ssoctl entra export` on a large tenant, and of `entra apply`
from empty and as a no-op.

Run: python benchmarks/bench_entra.py [--apps 200] [--users 5000] [--apply-apps 50]
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


def apply_from_empty(apps: int) -> None:
    """`entra apply` of N custom apps (claims, one assignment each) into an Entra holding
    only the users, then the same apply again (no-op: zero writes)."""
    import datetime as dt

    import httpx

    import ssoctl.entra.transport as transport
    from ssoctl import entra
    from ssoctl import tenant as wing
    from tests.entra.conftest import TENANT_ID
    from tests.entra.graphtwin import READ_ALL, GraphTwin

    twin = GraphTwin(TENANT_ID)
    twin.knobs.roles = [*READ_ALL, "Application.ReadWrite.OwnedBy",
                        "Policy.ReadWrite.ApplicationConfiguration",
                        "AppRoleAssignment.ReadWrite.All"]  # fmt: skip
    twin.add_user("user@contoso.com")
    folder = Path(tempfile.mkdtemp())
    path = folder / "tenant.yaml"
    user = "  - upn: user@contoso.com\n    object_id: 1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b\n"
    lines = [
        f"version: 1\ntenant:\n  id: {TENANT_ID}\n  domain: contoso.com\n",
        f"users:\n{user}    mail: user@contoso.com\napps:\n",
    ]
    for n in range(apps):
        lines.append(
            f"  app{n:03d}:\n    template: custom\n"
            f"    identifiers: [https://app{n:03d}.contoso.com]\n"
            f"    reply_urls: [https://app{n:03d}.contoso.com/acs]\n"
            f"    claims: {{urn:mail: user.mail}}\n    assignments: [user@contoso.com]\n"
        )
    path.write_text("".join(lines))
    transport.make_client = lambda: httpx.Client(transport=httpx.WSGITransport(app=twin))
    environ = {"AZURE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
               "AZURE_CLIENT_SECRET": twin.knobs.secret}  # fmt: skip
    for label in ("from empty", "no-op"):
        loaded = wing.load(path)
        connection = entra.connect(loaded.model, str(path), environ)
        start = time.perf_counter()
        _, result = entra.apply(loaded, connection, app=None, prune=False,
                                approve=lambda plan: True, now=dt.datetime.now(dt.timezone.utc),
                                notify=lambda _: None)  # fmt: skip
        elapsed = time.perf_counter() - start
        requests = connection.graph.round_trips
        writes = result.writes if result else 0
        print(f"apply {label}, {apps} apps: {requests} Graph requests "
              f"({requests / apps:.2f} per app), {writes} writes, {elapsed:.2f} s")  # fmt: skip
        if result and result.app_ids:
            text = path.read_text()
            for name, app_id in result.app_ids.items():  # the write-back, as the CLI does
                text = text.replace(
                    f"  {name}:\n    template: custom\n",
                    f"  {name}:\n    template: custom\n    app_id: {app_id}\n",
                )
            path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--apply-apps", type=int, default=50)
    args = parser.parse_args()
    apply_from_empty(args.apply_apps)
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

"""Live Entra through Microsoft Graph (`ssoctl entra ...`): sign-in, the Graph client,
and export, plan and apply. Imported only by `ssoctl entra`, so msal and the rest load only
there (benchmarks/bench_startup.py). This is its door.

Rooms: clouds (where), transport (the one HTTP client), auth (credentials, login),
permissions (what each command needs), graph (the client), live (reading the tenant),
claims and mapping (Graph in the tenant file's terms), session (a signed-in connection),
export, plan, and report (what a person sees)."""

from ssoctl.entra.apply import ApplyResult, apply
from ssoctl.entra.export import ExportResult, export
from ssoctl.entra.graph import GraphError
from ssoctl.entra.plan import Plan, plan
from ssoctl.entra.report import plan_document, plan_text
from ssoctl.entra.session import Connection, connect

__all__ = [
    "ApplyResult",
    "Connection",
    "ExportResult",
    "GraphError",
    "Plan",
    "apply",
    "connect",
    "export",
    "plan",
    "plan_document",
    "plan_text",
]

"""What `entra plan` and `entra export` show a person, and the JSON documents: pure
functions of their results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssoctl.entra.plan import Plan

SIGNS = {"differs": "~", "only-file": "+", "only-live": "-", "same": "="}


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "tenant": plan.tenant_id,
        "cloud": plan.cloud,
        "drift": plan.drift,
        "apps": [
            {
                "name": a.name,
                "app_id": a.app_id,
                "display_name": a.display_name,
                "state": a.state,
                "differences": [
                    {"field": d.field, "file": d.file, "live": d.live} for d in a.differences
                ],
            }
            for a in plan.apps
        ],
        "certificates": [
            {
                "app": c.app,
                "thumbprint": c.thumbprint,
                "state": c.state,
                "days_left": c.days_left,
                "not_after": c.not_after,
                "within_days": c.days_point,
            }
            for c in plan.certificates
        ],
        "missing_users": list(plan.missing_users),
        "key_uploads": [
            {"app": app, "certificate": name, "thumbprint": thumbprint}
            for app, name, thumbprint in plan.uploads
        ],
        "warnings": list(plan.warnings),
        "graph_requests": plan.requests,
    }


def _value(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


def plan_text(plan: Plan) -> str:
    lines = [f"Tenant {plan.tenant_id} ({plan.cloud}): Entra -> tenant file, what apply would set."]
    for app in plan.apps:
        label = f"{app.name}" + (f" ({app.display_name})" if app.display_name else "")
        if app.state == "same":
            lines.append(f"  = app {label}: no changes")
        elif app.state == "only-file":
            lines.append(f"  + app {label}: only in the tenant file (apply would create it)")
        elif app.state == "only-live":
            lines.append(
                f"  - app {label}: only in Entra (export --app {app.name} adds it to the file; "
                "apply leaves it unless --prune)"
            )
        else:
            lines.append(f"  ~ app {label}:")
            for diff in app.differences:
                lines.append(f"      {diff.field}: {_value(diff.live)} -> {_value(diff.file)}")
    for cert in plan.certificates:
        if cert.state == "inactive":
            what = "is inactive (Entra does not sign with it)"
        elif cert.state == "expired":
            what = f"expired {-cert.days_left} days ago"
        else:
            what = f"expires in {cert.days_left} days (within Entra's {cert.days_point}-day notice)"
        lines.append(f"  ! certificate {cert.thumbprint} of app {cert.app} {what}")
    for app_name, cert_name, _ in plan.uploads:
        lines.append(
            f"  ! apply would upload certificate {cert_name} of app {app_name} WITH ITS PRIVATE "
            "KEY to Entra (upload: true): Entra then signs with your key, and that key is on "
            "this machine"
        )
    for upn in plan.missing_users:
        lines.append(
            f"  ! user {upn} is assigned in the tenant file but does not exist in Entra "
            "(the twin has it; Entra does not)"
        )
    for warning in plan.warnings:
        lines.append(f"  warning: {warning}")
    counts = {s: sum(1 for a in plan.apps if a.state == s) for s in SIGNS}
    lines.append(
        f"Plan: {counts['differs']} app(s) differ, {counts['only-file']} only in the file, "
        f"{counts['only-live']} only in Entra, {counts['same']} the same"
        + (
            f"; {len(plan.missing_users)} assigned user(s) missing in Entra"
            if plan.missing_users
            else ""
        )
        + f". {plan.requests} Graph requests."
    )
    return "\n".join(lines) + "\n"

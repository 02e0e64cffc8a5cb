"""Rules about users, groups and assignments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register
from ssoctl.tenant import gallery
from ssoctl.tenant.model import CLAIM_SOURCES, GROUP_PREFIX, Tenant


@register("assignment-unknown", Severity.error)
def assignment_unknown(ctx: Context) -> Iterator[Finding]:
    """Assignments and group members name users and groups that exist in the file.

    A typo in an assignment silently leaves the real user unassigned (AADSTS50105).
    """
    model = ctx.model
    for name, app in model.apps.items():
        for index, principal in enumerate(app.assignments):
            if principal.startswith(GROUP_PREFIX):
                if model.group(principal[len(GROUP_PREFIX) :]) is None:
                    yield ctx.finding(
                        f"app {name!r} is assigned to "
                        f"{principal!r}, which is not a group in this file.",
                        "apps",
                        name,
                        "assignments",
                        index,
                    )
            elif model.user(principal) is None:
                yield ctx.finding(
                    f"app {name!r} is assigned to {principal!r}, which is not a user in this file.",
                    "apps",
                    name,
                    "assignments",
                    index,
                )
    for g_index, group in enumerate(model.groups):
        for m_index, member in enumerate(group.members):
            if model.user(member) is None:
                yield ctx.finding(
                    f"group {group.name!r} lists {member!r}, which is not a user in this file.",
                    "groups",
                    g_index,
                    "members",
                    m_index,
                )


@register("no-assignments", Severity.warning)
def no_assignments(ctx: Context) -> Iterator[Finding]:
    """An app nobody is assigned to.

    Gallery apps require assignment: every user would get AADSTS50105.
    """
    for name in ctx.model.apps:
        if not ctx.model.assigned_users(name):
            yield ctx.finding(
                f"nobody is assigned to app {name!r}; every "
                "sign-in fails with AADSTS50105. Assign users or groups.",
                "apps",
                name,
            )


@register("user-matching", Severity.error)
def user_matching(ctx: Context) -> Iterator[Finding]:
    """Users match the SP's account rule.

    Mitel Connect matches accounts by email: the MiCloud username / CloudLink email must
    equal the user's UPN, so each assigned user's `mail` must equal the UPN.
    """
    for name, app in ctx.model.apps.items():
        template = gallery.templates().get(app.template)
        if template is None:
            continue
        rule = template.user_matching_for(template.variant(app.region or app.platform))
        if rule.rule != "mail-equals-upn":
            continue
        for user in ctx.model.assigned_users(name):
            if (user.mail or "").lower() != user.upn.lower():
                index = ctx.model.users.index(user)
                has = f"mail {user.mail!r}" if user.mail else "no mail"
                yield ctx.finding(
                    f"{user.upn} has {has}; {template.display_name} matches accounts by "
                    "email, which must equal the UPN.",
                    "users",
                    index,
                    "mail" if user.mail else "upn",
                )


@register("claim-source-missing", Severity.error)
def claim_source_missing(ctx: Context) -> Iterator[Finding]:
    """An assigned user lacks the attribute a claim that matters reads.

    Entra leaves a claim out when its source is empty for the user; for most claims that
    is normal. It is an error when the sign-in then fails: the claim is one the template
    requires (RingCentral's emailaddress), it feeds the NameID (AADSTS501241), or it reads
    `user.mail`, which a user created in the portal does not have (SPs that match accounts
    by email refuse the sign-in). Fix: `ssoctl user set UPN --mail ...`, or remove the
    claim (`ssoctl app claim remove APP CLAIM`).
    """
    for finding in claim_source_problems(ctx.model):
        yield ctx.finding(finding.message, "users", finding.user_index)


@dataclass(frozen=True)
class MissingSource:
    app: str
    upn: str
    user_index: int
    message: str


def claim_source_problems(model: Tenant, only_app: str | None = None) -> list[MissingSource]:
    """Assigned users whose missing attribute would make a sign-in fail (see the rule);
    `app assign` warns with the same messages."""
    found = []
    for name, app in model.apps.items():
        if only_app is not None and name != only_app:
            continue
        template = gallery.templates().get(app.template)
        required = template.required_claims if template else {}
        display = template.display_name if template else name
        checks: list[tuple[str, str, str, bool]] = []  # claim, source, consequence, removable
        for claim, source in app.effective_claims().items():
            if claim in required:
                checks.append(
                    (claim, source, f"{display} requires it and refuses the sign-in", False)
                )
            elif source == "user.mail":
                checks.append(
                    (
                        claim,
                        source,
                        "an SP that matches accounts by email refuses the sign-in",
                        True,
                    )
                )
        checks.append(("NameID", app.name_id.source, "Entra refuses it (AADSTS501241)", False))
        for user in model.assigned_users(name):
            index = model.users.index(user)
            for claim, source, consequence, removable in checks:
                field = CLAIM_SOURCES[source]
                if getattr(user, field) in (None, ""):
                    short = claim.rsplit("/", 1)[-1]
                    found.append(
                        MissingSource(
                            name,
                            user.upn,
                            index,
                            f"{user.upn} has no {field} ({source}), so app {name!r} gets no "
                            f"{short} claim: {consequence}. Set it with `ssoctl user set "
                            f"{user.upn} --{field.replace('_', '-')} ...`"
                            + (
                                f" or remove the claim (`ssoctl app claim remove {name} {short}`)."
                                if removable
                                else "."
                            ),
                        )
                    )
    return found

"""Rules about users, groups and assignments."""

from __future__ import annotations

from collections.abc import Iterator

from ssoctl import gallery
from ssoctl.findings import Finding, Severity
from ssoctl.model import CLAIM_SOURCES, GROUP_PREFIX
from ssoctl.rules import Context, register


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
                        "assignment-unknown",
                        f"app {name!r} is assigned to "
                        f"{principal!r}, which is not a group in this file.",
                        "apps",
                        name,
                        "assignments",
                        index,
                    )
            elif model.user(principal) is None:
                yield ctx.finding(
                    "assignment-unknown",
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
                    "assignment-unknown",
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
                "no-assignments",
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
                yield ctx.finding(
                    "user-matching",
                    f"{user.upn} has mail {user.mail!r}; "
                    f"{template.display_name} matches accounts by email, which "
                    "must equal the UPN.",
                    "users",
                    index,
                    "mail" if user.mail else "upn",
                )


@register("claim-source-missing", Severity.warning)
def claim_source_missing(ctx: Context) -> Iterator[Finding]:
    """An assigned user lacks the attribute a claim or the NameID reads.

    Entra leaves an empty claim out. When the template requires that claim (RingCentral's
    emailaddress from user.mail) or it feeds the NameID, the sign-in fails: an error.
    """
    model = ctx.model
    for name, app in model.apps.items():
        template = gallery.templates().get(app.template)
        required = template.required_claims if template else {}
        sources = [(claim, source, claim in required) for claim, source in app.claims.items()]
        sources.append(("NameID", app.name_id.source, True))
        for user in model.assigned_users(name):
            index = model.users.index(user)
            for claim, source, fatal in sources:
                field = CLAIM_SOURCES[source]
                if getattr(user, field) in (None, ""):
                    yield ctx.finding(
                        "claim-source-missing",
                        f"{user.upn} has no {field}, so "
                        f"app {name!r} gets no {claim}"
                        + (" and refuses the sign-in." if fatal else "."),
                        "users",
                        index,
                        severity=Severity.error if fatal else None,
                    )

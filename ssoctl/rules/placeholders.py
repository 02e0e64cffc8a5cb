"""The placeholder rule: values copied from the docs or the bundled example into a real
tenant file (issue 21, item 5). Copying the quickstart verbatim gave the docs' tenant
GUID and Mitel URLs ending in a literal ACCOUNT, and validate said nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register
from ssoctl.urls import host_of

# Exact values the docs and examples/contoso use (tests/test_placeholders.py checks that
# every GUID in docs/ and examples/ is listed here, so a new page cannot add one unseen).
DOC_VALUES: dict[str, str] = {
    "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11": "the docs' example tenant ID",
    "0b6e1f63-9c1d-4e4a-8c1e-2f3a4b5c6d7e": "the quickstart's example Application ID",
    "bb64ead1-81d6-47eb-998a-094603b3f753": "examples/contoso's RingCentral Application ID",
    "882f7abf-96d2-478b-9017-577003fb8fbc": "examples/contoso's Mitel Application ID",
    "2f9c6b1e-55a4-4c8e-9d3b-7a1e0c4f8b62": "the CLI reference's example tenant ID",
    "4a1f6c2e-8d3b-4e5f-9a7c-1b2d3e4f5a6b": "the CLI reference's example client ID",
    "f5859cf9-a37c-4869-98b2-f506574bf1c7": "examples/contoso's test user's object ID",
    "7430fc95-5da3-44a0-b3c0-3f69c24b3017": "examples/contoso's test group's object ID",
}
# Parts of URLs the docs and the example use for a customer's own account.
DOC_PARTS: dict[str, str] = {
    "contoso-0001": "examples/contoso's Mitel account",
}
# Words the docs write in capitals where a reader puts their own value.
WORDS = re.compile(
    r"(?<![A-Za-z0-9])(ACCOUNT|PLACEHOLDER|CHANGEME|YOUR[-_][A-Z0-9_-]+)(?![a-z0-9])"
)
# Host names reserved for documentation (RFC 2606, RFC 6761): never a real SP.
RESERVED_HOSTS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid")

URL_FIELDS = ("identifiers", "reply_urls", "sign_on_url", "logout_url", "relay_state")


def placeholder_in(value: str) -> str | None:
    """Why `value` looks like a placeholder from the docs, or None."""
    if value.lower() in DOC_VALUES:
        return DOC_VALUES[value.lower()]
    for part, why in DOC_PARTS.items():
        if part in value:
            return why
    word = WORDS.search(value)
    if word:
        return f"the placeholder word {word[1]}"
    host = host_of(value) if "://" in value else value.lower()
    if host in RESERVED_HOSTS or host.endswith(tuple(f".{h}" for h in RESERVED_HOSTS)):
        return f"{host}, a host name reserved for documentation"
    if host.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return f"{host}, a host name reserved for documentation"
    return None


@register("placeholder", Severity.warning)
def placeholder(ctx: Context) -> Iterator[Finding]:
    """A value is a placeholder from the docs or the bundled example.

    The docs' example tenant ID and Application IDs, examples/contoso's IDs and Mitel
    account, words such as ACCOUNT, PLACEHOLDER or YOUR-ORG, and hosts reserved for
    documentation (example.com, .example, .invalid). They validate as well-formed values,
    so a copied quickstart would reach Entra and the SP with them. A warning, so
    `validate --strict` in CI fails on it. A file that is an example on purpose says
    `tenant: {example: true}`, as examples/contoso does, and is not checked. Fix: put
    the real value in, from Entra's Overview page or the SP's portal.
    """
    model = ctx.model
    if model.tenant.example:
        return
    for field, value in (("id", str(model.tenant.id)), ("domain", model.tenant.domain)):
        why = placeholder_in(value)
        if why:
            yield ctx.finding(
                f"tenant.{field} {value!r} is {why}: put in your tenant's own value "
                "(Entra admin center > Overview).",
                "tenant", field,
            )  # fmt: skip
    for name, app in model.apps.items():
        if app.app_id is not None and placeholder_in(str(app.app_id)):
            yield ctx.finding(
                f"app {name!r}: app_id is {placeholder_in(str(app.app_id))}: copy the "
                "Application ID from the enterprise app's Overview page.",
                "apps", name, "app_id",
            )  # fmt: skip
        for field in URL_FIELDS:
            raw = getattr(app, field)
            values = raw if isinstance(raw, list) else [raw] if raw else []
            for index, value in enumerate(values):
                why = placeholder_in(str(value))
                if why is None:
                    continue
                where: tuple[str | int, ...] = (field, index) if isinstance(raw, list) else (field,)
                yield ctx.finding(
                    f"app {name!r}: {field} {value!r} holds {why}: put in the value from the "
                    "SP's portal (or `ssoctl metadata import SP-METADATA`).",
                    "apps", name, *where,
                )  # fmt: skip

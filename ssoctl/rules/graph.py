"""Rules about what Microsoft Graph refuses or cannot store: a file that passes the twin
would fail `entra apply` (shared/docs/entra-graph.md, A2.1 and A7)."""

from __future__ import annotations

from collections.abc import Iterator

from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register

# Claim names Entra reserves: the portal and Graph refuse them as a claim's target
# (ED reference-claims-customization.md, the restricted claim set; examples in
# entra-graph.md A2.1). Entra sends the first two on its own in every Response.
RESTRICTED_CLAIMS = {
    "http://schemas.microsoft.com/identity/claims/objectidentifier": "Entra sends it itself",
    "http://schemas.microsoft.com/identity/claims/tenantid": "Entra sends it itself",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role": "it carries app roles",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": (
        "it is restricted unless the app has a custom signing key"
    ),
}


@register("identifier-trailing-slash", Severity.warning)
def identifier_trailing_slash(ctx: Context) -> Iterator[Finding]:
    """An Identifier ends with '/': Graph refuses to store it.

    The portal trims or refuses such an Identifier, and Microsoft Graph answers 400 when
    `entra apply` sets it (microsoft-graph-docs PR #9548; Terraform azuread #951). The SP
    compares Identifiers as strings, so `https://sp.example.com/` and
    `https://sp.example.com` are different entities. Fix: drop the trailing slash here,
    and check the SP's entity ID in its metadata.
    """
    for name, app in ctx.model.apps.items():
        for index, identifier in enumerate(app.identifiers):
            if identifier.endswith("/"):
                yield ctx.finding(
                    f"Identifier {identifier!r} of app {name!r} ends with '/', which Graph "
                    "refuses; drop the slash (and check the SP's entity ID).",
                    "apps", name, "identifiers", index,
                )  # fmt: skip


@register("nameid-transient", Severity.warning)
def nameid_transient(ctx: Context) -> Iterator[Finding]:
    """The Name ID format is transient, which Entra's claims policy cannot store.

    Graph's samlNameIdClaim knows default, unspecified, emailAddress,
    windowsDomainQualifiedName and persistent, not transient (MGD beta
    samlnameidclaim.md): the twin sends it, Entra cannot be set to it. Fix: use
    persistent (stable, opaque) or emailAddress, as the SP accepts.
    """
    for name, app in ctx.model.apps.items():
        if app.name_id.format == "transient":
            yield ctx.finding(
                f"app {name!r} asks for a transient Name ID, which Entra's claims policy "
                "cannot store; `entra apply` would fail. Use persistent or emailAddress.",
                "apps", name, "name_id", "format",
            )  # fmt: skip


@register("claim-restricted", Severity.error)
def claim_restricted(ctx: Context) -> Iterator[Finding]:
    """A claim uses a name Entra reserves.

    Entra refuses these as a claim's name in "Attributes & Claims" and through Graph
    (the restricted claim set of Microsoft's claims customization reference): the
    object ID and tenant ID Entra sends itself, role, and upn without a custom signing
    key. Fix: give the claim another name, or rely on the one Entra sends.
    """
    for name, app in ctx.model.apps.items():
        for claim in app.claims or {}:
            why = RESTRICTED_CLAIMS.get(claim.lower())
            if why:
                yield ctx.finding(
                    f"claim {claim!r} of app {name!r} is restricted in Entra ({why}); "
                    "rename it.",
                    "apps", name, "claims", claim,
                )  # fmt: skip

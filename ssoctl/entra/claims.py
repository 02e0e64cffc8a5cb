"""The portal's "Attributes & Claims" as Graph stores it (beta customClaimsPolicy, the
object the admin center writes: entra-graph.md A2.1), read into the tenant file's terms:
`name_id: {source, format}` and `claims: {URI: source}`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ssoctl.tenant.model import CLAIM_SOURCES, NAME_ID_FORMATS

# Graph's samlNameIDFormat (MGD beta samlnameidclaim.md) to the tenant file's. Graph has
# no "transient" (validate says so for live apps). "default": the portal's "Default"
# sends the UPN as emailAddress; written as emailAddress (UNCONFIRMED: no source shows
# what Entra sends for each source under "default").
NAME_ID_FORMAT_FROM_GRAPH: dict[str, str] = {
    "default": "emailAddress",
    "emailAddress": "emailAddress",
    "unspecified": "unspecified",
    "persistent": "persistent",
    "windowsDomainQualifiedName": "windowsDomainQualifiedName",
}
# A sourcedAttribute's id (source "user") to the tenant file's source.
SOURCE_FROM_GRAPH: dict[str, str] = {name.split(".", 1)[1]: name for name in CLAIM_SOURCES}


@dataclass(frozen=True)
class LiveClaims:
    """What Entra sends an app, in the tenant file's terms.

    state: "custom" (a claimsPolicy: name_id and claims are its values), "default" (no
    claimsPolicy: Entra's defaults), "mapping-policy" (a linked claimsMappingPolicy
    overrides the portal's claims), "not-read" (usgov has no claimsPolicy API)."""

    state: str
    name_id_source: str | None = None
    name_id_format: str | None = None
    claims: dict[str, str] | None = None
    unsupported: list[str] = field(default_factory=list)


def from_policy(policy: dict[str, Any]) -> LiveClaims:
    """A customClaimsPolicy (the GET sample wraps it in `value`; the PUT sample does not:
    both are accepted) in the tenant file's terms, and what it cannot express."""
    if isinstance(policy.get("value"), list):
        values = policy["value"]
        if not values:
            return LiveClaims("default")
        policy = values[0] if isinstance(values[0], dict) else {}
    unsupported: list[str] = []
    source = fmt = None
    claims: dict[str, str] = {}
    if policy.get("includeBasicClaimSet") is False:
        unsupported.append("includeBasicClaimSet is off (the basic claims are not sent)")
    if policy.get("audienceOverride"):
        unsupported.append(f"audienceOverride {policy['audienceOverride']!r}")
    if policy.get("includeApplicationIdInIssuer"):
        unsupported.append("includeApplicationIdInIssuer (the app ID in the Issuer)")
    for claim in policy.get("claims") or []:
        if not isinstance(claim, dict):
            continue
        kind = str(claim.get("@odata.type", "")).rsplit(".", 1)[-1]
        attribute, problem = _single_attribute(claim)
        if kind == "samlNameIdClaim":
            graph_format = str(claim.get("nameIdFormat") or "default")
            fmt = NAME_ID_FORMAT_FROM_GRAPH.get(graph_format)
            if fmt is None:
                unsupported.append(f"Name ID format {graph_format!r}")
            if problem:
                unsupported.append(f"Name ID: {problem}")
            else:
                source = attribute
            continue
        uri = _claim_uri(claim)
        if problem or attribute is None:
            unsupported.append(f"claim {uri}: {problem}")
            continue
        if claim.get("samlAttributeNameFormat"):
            unsupported.append(f"claim {uri}: NameFormat {claim['samlAttributeNameFormat']!r}")
        claims[uri] = attribute
    return LiveClaims("custom", source, fmt, claims, unsupported)


def _claim_uri(claim: dict[str, Any]) -> str:
    name = str(claim.get("name") or "")
    namespace = str(claim.get("namespace") or "")
    return f"{namespace.rstrip('/')}/{name}" if namespace else name


def _single_attribute(claim: dict[str, Any]) -> tuple[str | None, str | None]:
    """The claim's one user attribute as a tenant-file source, or why it has none that the
    file can express (a condition, a transformation, a constant, another attribute)."""
    configurations = [c for c in claim.get("configurations") or [] if isinstance(c, dict)]
    if len(configurations) != 1:
        return None, f"{len(configurations)} configurations (conditions) are not expressible"
    config = configurations[0]
    if config.get("condition"):
        return None, "a condition is not expressible"
    if config.get("transformations"):
        return None, "a transformation is not expressible"
    attribute = config.get("attribute") if isinstance(config.get("attribute"), dict) else {}
    assert isinstance(attribute, dict)
    kind = str(attribute.get("@odata.type", "")).rsplit(".", 1)[-1]
    if kind == "valueBasedAttribute":
        return None, f"the constant {attribute.get('value')!r} is not expressible"
    if attribute.get("source") != "user" or attribute.get("isExtensionAttribute"):
        return (
            None,
            f"the source {attribute.get('source')}.{attribute.get('id')} is not expressible",
        )
    source = SOURCE_FROM_GRAPH.get(str(attribute.get("id", "")).lower())
    if source is None:
        return None, f"the attribute user.{attribute.get('id')} is not one ssoctl resolves"
    return source, None


def name_id_uri(fmt: str) -> str:
    return NAME_ID_FORMATS[fmt]

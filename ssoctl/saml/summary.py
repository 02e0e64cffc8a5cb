"""What a SAML Assertion says, for display: NameID, attributes, conditions, and whether
each field came from signed content. Never a claim of validity; `verify` decides that.

A room of its own so that `assertion issue --format json` (which shows the summary of
what it just built) does not import the verifier (issue 26).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ssoctl.saml.xml import NS, text_of


def audience_restrictions(assertion: etree._Element) -> list[list[str]]:
    """The Audience values of each Conditions/AudienceRestriction (never from Advice)."""
    saml = NS["saml"]
    return [
        [text_of(a) or "" for a in restriction.findall(f"{{{saml}}}Audience")]
        for restriction in assertion.findall(f"{{{saml}}}Conditions/{{{saml}}}AudienceRestriction")
    ]


SIGNED_ASSERTION = "signed Assertion"
SIGNED_RESPONSE = "signed Response"
UNSIGNED = "unsigned envelope"


def summarize(
    assertion: etree._Element,
    root: etree._Element | None = None,
    *,
    response_signed: bool = False,
    assertion_signed: bool = True,
) -> dict[str, Any]:
    """NameID, attributes and conditions, for display. Never a claim of validity.

    Attributes are those of the Assertion's own AttributeStatements: an Assertion nested
    in Advice is someone else's statement and is never read as claims. `sources` says, per
    field, whether it came from signed content or from the unsigned envelope."""
    saml = NS["saml"]
    name_id = assertion.find(f"{{{saml}}}Subject/{{{saml}}}NameID")
    conditions = assertion.find(f"{{{saml}}}Conditions")
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.findall(f"{{{saml}}}AttributeStatement/{{{saml}}}Attribute"):
        values = [text_of(v) or "" for v in attribute.findall(f"{{{saml}}}AttributeValue")]
        attributes.setdefault(attribute.get("Name", ""), []).extend(values)
    inner = SIGNED_ASSERTION if assertion_signed else UNSIGNED
    outer = SIGNED_RESPONSE if response_signed else UNSIGNED
    envelope = ("response_id", "destination", "in_response_to")
    summary: dict[str, Any] = {
        "response_id": root.get("ID") if root is not None else None,
        "assertion_id": assertion.get("ID"),
        "issuer": text_of(assertion.find(f"{{{saml}}}Issuer")),
        "destination": root.get("Destination") if root is not None else None,
        "in_response_to": root.get("InResponseTo") if root is not None else None,
        "name_id": text_of(name_id),
        "name_id_format": name_id.get("Format") if name_id is not None else None,
        "audiences": [a for r in audience_restrictions(assertion) for a in r],
        "not_before": conditions.get("NotBefore") if conditions is not None else None,
        "not_on_or_after": conditions.get("NotOnOrAfter") if conditions is not None else None,
        "attributes": attributes,
    }
    summary["sources"] = {key: outer if key in envelope else inner for key in summary}
    return summary


def summary_of(xml_bytes: bytes, tree: etree._Element | None = None) -> dict[str, Any]:
    """The summary of a Response's bytes (parsed by the hardened parser), or of the tree
    they were serialized from; {} when it holds no Assertion."""
    from ssoctl.saml import xml

    root = tree if tree is not None else xml.parse(xml_bytes)
    assertion = root.find(xml.tag("saml", "Assertion"))
    return summarize(assertion, root) if assertion is not None else {}

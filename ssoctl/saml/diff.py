"""Two SAML Responses compared as an SP sees them (`ssoctl assertion diff A B`): what
differs that a service provider could notice, ignoring what differs on every sign-in
(IDs, instants, signature and digest values, the certificate's bytes).

For example the twin's Response and real Entra's for the same app and user (how close
the twin is to a tenant), or one Response before and one after a configuration change.
Nothing here checks a signature: `assertion verify` does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from ssoctl.errors import OperationError
from ssoctl.saml.xml import NS, tag


@dataclass(frozen=True)
class Difference:
    aspect: str  # issuer, name_id_format, attribute_names, ...
    a: Any
    b: Any


# What an SP can notice, in the order a report shows it.
ASPECTS = (
    "status",
    "issuer",
    "assertion_issuer",
    "destination",
    "in_response_to",
    "name_id_format",
    "name_id",
    "name_id_qualifiers",
    "audience",
    "recipient",
    "authn_context",
    "attribute_names",
    "attribute_order",
    "attribute_values",
    "attribute_name_formats",
    "signed",
    "signature_algorithm",
    "digest_algorithm",
    "canonicalization",
    "encrypted",
)


def features(root: etree._Element) -> dict[str, Any]:
    """The SP-visible features of one Response."""
    if etree.QName(root).localname != "Response" or etree.QName(root).namespace != NS["samlp"]:
        raise OperationError(
            f"this is a {etree.QName(root).localname}, not a SAML Response; "
            "`assertion diff` compares Responses."
        )
    assertion = root.find(tag("saml", "Assertion"))
    encrypted = root.find(tag("saml", "EncryptedAssertion")) is not None

    def text(node: etree._Element | None, path: str) -> str | None:
        found = node.find(path, NS) if node is not None else None
        return (found.text or "").strip() if found is not None else None

    status = root.find("samlp:Status/samlp:StatusCode", NS)
    name_id = assertion.find("saml:Subject/saml:NameID", NS) if assertion is not None else None
    confirmation = (
        assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
        if assertion is not None
        else None
    )
    attributes = (
        assertion.findall(".//saml:AttributeStatement/saml:Attribute", NS)
        if (assertion is not None)
        else []
    )
    names = [str(a.get("Name")) for a in attributes]
    values = {
        str(a.get("Name")): [(v.text or "") for v in a.findall("saml:AttributeValue", NS)]
        for a in attributes
    }
    signed = [
        where
        for where, node in (("response", root), ("assertion", assertion))
        if node is not None and node.find(tag("ds", "Signature")) is not None
    ]
    signatures = [s for s in root.iter(tag("ds", "Signature"))]
    return {
        "status": status.get("Value") if status is not None else None,
        "issuer": text(root, "saml:Issuer"),
        "assertion_issuer": text(assertion, "saml:Issuer"),
        "destination": root.get("Destination"),
        "in_response_to": root.get("InResponseTo") is not None,
        "name_id_format": name_id.get("Format") if name_id is not None else None,
        "name_id": (name_id.text or "").strip() if name_id is not None else None,
        "name_id_qualifiers": {
            k: v
            for k, v in (name_id.attrib.items() if name_id is not None else [])
            if k in ("NameQualifier", "SPNameQualifier", "SPProvidedID")
        },
        "audience": [
            (a.text or "").strip()
            for a in (
                assertion.iterfind(".//saml:AudienceRestriction/saml:Audience", NS)
                if assertion is not None
                else []
            )
        ],
        "recipient": confirmation.get("Recipient") if confirmation is not None else None,
        "authn_context": text(
            assertion, "saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef"
        ),
        "attribute_names": sorted(set(names)),
        "attribute_order": names,
        "attribute_values": values,
        "attribute_name_formats": {str(a.get("Name")): a.get("NameFormat") for a in attributes},
        "signed": "+".join(signed) or "nothing",
        "signature_algorithm": _algorithms(signatures, "SignatureMethod"),
        "digest_algorithm": _algorithms(signatures, "DigestMethod"),
        "canonicalization": _algorithms(signatures, "CanonicalizationMethod"),
        "encrypted": encrypted,
    }


def _algorithms(signatures: list[etree._Element], element: str) -> list[str]:
    return sorted({str(n.get("Algorithm")) for s in signatures for n in s.iter(tag("ds", element))})


def diff(a: etree._Element, b: etree._Element) -> list[Difference]:
    """Each aspect where the two Responses differ. Attribute order is reported only when
    both carry the same names (else the names differ, which says more)."""
    fa, fb = features(a), features(b)
    found = []
    for aspect in ASPECTS:
        left, right = fa[aspect], fb[aspect]
        if aspect == "attribute_order" and fa["attribute_names"] != fb["attribute_names"]:
            continue
        if aspect == "attribute_names" and left != right:
            left = [n for n in left if n not in right]
            right = [n for n in fb["attribute_names"] if n not in fa["attribute_names"]]
        if aspect in ("attribute_values", "attribute_name_formats"):
            shared = [n for n in left if n in right]
            left = {n: left[n] for n in shared if left[n] != right[n]}
            right = {n: right[n] for n in shared if fa[aspect][n] != right[n]}
            if not left:
                continue
        if left != right:
            found.append(Difference(aspect, left, right))
    return found

"""Build a SAML Response + Assertion shaped like Entra's (shared/docs/entra-saml.md,
"The Response Entra sends", checked against the real response in shared/fixtures/).

Pure: the caller gives `now`, the ID factory, the resolved subject and attributes, and
the key. Prefixes as Entra writes them: `samlp:` on Response and Status, the Assertion in
the default namespace, the signature right after the Assertion's (or Response's) Issuer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from ssoctl.saml import signing
from ssoctl.saml.xml import NS, tag

STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
NOT_BEFORE_MARGIN = dt.timedelta(minutes=5)  # real responses: issue time - 5 min
DEFAULT_LIFETIME = dt.timedelta(minutes=60)  # real responses: issue time + 60 min


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    algorithm: str = "sha256"  # sha256 | sha1
    mode: str = "assertion"  # assertion | response | both


@dataclass(frozen=True)
class ResponseSpec:
    """Everything the Response says; resolved by the caller from the tenant file."""

    issuer: str
    destination: str  # the ACS (Reply URL) the Response is posted to
    audience: str
    name_id: str
    name_id_format: str
    attributes: list[tuple[str, list[str]]]
    now: dt.datetime
    in_response_to: str | None = None
    lifetime: dt.timedelta = DEFAULT_LIFETIME
    authn_instant: dt.datetime | None = None
    authn_context: str = PASSWORD
    recipient: str | None = None  # defaults to destination
    extra: dict[str, str] = field(default_factory=dict)


def instant(moment: dt.datetime) -> str:
    """Entra's timestamps: UTC with milliseconds and a Z."""
    u = moment.astimezone(dt.timezone.utc)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond // 1000:03d}Z"
    )


def build(spec: ResponseSpec, new_id: Callable[[], str]) -> tuple[etree._Element, str, str]:
    """The unsigned Response with signature placeholders; returns (root, response ID,
    assertion ID)."""
    saml = NS["saml"]
    response_id, assertion_id = new_id(), new_id()
    issued = instant(spec.now)
    not_on_or_after = instant(spec.now + spec.lifetime)

    response = etree.Element(tag("samlp", "Response"), nsmap={"samlp": NS["samlp"]})
    response.set("ID", response_id)
    response.set("Version", "2.0")
    response.set("IssueInstant", issued)
    response.set("Destination", spec.destination)
    if spec.in_response_to:
        response.set("InResponseTo", spec.in_response_to)
    _default_ns_child(response, "Issuer").text = spec.issuer
    status = etree.SubElement(response, tag("samlp", "Status"))
    etree.SubElement(status, tag("samlp", "StatusCode"), Value=STATUS_SUCCESS)

    assertion = etree.SubElement(response, f"{{{saml}}}Assertion", nsmap={None: saml})  # type: ignore[dict-item]
    assertion.set("ID", assertion_id)
    assertion.set("IssueInstant", issued)
    assertion.set("Version", "2.0")
    etree.SubElement(assertion, f"{{{saml}}}Issuer").text = spec.issuer

    subject = etree.SubElement(assertion, f"{{{saml}}}Subject")
    name_id = etree.SubElement(subject, f"{{{saml}}}NameID", Format=spec.name_id_format)
    name_id.text = spec.name_id
    confirmation = etree.SubElement(subject, f"{{{saml}}}SubjectConfirmation", Method=BEARER)
    data = etree.SubElement(confirmation, f"{{{saml}}}SubjectConfirmationData")
    if spec.in_response_to:
        data.set("InResponseTo", spec.in_response_to)
    data.set("NotOnOrAfter", not_on_or_after)
    data.set("Recipient", spec.recipient or spec.destination)

    conditions = etree.SubElement(assertion, f"{{{saml}}}Conditions")
    conditions.set("NotBefore", instant(spec.now - NOT_BEFORE_MARGIN))
    conditions.set("NotOnOrAfter", not_on_or_after)
    restriction = etree.SubElement(conditions, f"{{{saml}}}AudienceRestriction")
    etree.SubElement(restriction, f"{{{saml}}}Audience").text = spec.audience

    if spec.attributes:
        statement = etree.SubElement(assertion, f"{{{saml}}}AttributeStatement")
        for name, values in spec.attributes:
            attribute = etree.SubElement(statement, f"{{{saml}}}Attribute", Name=name)
            for value in values:
                etree.SubElement(attribute, f"{{{saml}}}AttributeValue").text = value

    authn = etree.SubElement(assertion, f"{{{saml}}}AuthnStatement")
    authn.set("AuthnInstant", instant(spec.authn_instant or spec.now))
    authn.set("SessionIndex", assertion_id)
    context = etree.SubElement(authn, f"{{{saml}}}AuthnContext")
    etree.SubElement(context, f"{{{saml}}}AuthnContextClassRef").text = spec.authn_context
    return response, response_id, assertion_id


def _default_ns_child(parent: etree._Element, local: str) -> etree._Element:
    # Entra writes the Response's Issuer as <Issuer xmlns="...assertion">.
    saml = NS["saml"]
    return etree.SubElement(parent, f"{{{saml}}}{local}", nsmap={None: saml})  # type: ignore[dict-item]


def sign_response(
    root: etree._Element, response_id: str, assertion_id: str, signer: Signer | None
) -> etree._Element:
    """Sign as the app's settings say: the assertion (Entra's default), the response, or
    both (assertion first, so the response signature covers the signed assertion)."""
    if signer is None:
        return root
    if signer.mode in ("assertion", "both"):
        assertion = root.find(tag("saml", "Assertion"))
        assert assertion is not None
        assertion.insert(1, signing.placeholder())  # right after the Assertion's Issuer
        # signing.sign puts the signed copy back in the Assertion's place.
        signing.sign(assertion, assertion_id, signer.key, signer.cert, signer.algorithm)
    if signer.mode in ("response", "both"):
        root.insert(1, signing.placeholder())  # right after the Response's Issuer
        root = signing.sign(root, response_id, signer.key, signer.cert, signer.algorithm)
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=False, encoding="UTF-8")

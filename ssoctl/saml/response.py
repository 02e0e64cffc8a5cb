"""Build a SAML Response + Assertion shaped like Entra's (shared/docs/entra-saml.md,
"The Response Entra sends", checked against the real response in shared/fixtures/).

Pure: the caller gives `now`, the ID factory, the resolved subject and attributes, and
the key. Prefixes as Entra writes them: `samlp:` on Response and Status, the Assertion in
the default namespace, the signature right after the Assertion's (or Response's) Issuer.

The unsigned Response is written from a template and parsed once: it reads like the
response Entra sends, and it costs two thirds of building the same 25 elements one lxml
call at a time (build() is on the benchmarked issue path, benchmarks/bench_signing.py).
Every value goes through `_attr`/`_text`, which escape it for XML, and the parser then
proves the result well-formed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from ssoctl.saml import signing
from ssoctl.saml.xml import NS, tag
from ssoctl.xmlchars import first_non_xml_char

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
    name_id_sp_name_qualifier: str | None = None  # copied from the request's NameIDPolicy


def instant(moment: dt.datetime) -> str:
    """Entra's timestamps: UTC with milliseconds and a Z."""
    # isoformat in UTC ends "+00:00"; Entra writes "Z".
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


# Anything that needs escaping or refusing; most values have none and are used as they are.
_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
# In attributes, whitespace other than a space must be a character reference, or the
# parser normalizes it to a space; in text, only a carriage return would change.
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _attr(value: str) -> str:
    return value if _SPECIAL.search(value) is None else _escape(value, _ATTR_ESCAPES)


def _text(value: str) -> str:
    return value if _SPECIAL.search(value) is None else _escape(value, _TEXT_ESCAPES)


def _escape(value: str, table: dict[int, str]) -> str:
    bad = first_non_xml_char(value)
    if bad:  # the tenant model and resolve() report these first; this guards other callers
        raise ValueError(f"{bad} cannot appear in XML: {value!r}")
    return value.translate(table)


_TEMPLATE = (
    '<samlp:Response xmlns:samlp="{samlp}" ID="{response_id}" Version="2.0"'
    ' IssueInstant="{issued}" Destination="{destination}"{in_response_to}>'
    '<Issuer xmlns="{saml}">{issuer}</Issuer>'
    '<samlp:Status><samlp:StatusCode Value="{success}"/></samlp:Status>'
    '<Assertion xmlns="{saml}" ID="{assertion_id}" IssueInstant="{issued}" Version="2.0">'
    "<Issuer>{issuer}</Issuer>"
    '<Subject><NameID Format="{name_id_format}"{sp_name_qualifier}>{name_id}</NameID>'
    '<SubjectConfirmation Method="{bearer}"><SubjectConfirmationData{in_response_to}'
    ' NotOnOrAfter="{not_on_or_after}" Recipient="{recipient}"/></SubjectConfirmation>'
    "</Subject>"
    '<Conditions NotBefore="{not_before}" NotOnOrAfter="{not_on_or_after}">'
    "<AudienceRestriction><Audience>{audience}</Audience></AudienceRestriction></Conditions>"
    "{attribute_statement}"
    '<AuthnStatement AuthnInstant="{authn_instant}" SessionIndex="{assertion_id}">'
    "<AuthnContext><AuthnContextClassRef>{authn_context}</AuthnContextClassRef>"
    "</AuthnContext></AuthnStatement>"
    "</Assertion></samlp:Response>"
)
# Our own text, so no hardening is needed against it, but the same refusals cost nothing.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def build(spec: ResponseSpec, new_id: Callable[[], str]) -> tuple[etree._Element, str, str]:
    """The unsigned Response; returns (root, response ID, assertion ID)."""
    response_id, assertion_id = new_id(), new_id()
    xml = (
        _rendered(spec)
        .replace(_RESPONSE_ID, _attr(response_id))
        .replace(_ASSERTION_ID, _attr(assertion_id))
    )
    return etree.fromstring(xml, _PARSER), response_id, assertion_id


# Where the IDs go in a rendered spec: NUL can be in no escaped value (XML cannot carry
# it, and values holding one are refused before they get here).
_RESPONSE_ID, _ASSERTION_ID = "\x00response-id\x00", "\x00assertion-id\x00"
# The last spec rendered, and its text: `--count N` and the twin issue many Responses of
# one spec, which differ only in their IDs (escaping and instants once, not N times).
_last_rendered: tuple[ResponseSpec, str] | None = None


def _rendered(spec: ResponseSpec) -> str:
    global _last_rendered
    last = _last_rendered
    if last is not None and last[0] is spec:
        return last[1]
    text = _render(spec)
    _last_rendered = (spec, text)
    return text


def _render(spec: ResponseSpec) -> str:
    response_id, assertion_id = _RESPONSE_ID, _ASSERTION_ID
    not_on_or_after = instant(spec.now + spec.lifetime)
    statement = "".join(
        f'<Attribute Name="{_attr(name)}">'
        + "".join(f"<AttributeValue>{_text(value)}</AttributeValue>" for value in values)
        + "</Attribute>"
        for name, values in spec.attributes
    )
    return _TEMPLATE.format(
        samlp=NS["samlp"],
        saml=NS["saml"],
        success=STATUS_SUCCESS,
        bearer=BEARER,
        response_id=response_id,
        assertion_id=assertion_id,
        issued=instant(spec.now),
        destination=_attr(spec.destination),
        in_response_to=(
            f' InResponseTo="{_attr(spec.in_response_to)}"' if spec.in_response_to else ""
        ),
        issuer=_text(spec.issuer),
        name_id_format=_attr(spec.name_id_format),
        sp_name_qualifier=(
            f' SPNameQualifier="{_attr(spec.name_id_sp_name_qualifier)}"'
            if spec.name_id_sp_name_qualifier
            else ""
        ),
        name_id=_text(spec.name_id),
        not_on_or_after=not_on_or_after,
        recipient=_attr(spec.recipient or spec.destination),
        not_before=instant(spec.now - NOT_BEFORE_MARGIN),
        audience=_text(spec.audience),
        attribute_statement=(
            f"<AttributeStatement>{statement}</AttributeStatement>" if statement else ""
        ),
        authn_instant=instant(spec.authn_instant or spec.now),
        authn_context=_text(spec.authn_context),
    )


def sign_response(
    root: etree._Element,
    response_id: str,
    assertion_id: str,
    signer: Signer | None,
    *,
    encrypt_for: bytes | None = None,
    alter: Callable[[etree._Element], None] | None = None,
) -> etree._Element:
    """Sign as the app's settings say: the assertion (Entra's default), the response, or
    both (assertion first, so the response signature covers the signed assertion). With
    `encrypt_for` (the SP's token-encryption certificate, PEM) the signed Assertion is
    encrypted before the Response is signed: sign, encrypt, then sign the envelope.
    `alter` changes the signed Assertion before it is encrypted (a negative test case)."""
    assertion = root.find(tag("saml", "Assertion"))
    assert assertion is not None
    if signer is not None and signer.mode in ("assertion", "both"):
        assertion.insert(1, signing.placeholder())  # right after the Assertion's Issuer
        # signing.sign puts the signed copy back in the Assertion's place.
        signing.sign(assertion, assertion_id, signer.key, signer.cert, signer.algorithm)
        assertion = root.find(tag("saml", "Assertion"))
        assert assertion is not None
    if alter is not None:
        alter(assertion)
    if encrypt_for is not None:
        from ssoctl.saml import xmlenc

        root.replace(assertion, xmlenc.encrypt_assertion(assertion, encrypt_for))
    if signer is None:
        return root
    if signer.mode in ("response", "both"):
        root.insert(1, signing.placeholder())  # right after the Response's Issuer
        root = signing.sign(root, response_id, signer.key, signer.cert, signer.algorithm)
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=False, encoding="UTF-8")

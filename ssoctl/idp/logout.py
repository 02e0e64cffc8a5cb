"""Single logout over HTTP-Redirect, as Entra does it (entra-saml.md, Single logout):
read a participant's LogoutRequest, send LogoutRequests to the other session
participants one after the other (front channel: each answers with a LogoutResponse to
the twin's /saml2), then answer the first with a LogoutResponse.

The Redirect binding signs the query string (SAML Bindings 3.4.4.1): the signature is
RSA-SHA256 over `SAMLRequest|SAMLResponse=…&RelayState=…&SigAlg=…`, made by `cryptography`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from ssoctl.errors import InvalidInputError
from ssoctl.saml import bindings, error_response
from ssoctl.saml.xml import tag, text_of

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


@dataclass(frozen=True)
class LogoutRequest:
    id: str
    issuer: str | None
    name_id: str | None
    session_index: str | None


def read(root: etree._Element) -> LogoutRequest:
    if root.tag != tag("samlp", "LogoutRequest"):
        raise InvalidInputError(
            f"expected a samlp:LogoutRequest, found <{etree.QName(root).localname}>."
        )
    return LogoutRequest(
        id=root.get("ID", ""),
        issuer=text_of(root.find(tag("saml", "Issuer"))),
        name_id=text_of(root.find(tag("saml", "NameID"))),
        session_index=text_of(root.find(tag("samlp", "SessionIndex"))),
    )


@dataclass(frozen=True)
class LogoutAnswer:
    """A participant's LogoutResponse: which request it answers, and whether it
    signed the user out (top-level status Success)."""

    in_response_to: str | None
    issuer: str | None
    success: bool


def read_answer(root: etree._Element) -> LogoutAnswer:
    if root.tag != tag("samlp", "LogoutResponse"):
        raise InvalidInputError(
            f"expected a samlp:LogoutResponse, found <{etree.QName(root).localname}>."
        )
    code = root.find(f"{tag('samlp', 'Status')}/{tag('samlp', 'StatusCode')}")
    return LogoutAnswer(
        in_response_to=root.get("InResponseTo"),
        issuer=text_of(root.find(tag("saml", "Issuer"))),
        success=code is not None and code.get("Value") == error_response.SUCCESS,
    )


def signed_redirect(
    endpoint: str,
    xml: bytes,
    relay_state: str | None,
    key: rsa.RSAPrivateKey,
    parameter: str = "SAMLResponse",
) -> str:
    """The Redirect-binding URL carrying `xml` as `parameter` (SAMLResponse or
    SAMLRequest), signed over the query."""
    query = f"{parameter}=" + quote(bindings.encode_redirect(xml), safe="")
    if relay_state:
        query += "&RelayState=" + quote(relay_state, safe="")
    query += "&SigAlg=" + quote(RSA_SHA256, safe="")
    signature = key.sign(query.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    query += "&Signature=" + quote(base64.b64encode(signature).decode(), safe="")
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

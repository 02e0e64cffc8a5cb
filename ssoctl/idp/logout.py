"""Single logout over HTTP-Redirect: read a LogoutRequest, answer with a LogoutResponse.

The Redirect binding signs the query string (SAML Bindings 3.4.4.1): the signature is
RSA-SHA256 over `SAMLResponse=…&RelayState=…&SigAlg=…`, made by `cryptography`.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from ssoctl.errors import InvalidInputError
from ssoctl.saml import bindings
from ssoctl.saml.error_response import status_message
from ssoctl.saml.xml import tag, text_of

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


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


def response_xml(
    request: LogoutRequest, issuer: str, destination: str, now: dt.datetime, response_id: str
) -> bytes:
    root, status = status_message(
        "LogoutResponse", issuer, destination, request.id, now, response_id
    )
    etree.SubElement(status, tag("samlp", "StatusCode"), Value=SUCCESS)
    return etree.tostring(root)


def signed_redirect(
    endpoint: str, xml: bytes, relay_state: str | None, key: rsa.RSAPrivateKey
) -> str:
    """The Redirect-binding URL carrying `xml` as SAMLResponse, signed over the query."""
    query = "SAMLResponse=" + quote(bindings.encode_redirect(xml), safe="")
    if relay_state:
        query += "&RelayState=" + quote(relay_state, safe="")
    query += "&SigAlg=" + quote(RSA_SHA256, safe="")
    signature = key.sign(query.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    query += "&Signature=" + quote(base64.b64encode(signature).decode(), safe="")
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

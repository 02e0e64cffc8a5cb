"""A SAML Response that carries a refusal instead of an Assertion (SAML Core 3.2.2.2):
top-level StatusCode Requester (the request or the user is the problem), and the AADSTS
text as StatusMessage, as Entra sends when it can answer the SP instead of the user."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from ssoctl.saml.response import instant
from ssoctl.saml.xml import NS, tag

REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"


def error_response(
    issuer: str,
    destination: str,
    in_response_to: str | None,
    text: str,
    now: dt.datetime,
    response_id: str,
) -> bytes:
    root = etree.Element(tag("samlp", "Response"), nsmap={"samlp": NS["samlp"]})
    root.set("ID", response_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now))
    root.set("Destination", destination)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, tag("saml", "Issuer"), nsmap={"saml": NS["saml"]}).text = issuer
    status = etree.SubElement(root, tag("samlp", "Status"))
    code = etree.SubElement(status, tag("samlp", "StatusCode"), Value=REQUESTER)
    etree.SubElement(code, tag("samlp", "StatusCode"), Value=REQUEST_DENIED)
    etree.SubElement(status, tag("samlp", "StatusMessage")).text = text
    return etree.tostring(root)

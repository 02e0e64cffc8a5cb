"""Status responses. A SAML Response that carries a refusal instead of an Assertion
(SAML Core 3.2.2.2): top-level StatusCode Requester (the request or the user is the
problem), and the AADSTS text as StatusMessage, as Entra sends when it can answer the SP
instead of the user. And the LogoutResponse, which the twin and the test SP both send."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from ssoctl.saml.response import instant
from ssoctl.saml.xml import NS, tag

REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"


def status_message(
    local: str,
    issuer: str,
    destination: str,
    in_response_to: str | None,
    now: dt.datetime,
    message_id: str,
) -> tuple[etree._Element, etree._Element]:
    """A samlp status-response element (Response, LogoutResponse) with its Issuer, and
    its empty samlp:Status for the caller to fill: (root, status)."""
    root = etree.Element(tag("samlp", local), nsmap={"samlp": NS["samlp"]})
    root.set("ID", message_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now))
    root.set("Destination", destination)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, tag("saml", "Issuer"), nsmap={"saml": NS["saml"]}).text = issuer
    return root, etree.SubElement(root, tag("samlp", "Status"))


def error_response(
    issuer: str,
    destination: str,
    in_response_to: str | None,
    text: str,
    now: dt.datetime,
    response_id: str,
) -> bytes:
    root, status = status_message("Response", issuer, destination, in_response_to, now, response_id)
    code = etree.SubElement(status, tag("samlp", "StatusCode"), Value=REQUESTER)
    etree.SubElement(code, tag("samlp", "StatusCode"), Value=REQUEST_DENIED)
    etree.SubElement(status, tag("samlp", "StatusMessage")).text = text
    return etree.tostring(root)


def logout_response(
    issuer: str,
    destination: str,
    in_response_to: str | None,
    now: dt.datetime,
    response_id: str,
    partial: bool = False,
) -> bytes:
    """Success; with `partial`, a session participant did not sign out, which SAML Core
    3.7.3.2 reports as Success with the second-level code PartialLogout."""
    root, status = status_message(
        "LogoutResponse", issuer, destination, in_response_to, now, response_id
    )
    code = etree.SubElement(status, tag("samlp", "StatusCode"), Value=SUCCESS)
    if partial:
        etree.SubElement(code, tag("samlp", "StatusCode"), Value=PARTIAL_LOGOUT)
    return etree.tostring(root)

"""What a service provider sends (for `ssoctl sp serve`, the test SP): an AuthnRequest
and a LogoutRequest for the HTTP-Redirect binding, and the SP's metadata. Built with
lxml, never by string formatting: every value is escaped by the serializer."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from ssoctl.saml.xml import BINDING_POST, BINDING_REDIRECT, NS, tag

EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def _instant(now: dt.datetime) -> str:
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def authn_request(
    *,
    request_id: str,
    issuer: str,
    destination: str,
    acs_url: str | None,
    now: dt.datetime,
) -> bytes:
    """An AuthnRequest as RingCentral- or Mitel-like SPs send it: Issuer (the app's
    Identifier), HTTP-POST for the Response, and the ACS only when the SP has one Entra
    knows (Entra otherwise posts to the app's first Reply URL)."""
    root = etree.Element(
        tag("samlp", "AuthnRequest"), nsmap={"samlp": NS["samlp"], "saml": NS["saml"]}
    )
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", _instant(now))
    root.set("Destination", destination)
    root.set("ProtocolBinding", BINDING_POST)
    if acs_url:
        root.set("AssertionConsumerServiceURL", acs_url)
    etree.SubElement(root, tag("saml", "Issuer")).text = issuer
    etree.SubElement(root, tag("samlp", "NameIDPolicy"), AllowCreate="true")
    return etree.tostring(root)


def logout_request(
    *,
    request_id: str,
    issuer: str,
    destination: str,
    name_id: str,
    name_id_format: str | None,
    session_index: str | None,
    now: dt.datetime,
) -> bytes:
    root = etree.Element(
        tag("samlp", "LogoutRequest"), nsmap={"samlp": NS["samlp"], "saml": NS["saml"]}
    )
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", _instant(now))
    root.set("Destination", destination)
    etree.SubElement(root, tag("saml", "Issuer")).text = issuer
    name = etree.SubElement(root, tag("saml", "NameID"))
    name.text = name_id
    if name_id_format:
        name.set("Format", name_id_format)
    if session_index:
        etree.SubElement(root, tag("samlp", "SessionIndex")).text = session_index
    return etree.tostring(root)


def sp_metadata(*, entity_id: str, acs_url: str, logout_url: str | None) -> bytes:
    """The SP's metadata: what Entra's "Upload metadata file" and `metadata import` read
    (entityID, an HTTP-POST ACS, a Redirect SLO endpoint)."""
    md = NS["md"]
    root = etree.Element(f"{{{md}}}EntityDescriptor", nsmap={"md": md}, entityID=entity_id)
    descriptor = etree.SubElement(
        root,
        f"{{{md}}}SPSSODescriptor",
        protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol",
        AuthnRequestsSigned="false",
        WantAssertionsSigned="true",
    )
    if logout_url:
        etree.SubElement(
            descriptor,
            f"{{{md}}}SingleLogoutService",
            Binding=BINDING_REDIRECT,
            Location=logout_url,
        )
    etree.SubElement(descriptor, f"{{{md}}}NameIDFormat").text = EMAIL
    etree.SubElement(
        descriptor,
        f"{{{md}}}AssertionConsumerService",
        Binding=BINDING_POST,
        Location=acs_url,
        index="0",
        isDefault="true",
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

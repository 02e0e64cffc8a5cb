"""IdP federation metadata shaped like Entra's (build), and SP metadata (parse).

Entra's metadata (shared/docs/entra-saml.md, "Federation metadata Entra publishes"):
a root EntityDescriptor with an ID and entityID https://sts.windows.net/{tid}/, signed as
a whole right after the root start tag (RSA-SHA256, exclusive C14N), an IDPSSODescriptor
with one signing KeyDescriptor per certificate, SingleLogoutService (Redirect) and
SingleSignOnService (Redirect and POST). Entra also publishes two WS-Federation
RoleDescriptors; ssoctl is SAML-only and leaves them out (SAML consumers ignore them).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from ssoctl.endpoints import IdpEndpoints
from ssoctl.saml import signing
from ssoctl.saml.xml import BINDING_POST, BINDING_REDIRECT, NS, PROTOCOL, tag

ID_NAMESPACE = uuid.UUID("5b0e5a2c-6f0b-4f57-9a43-0a6b8d1f2c11")


@dataclass(frozen=True)
class IdpMetadataInput:
    endpoints: IdpEndpoints
    certificates: list[x509.Certificate]  # signing certificate first
    now: dt.datetime
    scope: str  # the app name, or "" for the tenant set: makes the ID differ per app


def document_id(data: IdpMetadataInput) -> str:
    """Deterministic: the same input and `now` give the same ID (byte-identical output)."""
    from ssoctl.certs import thumbprint_sha1

    seed = "|".join(
        [
            data.endpoints.entity_id,
            data.scope,
            data.now.isoformat(),
            *(thumbprint_sha1(c) for c in data.certificates),
        ]
    )
    return f"_{uuid.uuid5(ID_NAMESPACE, seed)}"


def build_idp_metadata(data: IdpMetadataInput) -> etree._Element:
    """The unsigned EntityDescriptor, with a signature placeholder after the start tag."""
    md = NS["md"]
    root = etree.Element(
        tag("md", "EntityDescriptor"),
        nsmap={None: md},  # type: ignore[dict-item]  # lxml's stubs miss the default ns
        ID=document_id(data),
        entityID=data.endpoints.entity_id,
    )
    root.append(signing.placeholder())
    idp = etree.SubElement(root, tag("md", "IDPSSODescriptor"), protocolSupportEnumeration=PROTOCOL)
    for cert in data.certificates:
        descriptor = etree.SubElement(idp, tag("md", "KeyDescriptor"), use="signing")
        descriptor.append(_plain_key_info(cert))
    etree.SubElement(
        idp,
        tag("md", "SingleLogoutService"),
        Binding=BINDING_REDIRECT,
        Location=data.endpoints.logout_url,
    )
    for binding in (BINDING_REDIRECT, BINDING_POST):
        etree.SubElement(
            idp,
            tag("md", "SingleSignOnService"),
            Binding=binding,
            Location=data.endpoints.login_url,
        )
    return root


def _plain_key_info(cert: x509.Certificate) -> etree._Element:
    # Entra writes KeyInfo in the default xmldsig namespace inside KeyDescriptor.
    from ssoctl.certs import base64_body

    key_info = etree.Element(tag("ds", "KeyInfo"), nsmap={None: NS["ds"]})  # type: ignore[dict-item]
    data = etree.SubElement(key_info, tag("ds", "X509Data"))
    etree.SubElement(data, tag("ds", "X509Certificate")).text = base64_body(cert)
    return key_info


def signed_idp_metadata(
    data: IdpMetadataInput,
    key: rsa.RSAPrivateKey | None,
    signer: x509.Certificate | None = None,
) -> bytes:
    """Serialized metadata, signed with `key` (unless None), whose certificate is `signer`
    (default: the first listed)."""
    root = build_idp_metadata(data)
    if key is None:
        placeholder = root.find(tag("ds", "Signature"))
        if placeholder is not None:
            root.remove(placeholder)
        signed = root
    else:
        signed = signing.sign(
            root, root.get("ID", ""), key, signer or data.certificates[0], "sha256"
        )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8") + b"\n"

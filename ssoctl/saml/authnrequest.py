"""Read an AuthnRequest and check it as Entra does (shared/docs/entra-saml.md).

Each refusal names the Entra error the SP's users would see.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ssoctl.errors import InvalidInputError
from ssoctl.saml.xml import BINDING_POST, tag, text_of

# NameIDPolicy formats Entra accepts; anything else is AADSTS75016.
ACCEPTED_NAME_ID_FORMATS = frozenset(
    {
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
    }
)


@dataclass(frozen=True)
class AuthnRequest:
    id: str
    issuer: str | None
    acs_url: str | None
    protocol_binding: str | None
    name_id_format: str | None
    destination: str | None


def read(root: etree._Element) -> AuthnRequest:
    if root.tag != tag("samlp", "AuthnRequest"):
        raise InvalidInputError(
            f"expected a samlp:AuthnRequest, found <{etree.QName(root).localname}>."
        )
    policy = root.find(tag("samlp", "NameIDPolicy"))
    return AuthnRequest(
        id=root.get("ID", ""),
        issuer=text_of(root.find(tag("saml", "Issuer"))),
        acs_url=root.get("AssertionConsumerServiceURL"),
        protocol_binding=root.get("ProtocolBinding"),
        name_id_format=policy.get("Format") if policy is not None else None,
        destination=root.get("Destination"),
    )


def check(root: etree._Element, identifiers: list[str], reply_urls: list[str]) -> AuthnRequest:
    """Entra's checks, in the order it makes them; returns the request when it passes."""
    request = read(root)
    if not request.id:
        raise InvalidInputError("the AuthnRequest has no ID.")
    if request.id[0].isdigit():
        raise InvalidInputError(
            f"AADSTS7500529: the AuthnRequest ID {request.id!r} starts with a digit.",
            hint="the SP must start request IDs with a letter or underscore.",
        )
    if request.issuer not in identifiers:
        raise InvalidInputError(
            f"AADSTS700016: the AuthnRequest's Issuer {request.issuer!r} is not an Identifier "
            f"of this app ({', '.join(identifiers)}).",
            hint="make the app's Identifier equal the SP's entity ID.",
        )
    if root.find(tag("saml", "Subject")) is not None:
        raise InvalidInputError("Entra rejects an AuthnRequest that carries a Subject element.")
    if request.acs_url is not None and request.acs_url not in reply_urls:
        raise InvalidInputError(
            f"AADSTS50011: the reply URL {request.acs_url!r} in the request does not match "
            f"the app's Reply URLs ({', '.join(reply_urls)}).",
            hint="add it to the app's reply_urls (exact, case-sensitive), or fix the SP.",
        )
    if request.protocol_binding not in (None, BINDING_POST):
        raise InvalidInputError(
            f"the request asks for binding {request.protocol_binding}; Entra posts "
            "responses with HTTP-POST only."
        )
    if (
        request.name_id_format is not None
        and request.name_id_format not in ACCEPTED_NAME_ID_FORMATS
    ):
        raise InvalidInputError(
            f"AADSTS75016: NameIDPolicy Format {request.name_id_format!r} is not one Entra "
            "accepts.",
            hint="use emailAddress, persistent, transient, unspecified or "
            "WindowsDomainQualifiedName.",
        )
    context = root.find(tag("samlp", "RequestedAuthnContext"))
    if context is not None and context.get("Comparison", "exact") != "exact":
        raise InvalidInputError(
            f"RequestedAuthnContext Comparison {context.get('Comparison')!r}: Entra requires "
            '"exact" (AADSTS75011 when the method does not match).',
        )
    return request

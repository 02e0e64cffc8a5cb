"""Read an AuthnRequest and check it as Entra does (shared/docs/entra-saml.md).

Each refusal names the Entra error the SP's users would see.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ssoctl.errors import EntraRefusal, InvalidInputError
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
    sp_name_qualifier: str | None = None
    requested_contexts: tuple[str, ...] = ()
    comparison: str | None = None
    has_scoping: bool = False
    has_subject: bool = False


def read(root: etree._Element) -> AuthnRequest:
    if root.tag != tag("samlp", "AuthnRequest"):
        raise InvalidInputError(
            f"expected a samlp:AuthnRequest, found <{etree.QName(root).localname}>."
        )
    policy = root.find(tag("samlp", "NameIDPolicy"))
    context = root.find(tag("samlp", "RequestedAuthnContext"))
    return AuthnRequest(
        id=root.get("ID", ""),
        issuer=text_of(root.find(tag("saml", "Issuer"))),
        acs_url=root.get("AssertionConsumerServiceURL"),
        protocol_binding=root.get("ProtocolBinding"),
        name_id_format=policy.get("Format") if policy is not None else None,
        destination=root.get("Destination"),
        sp_name_qualifier=policy.get("SPNameQualifier") if policy is not None else None,
        requested_contexts=tuple(
            text_of(c) or "" for c in context.findall(tag("saml", "AuthnContextClassRef"))
        )
        if context is not None
        else (),
        comparison=(context.get("Comparison") or "exact") if context is not None else None,
        has_scoping=root.find(tag("samlp", "Scoping")) is not None,
        has_subject=root.find(tag("saml", "Subject")) is not None,
    )


AADSTS50011 = (
    "AADSTS50011: The redirect URI '{url}' specified in the request does not match the "
    "redirect URIs configured for the application '{app_id}'. Make sure the redirect URI "
    "sent in the request matches one added to your application in the Azure portal. "
    "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
)  # Entra's exact text (shared/docs/entra-saml.md)


def check(
    root: etree._Element,
    identifiers: list[str],
    reply_urls: list[str],
    app_id: str | None = None,
) -> AuthnRequest:
    """Entra's checks, in the order it makes them; returns the request when it passes."""
    request = read(root)
    if not request.id:
        raise InvalidInputError("the AuthnRequest has no ID.")
    if request.id[0].isdigit():
        raise EntraRefusal(
            "AADSTS7500529",
            f"the AuthnRequest ID {request.id!r} starts with a digit.",
            hint="the SP must start request IDs with a letter or underscore.",
        )
    if request.issuer not in identifiers:
        raise EntraRefusal(
            "AADSTS700016",
            f"the AuthnRequest's Issuer {request.issuer!r} is not an Identifier "
            f"of this app ({', '.join(identifiers)}). Entra may also show this as AADSTS65005.",
            hint="make the app's Identifier equal the SP's entity ID.",
        )
    if request.has_subject:
        raise InvalidInputError("Entra rejects an AuthnRequest that carries a Subject element.")
    if request.has_scoping:
        raise EntraRefusal(
            "AADSTS900236",
            "the AuthnRequest carries a Scoping element, which Entra does not support.",
            hint="turn off IdP proxying/Scoping in the SP's SAML settings.",
        )
    if request.acs_url is not None and request.acs_url not in reply_urls:
        raise EntraRefusal(
            "AADSTS50011",
            f"the reply URL {request.acs_url!r} in the request does not match "
            f"the app's Reply URLs ({', '.join(reply_urls)}).",
            entra_text=AADSTS50011.format(url=request.acs_url, app_id=app_id or "<Application ID>"),
            hint="add it to the app's reply_urls (exact, case-sensitive), or fix the SP.",
        )
    if request.protocol_binding not in (None, BINDING_POST):
        raise EntraRefusal(
            "AADSTS75003",
            f"the request asks for the response binding "
            f"{request.protocol_binding}; Entra posts responses with HTTP-POST only.",
            hint="set the SP's ACS binding to HTTP-POST.",
        )
    if (
        request.name_id_format is not None
        and request.name_id_format not in ACCEPTED_NAME_ID_FORMATS
    ):
        raise EntraRefusal(
            "AADSTS75016",
            f"NameIDPolicy Format {request.name_id_format!r} is not one Entra accepts.",
            hint="use emailAddress, persistent, transient, unspecified or "
            "WindowsDomainQualifiedName.",
        )
    if request.comparison not in (None, "exact"):
        raise EntraRefusal(
            "AADSTS75011",
            f'RequestedAuthnContext Comparison {request.comparison!r}: Entra accepts only "exact".',
        )
    return request


def check_authn_context(request: AuthnRequest, met: tuple[str, ...], method: str) -> str:
    """The AuthnContextClassRef to write: the sign-in's own class (`met[0]`), or the
    requested class it meets. AADSTS75011 when the request asks (exact) for none of them."""
    if not request.requested_contexts:
        return met[0]
    for requested in request.requested_contexts:
        if requested in met:
            return requested
    raise EntraRefusal(
        "AADSTS75011",
        f"the request asks for {', '.join(request.requested_contexts)} (Comparison exact), "
        f"but the user signed in with {method} ({met[0]}).",
        hint="sign in with a method the SP asks for (--authn-method), or change the "
        "SP's RequestedAuthnContext.",
    )

"""The namespaces the security tests build and pick apart XML with."""

from __future__ import annotations

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def q(ns: str, local: str) -> str:
    """Clark notation, {namespace}local, as lxml names elements."""
    return f"{{{ns}}}{local}"

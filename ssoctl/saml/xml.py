"""The ONE hardened XML parser, the SAML namespaces, and serialization.

XML from outside is hostile. This parser refuses any DTD (so no entities, no billion
laughs, no external DTD), never touches the network, caps the size and the depth, and
drops comments and processing instructions, so that a comment inside a signed value
(`admin@contoso.com<!---->.evil.com`) cannot split the text a reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any, BinaryIO, TypedDict

from lxml import etree

from ssoctl.errors import OperationError

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
}
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 100
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class HostileXMLError(OperationError):
    """XML refused by the hardened parser (exit 3)."""


def tag(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


# The options of the one hardened parser, shared by the whole-document and streaming forms
# so that the two can never drift apart.
class _Hardened(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    huge_tree: bool
    remove_comments: bool
    remove_pis: bool


HARDENED: _Hardened = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**HARDENED, dtd_validation=False, collect_ids=False)


def _refuse_prologue(head: bytes, source: str) -> None:
    """Empty input, a DTD or entity declaration, or something that is not XML at all.
    A DTD can only stand before the root element, so the head of a document tells."""
    if not head.strip():
        raise HostileXMLError(f"{source} is empty.")
    if _DOCTYPE.search(head):
        raise HostileXMLError(
            f"{source} contains a DTD or entity declaration (<!DOCTYPE or <!ENTITY); SAML "
            "never needs one and ssoctl refuses them (XXE, billion laughs).",
            hint="remove the DOCTYPE, or ask the sender for plain SAML XML.",
        )
    if not head.lstrip().startswith(b"<"):
        raise HostileXMLError(
            f"{source} is not XML (it does not start with '<').",
            hint="give the XML document itself, not HTML or Base64.",
        )


def parse(
    data: bytes | str, source: str = "input", *, max_bytes: int = MAX_BYTES
) -> etree._Element:
    """Parse untrusted XML into its root element, or raise HostileXMLError (exit 3)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise HostileXMLError(
            f"{source} is {len(raw):,} bytes; the limit is {max_bytes:,}.",
            hint="this is not a SAML document ssoctl accepts; check the file.",
        )
    _refuse_prologue(raw, source)
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise HostileXMLError(f"{source} is not well-formed XML{where}: {exc.msg}.") from None
    if root is None:
        raise HostileXMLError(f"{source} holds no XML element.")
    if _depth(root) > MAX_DEPTH:
        raise HostileXMLError(
            f"{source} nests elements more than {MAX_DEPTH} deep.",
            hint="SAML documents are shallow; this one is hostile or broken.",
        )
    return root


def iterparse(stream: BinaryIO, source: str, tags: list[str]) -> Generator[tuple[str, Any]]:
    """The streaming form of the hardened parser: (event, element) for start and end of
    the given tags. No DTD, no entities, no network, libxml2's depth limit; syntax errors
    become HostileXMLError."""
    _refuse_prologue(stream.read(65536), source)
    stream.seek(0)
    events = etree.iterparse(stream, events=("start", "end"), tag=tags, **HARDENED)
    try:
        yield from events
    except etree.XMLSyntaxError as exc:
        raise HostileXMLError(f"{source} is not well-formed XML: {exc.msg}.") from None


def _depth(root: etree._Element) -> int:
    """Deepest nesting, each element visited once; stops early past the limit."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in element)
    return deepest


def text_of(element: etree._Element | None) -> str | None:
    """All text inside an element, comments never splitting it."""
    if element is None:
        return None
    return "".join(str(t) for t in element.itertext()).strip()


def serialize(root: etree._Element, *, declaration: bool = True) -> bytes:
    return etree.tostring(root, xml_declaration=declaration, encoding="UTF-8")


def c14n(root: etree._Element) -> bytes:
    """Exclusive canonical form, for comparing documents (golden files)."""
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)

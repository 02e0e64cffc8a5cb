"""The ONE hardened XML parser, the SAML namespaces, and serialization.

XML from outside is hostile. This parser refuses any DTD (so no entities, no billion
laughs, no external DTD), never touches the network, caps the size and the depth, and
drops comments and processing instructions, so that a comment inside a signed value
(`admin@contoso.com<!---->.evil.com`) cannot split the text a reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
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
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# What a SAML document may be written in. Others (UTF-7, EBCDIC, UTF-32...) are refused:
# they exist to slip markup past byte-level checks, and no SAML software emits them.
ENCODINGS = frozenset({"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii"})


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one document may cause, checked before the tree is built.

    Elements and attributes are counted from the bytes (each needs a '<' or a '='), an
    upper bound that costs one C-speed pass: a document refused here costs milliseconds,
    where building its tree cost 35-130 times its size in memory.
    """

    max_bytes: int = MAX_BYTES
    max_markup: int = 100_000  # '<' characters: elements, end tags, comments, PIs
    max_attributes: int = 400_000  # '=' characters: attributes, namespace declarations
    max_depth: int = MAX_DEPTH


MESSAGE = Limits()  # Responses, AuthnRequests, one entity's metadata: a few hundred elements
# A signed federation aggregate is verified as one tree (the signature covers all of it).
AGGREGATE = Limits(max_bytes=64 * 1024 * 1024, max_markup=4_000_000, max_attributes=8_000_000)


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


def _head_codec(head: bytes, source: str) -> str:
    """The codec to read the document's head with (XML 1.0 Appendix F), or a refusal."""
    if head[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00"):
        raise HostileXMLError(
            f"{source} is in UTF-32; ssoctl reads SAML XML in UTF-8 or UTF-16.",
            hint="save or export the document as UTF-8.",
        )
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return "utf-16"
    if head[:2] == b"\x00<":
        return "utf-16-be"
    if head[:2] == b"<\x00":
        return "utf-16-le"
    declared = _DECLARED.match(head)
    if declared is not None:
        name = declared.group(1).decode("ascii").lower()
        if name not in ENCODINGS:
            raise HostileXMLError(
                f"{source} declares encoding {name!r}; ssoctl reads SAML XML in UTF-8 or "
                "UTF-16 only.",
                hint="save or export the document as UTF-8.",
            )
    return "utf-8"


def _refuse_prologue(head: bytes, source: str) -> None:
    """Empty input, an encoding SAML never uses, a DTD in the head, or not XML at all.
    A quick look at the head only; `_refuse_dtd` decides on what the parser saw."""
    if not head.strip():
        raise HostileXMLError(f"{source} is empty.")
    text = head.decode(_head_codec(head, source), "replace").lstrip("\ufeff")
    if _DOCTYPE.search(text):
        raise _dtd_error(source)
    if not text.lstrip().startswith("<"):
        raise HostileXMLError(
            f"{source} is not XML (it does not start with '<').",
            hint="give the XML document itself, not HTML or Base64.",
        )


def _dtd_error(source: str) -> HostileXMLError:
    return HostileXMLError(
        f"{source} contains a DTD or entity declaration (<!DOCTYPE or <!ENTITY); SAML "
        "never needs one and ssoctl refuses them (XXE, billion laughs).",
        hint="remove the DOCTYPE, or ask the sender for plain SAML XML.",
    )


def _refuse_dtd(tree: etree._ElementTree, source: str) -> None:
    """The decision, on what libxml2 parsed: any DTD, in any encoding, at any offset."""
    info = tree.docinfo
    # lxml-stubs lack DocInfo.doctype; lxml has had it since 2.0.
    doctype: str = info.doctype  # type: ignore[attr-defined]
    if doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise _dtd_error(source)
    encoding = (info.encoding or "utf-8").lower()
    if encoding not in ENCODINGS:
        raise HostileXMLError(
            f"{source} is in {encoding}; ssoctl reads SAML XML in UTF-8 or UTF-16 only.",
            hint="save or export the document as UTF-8.",
        )


def _refuse_oversize(raw: bytes, source: str, limits: Limits) -> None:
    if len(raw) > limits.max_bytes:
        raise HostileXMLError(
            f"{source} is {len(raw):,} bytes; the limit is {limits.max_bytes:,}.",
            hint="this is not a SAML document ssoctl accepts; check the file.",
        )
    markup = raw.count(b"<")
    if markup > limits.max_markup:
        raise HostileXMLError(
            f"{source} has more than {limits.max_markup:,} tags; SAML documents have a "
            "few hundred, so ssoctl refuses it before building it.",
            hint="this is not a SAML document ssoctl accepts; check the file.",
        )
    if raw.count(b"=") > limits.max_attributes:
        raise HostileXMLError(
            f"{source} has more than {limits.max_attributes:,} attributes; ssoctl refuses "
            "it before building it.",
            hint="this is not a SAML document ssoctl accepts; check the file.",
        )


def parse(data: bytes | str, source: str = "input", *, limits: Limits = MESSAGE) -> etree._Element:
    """Parse untrusted XML into its root element, or raise HostileXMLError (exit 3)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _refuse_oversize(raw, source, limits)
    _refuse_prologue(raw[:65536], source)
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise HostileXMLError(f"{source} is not well-formed XML{where}: {exc.msg}.") from None
    if root is None:
        raise HostileXMLError(f"{source} holds no XML element.")
    _refuse_dtd(root.getroottree(), source)
    if _depth(root) > limits.max_depth:
        raise HostileXMLError(
            f"{source} nests elements more than {limits.max_depth} deep.",
            hint="SAML documents are shallow; this one is hostile or broken.",
        )
    return root


STREAM_CHUNK = 65536


def iterparse(
    stream: BinaryIO, source: str, tags: list[str], *, limits: Limits = MESSAGE
) -> Generator[tuple[str, Any]]:
    """The streaming form of the hardened parser: (event, element) for start and end of
    the given tags. No DTD (checked on what the parser saw, before the first event is
    handed out), no entities, no network, libxml2's depth limit; syntax errors become
    HostileXMLError. Between two events at most `limits.max_markup` tags are read (plus
    one chunk), so the caller, which frees what it has seen, keeps memory bounded."""
    head = stream.read(STREAM_CHUNK)
    _refuse_prologue(head, source)
    parser = etree.XMLPullParser(events=("start", "end"), tag=tags, **HARDENED)
    checked = False
    pending = 0
    chunk = head
    try:
        while chunk:
            parser.feed(chunk)
            pending += chunk.count(b"<")
            for event in parser.read_events():
                element = event[1]
                if not checked and isinstance(element, etree._Element):
                    _refuse_dtd(element.getroottree(), source)
                    checked = True
                pending = 0
                yield event
            if pending > limits.max_markup + STREAM_CHUNK:
                raise HostileXMLError(
                    f"{source} has more than {limits.max_markup:,} tags inside one entity "
                    "(or between two); ssoctl refuses it before building it.",
                    hint="this is not SAML metadata ssoctl accepts; check the file.",
                )
            chunk = stream.read(STREAM_CHUNK)
        root = parser.close()
        if not checked and root is not None:
            _refuse_dtd(root.getroottree(), source)
        for event in parser.read_events():
            yield event
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

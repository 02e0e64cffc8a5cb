"""signxml's signer and verifier with its avoidable per-call work removed.

signxml's own work per signature cost about as much as the RSA signature itself, which
kept `assertion issue` under its budget of half the raw RSA rate
(benchmarks/bench_signing.py, benchmarks/README.md). The largest avoidable part: it
copies a tree by serializing and re-parsing it (`_fromstring(_tostring(node))`), three
times per signature and three per verification. Smaller ones: a new QName per ds
element, prefix maps re-sorted on every find, a reference found by calling an XPath
function on every attribute's name, and a certificate's DN rendered on every check in
case of an error.

These subclasses change *how* that work is done, never *what* is signed or checked:
every digest, transform, reference lookup, algorithm check and certificate check is
still signxml's own logic. A copy is made with lxml's deepcopy only where it is exact -
the element has no parent (so it inherits no namespace declarations that inclusive C14N
would render) and no tail - and otherwise by signxml's serialize-and-parse, as before.
The copy is checked for entity nodes exactly as signxml checks a parsed one.

The overrides use signxml internals (`_tostring`, `_fromstring`, `_find`, `_findall`,
`_resolve_reference`, `_get_inclusive_ns_prefixes`, `_ds_tag`,
`_get_cert_validity_error`), so they are
active only for the signxml versions they were checked against (TESTED_VERSIONS); with
any other version every override defers to stock signxml, slower but correct. tests/security/
test_signxml_fast.py proves the equivalence: byte-identical signatures (RSA PKCS#1 v1.5
is deterministic) and identical verdicts and signed data on valid, tampered and
signature-wrapped inputs.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, cast

from lxml import etree
from signxml import XMLSigner, XMLVerifier  # type: ignore[attr-defined]
from signxml.exceptions import InvalidInput
from signxml.util import ds_tag, namespaces

# signxml releases whose private `_tostring`/`_fromstring`/`_ds_tag` these overrides
# were read against and tested with. Add a version only after the equivalence tests pass.
TESTED_VERSIONS = ("5.2.",)


def _signxml_version() -> str:
    """signxml's installed version. Read first from the METADATA of the one
    `signxml-*.dist-info` beside the package (how pip and uv install it): importing
    importlib.metadata for this one line cost `assertion issue` ~12 ms of start-up
    (issue 26). Any other layout asks importlib.metadata."""
    import os

    import signxml

    folder = os.path.dirname(os.path.dirname(os.path.abspath(signxml.__file__)))
    try:
        infos = [
            name
            for name in os.listdir(folder)
            if name.startswith("signxml-") and name.endswith(".dist-info")
        ]
        if len(infos) == 1:
            with open(os.path.join(folder, infos[0], "METADATA"), encoding="utf-8") as meta:
                for line in meta:
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
                    if not line.strip():
                        break  # the headers end at the first empty line
    except OSError:
        pass
    import importlib.metadata

    try:
        return importlib.metadata.version("signxml")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return "unknown"


ENABLED = _signxml_version().startswith(TESTED_VERSIONS)


class _TreeCopy:
    """What `_tostring` hands to `_fromstring` when the pair would only copy a tree."""

    __slots__ = ("element",)

    def __init__(self, element: etree._Element) -> None:
        self.element = element


def copy_is_exact(node: object) -> bool:
    """True when deepcopy gives the same tree as serializing and parsing `node`: an
    element (not a comment or PI) with no parent and no tail, so nothing outside it
    changes its namespaces, canonical form or text."""
    return (
        isinstance(node, etree._Element)
        and isinstance(node.tag, str)
        and node.getparent() is None
        and not node.tail
    )


class _CopyByDeepcopy:
    """Mixin for signxml's XMLProcessor: exact copies by deepcopy, the rest unchanged."""

    def _tostring(self, xml_node: Any, **kwargs: Any) -> Any:
        if ENABLED and not kwargs and copy_is_exact(xml_node):
            return _TreeCopy(xml_node)
        return super()._tostring(xml_node, **kwargs)  # type: ignore[misc]

    def _fromstring(self, xml_string: Any, **kwargs: Any) -> Any:
        if isinstance(xml_string, _TreeCopy):
            duplicate = copy.deepcopy(xml_string.element)
            # The same refusal signxml applies to every tree it parses.
            for _entity in duplicate.iter(etree.Entity):
                raise InvalidInput("Entities are not supported in XML input")
            return duplicate
        return super()._fromstring(xml_string, **kwargs)  # type: ignore[misc]


@functools.lru_cache(maxsize=256)
def clark_path(xpath: str, query: str) -> str | None:
    """signxml's find expression `{xpath}{prefix}:{rest}` (prefix "ds" unless the query
    names one) with the prefix resolved; None when any other part has a prefix or a
    Clark name of its own, which then goes through signxml."""
    prefix, rest = "ds", query
    if ":" in query:
        prefix, _, rest = query.partition(":")
    uri = namespaces.get(prefix)
    if uri is None or any(mark in part for part in (xpath, rest) for mark in ":{"):
        return None
    return f"{xpath}{{{uri}}}{rest}"


class _FindByClarkName:
    """Mixin: signxml's `_find`/`_findall` look paths up with a prefix map on every call
    (lxml sorts the map to key its path cache); with the prefix resolved once, lxml
    finds the same elements for half the cost. Misses and errors go through signxml."""

    def _find(self, element: Any, query: str, require: bool = True, xpath: str = "") -> Any:
        path = clark_path(xpath, query) if ENABLED else None
        if path is not None:
            result = element.find(path)
            if result is not None or not require:
                return result
        return super()._find(element, query, require=require, xpath=xpath)  # type: ignore[misc]

    def _findall(self, element: Any, query: str, xpath: str = "") -> Any:
        path = clark_path(xpath, query) if ENABLED else None
        if path is not None:
            return element.findall(path)
        return super()._findall(element, query, xpath=xpath)  # type: ignore[misc]


# Every attribute, anywhere in the document, whose value is $uri: signxml's query
# (`//*[@*[local-name() = 'ID']=$uri]`) tests each attribute's name with an XPath
# function call before its value; asking for the value first leaves the name test for
# the one or two attributes that match (the same elements, in the same order, for half
# the cost).
_ATTRIBUTES_EQUAL_TO = etree.XPath("//@*[. = $uri]")


def elements_with_id(doc_root: Any, id_attribute: str, value: str) -> list[Any]:
    """What signxml's `//*[@*[local-name() = '{id_attribute}']=$uri]` selects: each
    element of `doc_root`'s document with an attribute of that local name (in any
    namespace, or none) whose value is `value`, once, in document order."""
    found: list[Any] = []
    for attribute in cast(list[Any], _ATTRIBUTES_EQUAL_TO(doc_root, uri=value)):
        name = attribute.attrname  # "ID", or "{namespace}ID"
        if name == id_attribute or name.endswith("}" + id_attribute):
            element = attribute.getparent()
            # An element's attributes come together in document order: one entry each.
            if not found or found[-1] is not element:
                found.append(element)
    return found


class _ResolveByValue:
    """Mixin: signxml's same-document reference lookup (`#id`): the same elements and
    the same refusal of an ambiguous ID, found by attribute value first. Every other
    kind of URI goes to signxml."""

    id_attributes: tuple[str, ...]

    def _resolve_reference(self, doc_root: Any, reference: Any, uri_resolver: Any = None) -> Any:
        uri = reference.get("URI")
        if not ENABLED or not uri or not uri.startswith("#") or uri.startswith("#xpointer("):
            return super()._resolve_reference(doc_root, reference, uri_resolver)  # type: ignore[misc]
        for id_attribute in self.id_attributes:
            results = elements_with_id(doc_root, id_attribute, uri.lstrip("#"))
            if len(results) > 1:
                count = len(results)
                raise InvalidInput(f"Ambiguous reference URI {uri} resolved to {count} nodes")
            if len(results) == 1:
                return results[0]
        raise InvalidInput(f"Unable to resolve reference URI: {uri}")


DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"


@functools.lru_cache(maxsize=64)
def _ds_qname(local: str) -> etree.QName:
    return ds_tag(local)  # type: ignore[no-untyped-call, no-any-return]


@functools.cache
def _default_ns_qname(local: str) -> etree.QName:
    """What signxml builds when ds is the default namespace: QName(None, tag)."""
    return etree.QName(None, local)


class FastSigner(_CopyByDeepcopy, _FindByClarkName, _ResolveByValue, XMLSigner):
    """XMLSigner with exact copies by deepcopy and the ds: QNames built once."""

    def _ds_tag(self, tag: str) -> Any:
        # signxml makes a new QName per element (11 per signature); it depends on the tag
        # alone, both with ds as the default namespace (Entra's shape) and with a prefix.
        if not ENABLED:
            return super()._ds_tag(tag)  # type: ignore[no-untyped-call]
        default = self.namespaces.get(None)  # type: ignore[call-overload]
        if default == DS_NAMESPACE:
            return _default_ns_qname(tag)
        if default is not None:
            return super()._ds_tag(tag)  # type: ignore[no-untyped-call]
        return _ds_qname(tag)


# signxml's `./ec:InclusiveNamespaces[@PrefixList]`, with the prefix resolved once.
_INCLUSIVE_NAMESPACES = f"./{{{namespaces['ec']}}}InclusiveNamespaces[@PrefixList]"


class FastVerifier(_CopyByDeepcopy, _FindByClarkName, _ResolveByValue, XMLVerifier):
    """XMLVerifier with exact copies by deepcopy, prefix-free finds, and the
    certificate's description (a DN rendering) made only when there is an error."""

    def _get_inclusive_ns_prefixes(self, transform_node: Any) -> Any:
        if not ENABLED:
            return super()._get_inclusive_ns_prefixes(transform_node)  # type: ignore[no-untyped-call]
        inclusive_namespaces = transform_node.find(_INCLUSIVE_NAMESPACES)
        if inclusive_namespaces is None:
            return None
        return inclusive_namespaces.get("PrefixList").split(" ")

    def _get_cert_validity_error(self, cert: Any, cert_source: str) -> Any:
        if ENABLED:
            at = self._get_cert_verification_time()  # type: ignore[no-untyped-call]
            if cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
                return None  # exactly when signxml's own check returns None
        return super()._get_cert_validity_error(cert, cert_source)  # type: ignore[no-untyped-call]

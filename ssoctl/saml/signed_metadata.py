"""Metadata whose signature is checked: every value is read from what the signature covers.

A signature protects only what it covers. The attack this module exists for: take
genuinely signed SP metadata, write a new root with the attacker's ACS and certificate,
move the genuine `ds:Signature` onto it and hide the original (signature removed) in
`md:Extensions` or in the signature's `ds:Object`. The signature still verifies, over the
hidden copy. So the verdict is "verified" only when the signed element is the document's
root itself (the EntityDescriptor, or the aggregate's EntitiesDescriptor) and the document
has one element with that ID; and the entities handed back are read from signxml's copy
of the signed bytes, never from the tree around it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from ssoctl.saml import xml
from ssoctl.saml.spmetadata import ROLES, Document, summarize
from ssoctl.saml.xml import NS, tag

ENTITY = tag("md", "EntityDescriptor")
ENTITIES = tag("md", "EntitiesDescriptor")


@dataclass(frozen=True)
class Verdict:
    """`status` is "verified" or "invalid: why"; `document` only when verified."""

    status: str
    document: Document | None

    @property
    def verified(self) -> bool:
        return self.document is not None


def _invalid(reason: str) -> Verdict:
    return Verdict(f"invalid: {reason}", None)


def verify(
    data: bytes,
    name: str,
    cert: x509.Certificate,
    now: dt.datetime,
    entity_id: str | None,
    ignore_cert_dates: bool = False,
) -> Verdict:
    """Check the root signature of `data` against `cert` at `now` (a captured document is
    judged at the time it was captured); on success the entities (all, or the one named
    `entity_id`) come from the signed element. With `ignore_cert_dates` the certificate's
    dates are not checked, and the verdict says so."""
    from ssoctl.saml import signing

    root = xml.parse(data, name, limits=xml.AGGREGATE)
    if root.tag not in (ENTITY, ENTITIES):
        return _invalid(f"the root is <{etree.QName(root).localname}>, not SAML metadata")
    if root.find(tag("ds", "Signature")) is None:
        return _invalid(_unsigned_reason(root))
    root_id = root.get("ID")
    if root_id is not None:
        ids = Counter(e.get("ID") for e in root.iter() if isinstance(e.tag, str))
        if ids[root_id] > 1:
            return _invalid(f"the ID {root_id!r} appears {ids[root_id]} times (signature wrapping)")
    try:
        verified = signing.verify(root, cert, at=signing.judged_at(cert, now, ignore_cert_dates))
    except signing.SignatureError as exc:
        return _invalid(str(exc))
    signed = verified.signed_element
    if signed.tag != root.tag or signed.get("ID") != root_id:
        covered = etree.QName(signed).localname
        return _invalid(
            f"the signature covers a {covered} with ID {signed.get('ID')!r}, not the document "
            f"root {etree.QName(root).localname} with ID {root_id!r} (signature wrapping)"
        )
    status = "verified" + (
        "; certificate dates NOT checked (--ignore-cert-dates)" if ignore_cert_dates else ""
    )
    entities = [summarize(e) for e in _entities(signed)]
    chosen = [e for e in entities if entity_id is None or e.entity_id == entity_id]
    document = Document(
        root=etree.QName(signed).localname,
        valid_until=signed.get("validUntil"),
        cache_duration=signed.get("cacheDuration"),
        signature=status,
        entities=chosen,
        total_entities=len(entities),
    )
    return Verdict(status, document)


def _entities(root: etree._Element) -> list[etree._Element]:
    """The EntityDescriptors of a metadata tree, where the schema puts them: the root
    itself, or children of (nested) EntitiesDescriptors. Never from Extensions."""
    if root.tag == ENTITY:
        return [root]
    found: list[etree._Element] = []
    for child in root:
        if child.tag == ENTITY:
            found.append(child)
        elif child.tag == ENTITIES:
            found.extend(_entities(child))
    return found


def _unsigned_reason(root: etree._Element) -> str:
    """Why an unsigned root is not verified, naming signatures found deeper down: a
    role-level or per-entity signature never vouches for the document."""
    md = NS["md"]
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        if element.find(tag("ds", "Signature")) is None:
            continue
        qname = etree.QName(element)
        if qname.namespace == md and qname.localname in ROLES:
            owner = element.getparent()
            entity = owner.get("entityID") if owner is not None else None
            return (
                f"only the {qname.localname} of {entity!r} is signed (a role-level "
                "signature); the document itself is not signed, so it is not verified"
            )
        if element.tag == ENTITY:
            return (
                f"the document root is not signed; entity {element.get('entityID')!r} "
                "carries its own signature, which does not vouch for the document or for "
                "any other entity in it"
            )
    return "the metadata is not signed"

"""Read SAML metadata from outside: an EntityDescriptor or an EntitiesDescriptor
aggregate, from an SP or an IdP, streamed so a 50 MB aggregate needs little memory.

Hostile input is refused as by `saml/xml.py`: no DTD or entities, no network, a size cap,
libxml2's depth limit; each EntityDescriptor is summarized and freed as soon as it ends.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import serialization
from lxml import etree

from ssoctl import certs
from ssoctl.errors import OperationError
from ssoctl.saml import xml
from ssoctl.saml.xml import BINDING_POST, NS, HostileXMLError, tag, text_of

MD = NS["md"]
MD_PREFIX = "{" + MD + "}"  # element tags in the metadata namespace start with it
ROLES = (
    "SPSSODescriptor",
    "IDPSSODescriptor",
    "AttributeAuthorityDescriptor",
    "AuthnAuthorityDescriptor",
    "PDPDescriptor",
    "RoleDescriptor",
)
MAX_FILE_BYTES = 512 * 1024 * 1024  # streamed: memory stays flat


@dataclass(frozen=True)
class Endpoint:
    binding: str
    location: str
    index: int | None = None
    is_default: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "binding": self.binding,
            "location": self.location,
            "index": self.index,
            "is_default": self.is_default,
        }


@dataclass(frozen=True)
class Key:
    use: str  # signing | encryption | both
    subject: str | None
    sha1: str | None
    sha256: str | None
    not_after: str | None
    body: str | None  # the certificate's Base64, whitespace removed (a valid certificate)
    problem: str | None = None

    @property
    def pem(self) -> str | None:
        """PEM of the certificate, made only when asked (import writes it; inspect never
        does): the same text as cryptography's PEM encoding of the parsed certificate."""
        if self.body is None:
            return None
        lines = [self.body[i : i + 64] for i in range(0, len(self.body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "use": self.use,
            "subject": self.subject,
            "thumbprint_sha1": self.sha1,
            "thumbprint_sha256": self.sha256,
            "not_after": self.not_after,
            **({"problem": self.problem} if self.problem else {}),
        }


@dataclass
class Entity:
    entity_id: str
    roles: list[str] = field(default_factory=list)
    acs: list[Endpoint] = field(default_factory=list)
    slo: list[Endpoint] = field(default_factory=list)
    sso: list[Endpoint] = field(default_factory=list)
    name_id_formats: list[str] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    sp_keys: list[Key] = field(default_factory=list)
    sp_encryption_keys: list[Key] = field(default_factory=list)  # use="encryption" only
    valid_until: str | None = None
    cache_duration: str | None = None

    @property
    def is_sp(self) -> bool:
        return "SPSSODescriptor" in self.roles

    def post_acs_in_order(self) -> list[Endpoint]:
        """HTTP-POST ACS endpoints: isDefault first, then by index, then document order."""
        post = [e for e in self.acs if e.binding == BINDING_POST]
        return sorted(
            post,
            key=lambda e: (e.is_default is not True, e.index if e.index is not None else 1 << 30),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "roles": self.roles,
            "acs": [e.as_dict() for e in self.acs],
            "slo": [e.as_dict() for e in self.slo],
            "sso": [e.as_dict() for e in self.sso],
            "name_id_formats": self.name_id_formats,
            "keys": [k.as_dict() for k in self.keys],
            "valid_until": self.valid_until,
            "cache_duration": self.cache_duration,
        }


@dataclass
class Document:
    root: str  # EntityDescriptor | EntitiesDescriptor
    valid_until: str | None
    cache_duration: str | None
    signature: str  # absent | present (not checked) | verified | invalid: ...
    entities: list[Entity]
    total_entities: int


def open_source(source: bytes | Path) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        size = source.stat().st_size
        if size > MAX_FILE_BYTES:
            raise HostileXMLError(f"{source} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}.")
        return source.open("rb")
    except FileNotFoundError:
        raise OperationError(f"{source} does not exist.") from None
    except OSError as exc:
        raise OperationError(f"cannot read {source}: {exc.strerror}.") from None


def read(
    source: bytes | Path,
    name: str,
    *,
    entity_id: str | None = None,
    on_entity: Callable[[], None] | None = None,
) -> Document:
    """Stream the document; keep the entities (all, or the one named `entity_id`).
    `on_entity` hears each entity read (a progress counter for a large aggregate)."""
    stream = open_source(source)
    try:
        return _stream(stream, name, entity_id, on_entity)
    finally:
        stream.close()


def _stream(
    stream: BinaryIO, name: str, entity_id: str | None, on_entity: Callable[[], None] | None
) -> Document:
    wanted = [tag("md", "EntityDescriptor"), tag("md", "EntitiesDescriptor")]
    events = xml.iterparse(stream, name, wanted)
    root: etree._Element | None = None
    signed: bool | None = None
    entities: list[Entity] = []
    total = 0
    try:
        for event, element in events:
            if root is None:
                if element.getparent() is not None:
                    break  # the root is something else
                root = element
                continue
            if event != "end" or element.tag != tag("md", "EntityDescriptor"):
                continue
            if signed is None:
                signed = root.find(tag("ds", "Signature")) is not None
            total += 1
            if on_entity is not None:
                on_entity()
            if entity_id is None or element.get("entityID") == entity_id:
                entities.append(summarize(element))
            if element is not root:
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    finally:
        events.close()  # a stopped generator releases the file's parser at once
    if root is None:
        raise HostileXMLError(
            f"{name} is not SAML metadata: its root is not md:EntityDescriptor or "
            "md:EntitiesDescriptor.",
            hint="give the SP's metadata XML.",
        )
    if root.tag == tag("md", "EntityDescriptor"):
        signed = root.find(tag("ds", "Signature")) is not None
        total = 1
        entities = [summarize(root)] if entity_id in (None, root.get("entityID")) else []
    return Document(
        root=etree.QName(root).localname,
        valid_until=root.get("validUntil"),
        cache_duration=root.get("cacheDuration"),
        signature="present (not checked)" if signed else "absent",
        entities=entities,
        total_entities=total,
    )


def summarize(element: etree._Element) -> Entity:
    entity = Entity(
        entity_id=element.get("entityID", ""),
        valid_until=element.get("validUntil"),
        cache_duration=element.get("cacheDuration"),
    )
    for role in element:
        if not isinstance(role.tag, str) or not role.tag.startswith(MD_PREFIX):
            continue
        local = role.tag[len(MD_PREFIX) :]
        if local not in ROLES:
            continue
        entity.roles.append(local)
        keys = [_key(k) for k in role.iter(tag("md", "KeyDescriptor"))]
        entity.keys.extend(keys)
        if local == "SPSSODescriptor":
            entity.sp_keys.extend(k for k in keys if k.use in ("signing", "both"))
            entity.sp_encryption_keys.extend(k for k in keys if k.use == "encryption")
        for child in role:
            if not isinstance(child.tag, str) or not child.tag.startswith(MD_PREFIX):
                continue
            name = child.tag[len(MD_PREFIX) :]
            if name == "AssertionConsumerService":
                entity.acs.append(_endpoint(child))
            elif name == "SingleLogoutService":
                entity.slo.append(_endpoint(child))
            elif name == "SingleSignOnService":
                entity.sso.append(_endpoint(child))
            elif name == "NameIDFormat":
                entity.name_id_formats.append(text_of(child) or "")
    return entity


def _endpoint(element: etree._Element) -> Endpoint:
    index = element.get("index")
    default = element.get("isDefault")
    return Endpoint(
        binding=element.get("Binding", ""),
        location=element.get("Location", ""),
        index=int(index) if index and index.isascii() and index.isdigit() else None,
        is_default=None if default is None else default.strip().lower() in ("true", "1"),
    )


def _key(descriptor: etree._Element) -> Key:
    use = descriptor.get("use") or "both"
    body = descriptor.findtext(f".//{tag('ds', 'X509Certificate')}")
    if not body:
        return Key(use, None, None, None, None, None, "no X509Certificate")
    described = _described("".join(body.split()))
    if described is None:
        return Key(use, None, None, None, None, None, "not a valid certificate")
    return Key(use, *described)


# An entity usually lists one certificate for signing and encryption, and a federation's
# hosted SPs share theirs: each distinct certificate is parsed once per process.
@functools.lru_cache(maxsize=4096)
def _described(body: str) -> tuple[str, str, str, str, str] | None:
    """(subject, SHA-1, SHA-256, notAfter, body) of a Base64 certificate, or None."""
    try:
        cert = certs.parse_certificate(body.encode("ascii", "replace"), "key")
    except OperationError:
        return None
    der = cert.public_bytes(serialization.Encoding.DER)
    return (
        cert.subject.rfc4514_string(),
        hashlib.sha1(der).hexdigest().upper(),  # = certs.thumbprint_sha1, from the DER
        hashlib.sha256(der).hexdigest().upper(),
        cert.not_valid_after_utc.isoformat(),
        base64.b64encode(der).decode("ascii"),
    )

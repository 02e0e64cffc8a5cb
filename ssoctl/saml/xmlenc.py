"""XML Encryption for SAML assertions (W3C XML Encryption 1.1, SAML Core 2.2.4, 2.3.4).

The SP side decrypts an EncryptedAssertion or an EncryptedID with the SP's private key;
the IdP side (the twin, `assertion issue`) encrypts a signed Assertion for the SP's
certificate, as Entra does for an app with a token-encryption certificate.

The cryptography is libxmlsec1's, through python-xmlsec, the library python3-saml uses
(the optional extra `ssoctl[xmlenc]`). ssoctl decides only what libxmlsec1 gets to see:

- the algorithms, from an allow-list, checked before any key is touched;
- where the key comes from: an EncryptedKey inline in the EncryptedData's KeyInfo, or a
  sibling one named by a same-document RetrievalMethod, as Entra and most IdPs write it.
  Nothing is ever fetched: a CipherReference, a RetrievalMethod to another document or
  any other kind of KeyInfo is refused;
- the plaintext: libxmlsec1 returns bytes, which ssoctl's own hardened parser reads in
  the namespace context of the encrypted element (no DTD, size and depth limits);
- the errors: every failure once the algorithms are accepted (a wrong key, bad padding,
  a bad GCM tag, a plaintext that is not one element) is the same message and path, so
  no answer tells a padding error from another failure (no decryption oracle).
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ssoctl.errors import InvalidInputError, SsoctlError, UsageError
from ssoctl.saml.xml import NS, parse, tag

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = NS["ds"]

RSA_OAEP_MGF1P = XENC + "rsa-oaep-mgf1p"
RSA_OAEP = XENC11 + "rsa-oaep"
RSA_1_5 = XENC + "rsa-1_5"
AES128_CBC, AES256_CBC = XENC + "aes128-cbc", XENC + "aes256-cbc"
AES128_GCM, AES256_GCM = XENC11 + "aes128-gcm", XENC11 + "aes256-gcm"

KEY_TRANSPORT = {
    RSA_OAEP_MGF1P: "RSA-OAEP (MGF1 with SHA-1)",
    RSA_OAEP: "RSA-OAEP",
    RSA_1_5: "RSA 1.5",
}
DATA_ENCRYPTION = {
    AES128_CBC: "AES-128-CBC",
    AES256_CBC: "AES-256-CBC",
    AES128_GCM: "AES-128-GCM",
    AES256_GCM: "AES-256-GCM",
}
# RSA-OAEP's mask generation and digest: SHA-1 and SHA-256 (XML Encryption 1.1, 5.5.2).
OAEP_MGF = {XENC11 + "mgf1sha1", XENC11 + "mgf1sha256"}
OAEP_DIGEST = {"http://www.w3.org/2000/09/xmldsig#sha1", XENC + "sha256"}
RSA_1_5_WARNING = (
    "the key is transported with RSA 1.5 (PKCS#1 v1.5), which is open to padding-oracle "
    "attacks (Bleichenbacher); ask the IdP for RSA-OAEP"
)
# What the twin and `assertion issue` use. Entra: "Microsoft Entra ID uses AES-256 to
# encrypt the SAML assertion data" (learn.microsoft.com, Configure Microsoft Entra SAML
# token encryption). The mode and the key transport are not documented: AES-256-CBC with
# RSA-OAEP (MGF1 SHA-1) is UNCONFIRMED, chosen as what every SP library decrypts.
ENTRA_DATA_ENCRYPTION = AES256_CBC  # UNCONFIRMED: the mode
ENTRA_KEY_TRANSPORT = RSA_OAEP_MGF1P  # UNCONFIRMED

FAILED = (
    "the encrypted element could not be decrypted with the given key (a wrong key, or "
    "the message was changed)"
)


class DecryptionError(InvalidInputError):
    """Any failure to decrypt: the same message whatever went wrong inside."""


@dataclass
class Decrypted:
    """What decryption did: how many elements, with which algorithms, and warnings."""

    elements: int = 0
    algorithms: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _xmlsec() -> Any:
    try:
        import xmlsec
    except ImportError:  # pragma: no cover - depends on the install
        raise UsageError(
            "encrypted assertions need python-xmlsec (libxmlsec1), an optional extra.",
            hint="pip install 'ssoctl[xmlenc]'",
        ) from None
    return xmlsec


def _x(local: str) -> str:
    return f"{{{XENC}}}{local}"


def _algorithm(element: etree._Element | None) -> str:
    method = element.find(_x("EncryptionMethod")) if element is not None else None
    return method.get("Algorithm", "") if method is not None else ""


def _check_cipher_data(element: etree._Element, what: str) -> None:
    cipher = element.find(f"{_x('CipherData')}/{_x('CipherValue')}")
    if cipher is None or not (cipher.text or "").strip():
        raise InvalidInputError(
            f"the {what} has no inline CipherValue (a CipherReference would make ssoctl "
            "fetch the ciphertext, which it never does)."
        )


def _check_key_transport(encrypted_key: etree._Element, decrypted: Decrypted) -> None:
    method = encrypted_key.find(_x("EncryptionMethod"))
    algorithm = method.get("Algorithm", "") if method is not None else ""
    if algorithm not in KEY_TRANSPORT:
        raise InvalidInputError(
            f"the key transport algorithm {algorithm or '(none)'!r} is not accepted; "
            f"accepted: {', '.join(KEY_TRANSPORT.values())}."
        )
    assert method is not None
    digest = method.find(f"{{{DS}}}DigestMethod")
    if digest is not None and digest.get("Algorithm") not in OAEP_DIGEST:
        raise InvalidInputError(
            f"RSA-OAEP with the digest {digest.get('Algorithm')!r} is not accepted; "
            "accepted: SHA-1, SHA-256."
        )
    mgf = method.find(f"{{{XENC11}}}MGF")
    if mgf is not None and mgf.get("Algorithm") not in OAEP_MGF:
        raise InvalidInputError(
            f"RSA-OAEP with the mask generation {mgf.get('Algorithm')!r} is not accepted; "
            "accepted: MGF1 with SHA-1 or SHA-256."
        )
    if algorithm == RSA_1_5:
        decrypted.warnings.append(RSA_1_5_WARNING)
    decrypted.algorithms.append(KEY_TRANSPORT[algorithm])
    _check_cipher_data(encrypted_key, "EncryptedKey")


def _inline_key(holder: etree._Element, data: etree._Element) -> etree._Element:
    """The EncryptedData's one EncryptedKey, moved into its KeyInfo when a same-document
    RetrievalMethod names a sibling (SAML Core 2.2.4 allows both places)."""
    key_info = data.find(f"{{{DS}}}KeyInfo")
    siblings = holder.findall(_x("EncryptedKey"))
    if key_info is None:
        if len(siblings) != 1:
            raise InvalidInputError(
                "the EncryptedData names no key (no KeyInfo, and not exactly one "
                "EncryptedKey beside it)."
            )
        key_info = etree.SubElement(data, f"{{{DS}}}KeyInfo")
        data.remove(key_info)
        data.insert(1 if data.find(_x("EncryptionMethod")) is not None else 0, key_info)
        key_info.append(siblings[0])
        return siblings[0]
    children = [c for c in key_info if isinstance(c.tag, str)]
    if len(children) != 1:
        raise InvalidInputError(
            "the EncryptedData's KeyInfo must hold exactly one EncryptedKey or one "
            "RetrievalMethod to it."
        )
    child = children[0]
    if child.tag == _x("EncryptedKey"):
        return child
    if child.tag == f"{{{DS}}}RetrievalMethod":
        uri = child.get("URI", "")
        wanted = [k for k in siblings if uri.startswith("#") and k.get("Id") == uri[1:]]
        if child.get("Type") != XENC + "EncryptedKey" or len(wanted) != 1:
            raise InvalidInputError(
                f"the RetrievalMethod {uri!r} does not name one EncryptedKey in this "
                "element; ssoctl never fetches a key from elsewhere."
            )
        key_info.remove(child)
        key_info.append(wanted[0])
        return wanted[0]
    raise InvalidInputError(
        f"the EncryptedData's KeyInfo holds <{etree.QName(child).localname}>; ssoctl "
        "accepts an EncryptedKey (or a RetrievalMethod to one) only."
    )


def _decrypt_one(holder: etree._Element, key: Any, decrypted: Decrypted) -> etree._Element:
    """The element inside `holder` (EncryptedAssertion, EncryptedID), decrypted."""
    xmlsec = _xmlsec()
    work = copy.deepcopy(holder)
    data = work.find(_x("EncryptedData"))
    if data is None:
        raise InvalidInputError(f"the {etree.QName(holder).localname} holds no EncryptedData.")
    algorithm = _algorithm(data)
    if algorithm not in DATA_ENCRYPTION:
        raise InvalidInputError(
            f"the data encryption algorithm {algorithm or '(none)'!r} is not accepted; "
            f"accepted: {', '.join(DATA_ENCRYPTION.values())}."
        )
    _check_cipher_data(data, "EncryptedData")
    _check_key_transport(_inline_key(work, data), decrypted)
    decrypted.algorithms.append(DATA_ENCRYPTION[algorithm])
    # Without a Type, libxmlsec1 returns the plaintext as bytes instead of parsing it
    # into the tree itself: the plaintext is read by ssoctl's parser below.
    if "Type" in data.attrib:
        del data.attrib["Type"]
    try:
        manager = xmlsec.KeysManager()
        manager.add_key(key)
        plaintext = xmlsec.EncryptionContext(manager).decrypt(data)
        if not isinstance(plaintext, bytes):
            raise ValueError("not bytes")
        return _element_in_context(plaintext, holder)
    except (xmlsec.Error, ValueError, TypeError, SsoctlError, etree.LxmlError):
        raise DecryptionError(FAILED) from None


def _element_in_context(plaintext: bytes, holder: etree._Element) -> etree._Element:
    """The one element the plaintext holds, parsed with the namespaces in scope where it
    was encrypted (an IdP serializes the element without its ancestors' declarations)."""
    declarations = "".join(
        f' xmlns{":" + prefix if prefix else ""}="{uri}"'
        for prefix, uri in holder.nsmap.items()
        if uri is not None and '"' not in uri and "&" not in uri and "<" not in uri
    )
    wrapped = (
        b"<ssoctl-plaintext" + declarations.encode() + b">" + plaintext + b"</ssoctl-plaintext>"
    )
    root = parse(wrapped, "the decrypted element")
    children = [c for c in root if isinstance(c.tag, str)]
    if len(children) != 1 or (root.text or "").strip() or (children[0].tail or "").strip():
        raise ValueError("the plaintext is not one element")
    element = children[0]
    element.tail = None
    return element


def load_key_file(path: Any, passphrase: bytes | None) -> Any:
    """The SP's key file (PEM, encrypted or not) as libxmlsec1 takes it. The decrypted PEM
    exists only in memory, handed straight to libxmlsec1."""
    from cryptography.hazmat.primitives import serialization

    from ssoctl import certs

    key = certs.load_private_key(path, passphrase)
    return load_key(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def load_key(pem: bytes) -> Any:
    """The SP's private key as libxmlsec1 takes it (a PEM already decrypted by the
    caller: passphrases stay with ssoctl's own key loading)."""
    xmlsec = _xmlsec()
    try:
        return xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem, None)
    except xmlsec.Error:
        raise InvalidInputError("the decryption key is not a PEM private key.") from None


def decrypt_assertions(parent: etree._Element, key: Any) -> Decrypted:
    """Replace every EncryptedAssertion directly under `parent` (a Response) by the
    Assertion it holds. Raises InvalidInputError for a refused algorithm or KeyInfo,
    DecryptionError for anything else."""
    return _open(parent.findall(tag("saml", "EncryptedAssertion")), tag("saml", "Assertion"), key)


def decrypt_ids(element: etree._Element, key: Any) -> Decrypted:
    """Replace the EncryptedID in the Subject of `element` (an Assertion, or a Response's
    Assertions) by the NameID it holds. Called after the signature that covers it has
    been verified: decrypting changes what was signed."""
    assertion = tag("saml", "Assertion")
    assertions = [element] if element.tag == assertion else element.findall(assertion)
    path = f"{tag('saml', 'Subject')}/{tag('saml', 'EncryptedID')}"
    holders = [h for a in assertions for h in a.findall(path)]
    return _open(holders, tag("saml", "NameID"), key)


def _open(holders: list[etree._Element], expected: str, key: Any) -> Decrypted:
    """Each holder replaced by the one `expected` element it encrypts."""
    decrypted = Decrypted()
    for holder in holders:
        inside = _decrypt_one(holder, key, decrypted)
        if inside.tag != expected:
            raise DecryptionError(FAILED)
        _replace(holder, inside)
        decrypted.elements += 1
    return decrypted


def _replace(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    parent = old.getparent()
    assert parent is not None
    parent.replace(old, new)


def encrypt_assertion(assertion: etree._Element, cert_pem: bytes) -> etree._Element:
    """An EncryptedAssertion holding `assertion` (signed first: sign, then encrypt, as
    Entra does) for the SP's certificate: a fresh AES-256 key per Response, wrapped with
    RSA-OAEP. Returns the EncryptedAssertion; the caller puts it where the Assertion was."""
    xmlsec = _xmlsec()
    holder = etree.Element(tag("saml", "EncryptedAssertion"), nsmap={"saml": NS["saml"]})
    data = xmlsec.template.encrypted_data_create(
        holder, xmlsec.constants.TransformAes256Cbc, type=xmlsec.constants.TypeEncElement,
        ns="xenc", id=f"_{secrets.token_hex(16)}",
    )  # fmt: skip
    xmlsec.template.encrypted_data_ensure_cipher_value(data)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(data, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    key_data = xmlsec.template.add_x509_data(
        xmlsec.template.encrypted_data_ensure_key_info(encrypted_key, ns="ds")
    )
    xmlsec.template.x509_data_add_certificate(key_data)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem, None))
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
    )
    # The plaintext is the Assertion exactly as serialized on its own (with the namespace
    # declarations it inherits): moving the element into another tree would let lxml
    # rewrite its prefixes, and exclusive C14N, which its signature uses, sees prefixes.
    plaintext = etree.tostring(assertion)
    try:
        encrypted = context.encrypt_binary(data, plaintext)
    except xmlsec.Error as exc:
        raise InvalidInputError(f"the assertion could not be encrypted ({exc}).") from None
    holder.append(encrypted)
    return holder

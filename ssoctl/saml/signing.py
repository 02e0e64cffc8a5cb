"""Sign and verify XML with signxml: enveloped, exclusive C14N, an algorithm allow-list.

Never hand-rolled: signxml builds and checks the XML-DSig. ssoctl only chooses where the
signature goes (a placeholder), which algorithms are allowed, and prepares KeyInfo once
per certificate instead of letting signxml re-wrap the PEM on every call.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import (  # type: ignore[attr-defined]
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
)
from signxml.exceptions import InvalidInput, InvalidSignature

from ssoctl.certs import base64_body
from ssoctl.saml.signxml_fast import FastSigner, FastVerifier
from ssoctl.saml.xml import NS, parse, tag

ALGORITHMS: dict[str, tuple[SignatureMethod, DigestAlgorithm]] = {
    "sha256": (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256),
    "sha1": (SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1),
}
# What a verifier accepts: SHA-1 stays verifiable (Entra may still be set to it) and is
# reported as weak by the caller; anything else (HMAC, DSA, MD5) is refused.
# ECDSA (RFC 4051 / RFC 6931 section 2.3.6) is standard XML-DSig that some IdPs use; it
# verifies only with a trusted certificate that has an EC key (signxml checks the key's
# type against the method). RSASSA-PSS (RFC 6931 section 2.3.10, "RSASSA-PSS Without
# Parameters") is the stronger RSA padding with the same keys: accepted with SHA-2.
ALLOWED_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.RSA_SHA1,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
        SignatureMethod.SHA256_RSA_MGF1,
        SignatureMethod.SHA384_RSA_MGF1,
        SignatureMethod.SHA512_RSA_MGF1,
    }
)
ALLOWED_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512, DigestAlgorithm.SHA1}
)
# Other standard URIs of an allowed digest. XML Encryption 1.1 (W3C Recommendation,
# 2013, section 5.1, Message Digest) names SHA-384 `http://www.w3.org/2001/04/xmlenc#sha384`;
# signxml knows only RFC 6931's `http://www.w3.org/2001/04/xmldsig-more#sha384`. The
# same function, so the same verdict: a DigestMethod naming either is read as SHA-384.
DIGEST_ALIASES = {"http://www.w3.org/2001/04/xmlenc#sha384": DigestAlgorithm.SHA384}


def _digest_by_any_standard_uri(cls: type[DigestAlgorithm], value: object) -> DigestAlgorithm:
    alias = DIGEST_ALIASES.get(value) if isinstance(value, str) else None
    if alias is None:  # signxml's own refusal, as before
        raise InvalidInput(f"Unrecognized {cls.__name__}: {value}")
    return alias


# signxml reads a DigestMethod with DigestAlgorithm(uri); Enum asks `_missing_` for a
# value it does not list. Set once, on import: it only adds names for allowed digests.
DigestAlgorithm._missing_ = classmethod(_digest_by_any_standard_uri)  # type: ignore[method-assign,assignment]
# Entra writes <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">, the XML-DSig
# namespace as the default one, not a ds: prefix (real 2022-2025 Responses and metadata).
# lxml and signxml take None as the default-namespace key; their type stubs say str only.
SIGNATURE_NSMAP = cast("dict[str, str]", {None: NS["ds"]})
WEAK = frozenset({SignatureMethod.RSA_SHA1.value, DigestAlgorithm.SHA1.value})


def placeholder() -> etree._Element:
    """Where the enveloped signature goes (signxml replaces this element)."""
    return etree.Element(tag("ds", "Signature"), Id="placeholder", nsmap=SIGNATURE_NSMAP)


class _Sha1CapableSigner(FastSigner):
    """Entra still offers SHA-1 signing; signxml refuses it unless a subclass allows it
    (its documented way). Only `--algorithm sha1` and `--case sha1` reach this."""

    def check_deprecated_methods(self) -> None:
        return None


@functools.lru_cache(maxsize=8)
def _signer(algorithm: str) -> FastSigner:
    method, digest = ALGORITHMS[algorithm]
    factory = _Sha1CapableSigner if algorithm == "sha1" else FastSigner
    signer = factory(
        signature_algorithm=method,
        digest_algorithm=digest,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = SIGNATURE_NSMAP
    return signer


@functools.lru_cache(maxsize=32)
def _key_info_template(cert: x509.Certificate) -> etree._Element:
    key_info = etree.Element(tag("ds", "KeyInfo"), nsmap=SIGNATURE_NSMAP)
    data = etree.SubElement(key_info, tag("ds", "X509Data"))
    etree.SubElement(data, tag("ds", "X509Certificate")).text = base64_body(cert)
    return key_info


def key_info(cert: x509.Certificate) -> etree._Element:
    """KeyInfo/X509Data/X509Certificate, built once per certificate and copied per use
    (signxml would otherwise re-encode and re-wrap the PEM on every signature)."""
    return copy.deepcopy(_key_info_template(cert))


def sign(
    root: etree._Element,
    reference_id: str,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    algorithm: str = "sha256",
) -> etree._Element:
    """Sign the element whose ID is `reference_id` at the placeholder inside it.

    Returns the (new) root element signxml hands back. An element inside a larger tree
    (the Assertion in its Response) is signed on its own and put back in its place: the
    exclusive C14N it is signed under ignores what is around it, and on its own signxml
    can copy it exactly without re-parsing (see signxml_fast).
    """
    parent = root.getparent()
    index = parent.index(root) if parent is not None else 0
    if parent is not None:
        parent.remove(root)
    signed: etree._Element = _signer(algorithm).sign(
        root,
        key=key,
        reference_uri=f"#{reference_id}",
        key_info=key_info(cert),
        id_attribute="ID",
    )
    if parent is not None:
        parent.insert(index, signed)
    return signed


@dataclass(frozen=True)
class Verified:
    """What signxml vouches for: only `signed_element` may be trusted."""

    signed_element: etree._Element
    signature_method: str
    digest_method: str
    certificate: x509.Certificate | None

    @property
    def weak(self) -> bool:
        return self.signature_method in WEAK or self.digest_method in WEAK


class SignatureError(Exception):
    """The signature does not verify; the message says why."""


def embedded_certificate(root: etree._Element, location: str = "./") -> x509.Certificate | None:
    """The certificate in the first signature's KeyInfo at `location`, if any."""
    from ssoctl.certs import parse_certificate
    from ssoctl.errors import OperationError

    sig = root.find(f"{location}{tag('ds', 'Signature')}")
    text = sig.findtext(f".//{tag('ds', 'X509Certificate')}") if sig is not None else None
    if not text:
        return None
    try:
        return parse_certificate(text.encode("ascii", "replace"), "the signature's KeyInfo")
    except OperationError:
        return None


def _reason(exc: Exception) -> str:
    """signxml's message, without its advice to programmers (`Use
    SignatureConfiguration(verification_time=...)`), which means nothing to a user."""
    text = str(exc) or type(exc).__name__
    return text.split(" Use SignatureConfiguration(", 1)[0].rstrip()


# An X509Data with nothing in it, in any prefix: cheap to look for before parsing again.
_EMPTY_X509DATA = re.compile(
    rb"<(?:[\w.-]+:)?X509Data(?:\s[^>]*)?(?:/>|>\s*</(?:[\w.-]+:)?X509Data>)"
)


def _without_empty_x509data(data: bytes, location: str) -> bytes:
    """The message without an empty `<X509Data/>` in the KeyInfo of the signature being
    verified (and that KeyInfo, if nothing else is left in it). Some IdPs write one; the
    XML-DSig schema that signxml applies calls it malformed. It names no key, and the
    caller gives the certificate, so it changes nothing that is checked: KeyInfo is not
    signed (the enveloped-signature transform removes the whole Signature). Only this
    signature's KeyInfo is touched: another Signature inside the signed content is data
    the digest covers."""
    if not _EMPTY_X509DATA.search(data):
        return data
    root = parse(data, "the signed element")
    key_info = root.find(f"{location}{tag('ds', 'Signature')}/{tag('ds', 'KeyInfo')}")
    if key_info is None:
        return data
    for element in key_info.findall(tag("ds", "X509Data")):
        if len(element) == 0 and not (element.text or "").strip():
            key_info.remove(element)
    if len(key_info) == 0 and not (key_info.text or "").strip():
        key_info.getparent().remove(key_info)  # type: ignore[union-attr]
    return etree.tostring(root)


def judged_at(cert: x509.Certificate, at: dt.datetime, ignore_dates: bool) -> dt.datetime:
    """The instant a signing certificate's dates are judged at: `at`, or, when its dates
    are not to be checked (--ignore-cert-dates), an instant inside its validity: signxml
    uses the instant only for the certificate's dates. Every signature a command checks
    (a Response's, its Assertion's, a metadata document's) goes through here."""
    if not ignore_dates:
        return at
    return cert.not_valid_before_utc + (cert.not_valid_after_utc - cert.not_valid_before_utc) / 2


def verify(
    root: etree._Element | bytes,
    cert: x509.Certificate | None,
    *,
    at: dt.datetime,
    location: str = "./",
    expect_references: int = 1,
) -> Verified:
    """Verify the enveloped signature found at `location` under `root` against `cert`.

    With `cert` None, the certificate embedded in KeyInfo is used: that proves integrity
    only, not who signed. The certificate must be valid at `at`. Raises SignatureError.
    Given bytes (an element serialized on its own), signxml sees nothing around it.
    """
    if cert is None:
        element = root if isinstance(root, etree._Element) else parse(root, "the signed element")
        cert = embedded_certificate(element, location)
    used = cert
    if used is None:
        raise SignatureError("no signature with an X509Certificate was found")
    if isinstance(root, bytes):
        root = _without_empty_x509data(root, location)
    config = SignatureConfiguration(
        require_x509=True,
        location=location,
        signature_methods=ALLOWED_SIGNATURE_METHODS,
        digest_algorithms=ALLOWED_DIGESTS,
        expect_references=expect_references,
        verification_time=at,
    )
    try:
        result = FastVerifier().verify(
            root, x509_cert=used, expect_config=config, id_attribute="ID"
        )
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureError(_reason(exc)) from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, etree.LxmlError) as exc:
        # A Signature signxml cannot even read (SignatureValue not Base64, no
        # SignatureMethod, no Reference): not verified, and said so, never a crash.
        raise SignatureError(f"the Signature element is malformed ({_reason(exc)})") from None
    if isinstance(result, list):
        result = result[0]
    sig = result.signature_xml
    if result.signed_xml is None:
        raise SignatureError("the signature covers no element")
    method = sig.find(f"{tag('ds', 'SignedInfo')}/{tag('ds', 'SignatureMethod')}")
    digest = sig.find(f".//{tag('ds', 'DigestMethod')}")
    return Verified(
        signed_element=result.signed_xml,
        signature_method=method.get("Algorithm", "") if method is not None else "",
        digest_method=digest.get("Algorithm", "") if digest is not None else "",
        certificate=used,
    )

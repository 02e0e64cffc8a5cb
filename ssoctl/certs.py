"""Signing certificates with Entra's profile: generate, load, export, thumbprint, expiry.

Pure functions over `cryptography` objects; the caller supplies `now` and passphrases.
Entra's profile (shared/docs/entra-saml.md, Signing certificates): self-signed,
`CN=Microsoft Azure Federated SSO Certificate`, RSA 2048, SHA-256, X.509 v3 without
extensions, a 16-byte random serial, valid 3 years and never longer.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ssoctl.errors import OperationError, UsageError
from ssoctl.files import read_regular

DEFAULT_SUBJECT = "CN=Microsoft Azure Federated SSO Certificate"
KEY_SIZES = (2048, 3072, 4096)
MAX_YEARS = 3
EXPORT_FORMATS = ("base64", "base64-line", "pem", "der", "pfx")


LAST_YEAR = 9999 - MAX_YEARS  # a certificate must end in a year datetime can hold


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    if moment.year + years > 9999:
        raise UsageError(
            f"{moment:%Y-%m-%d} is too far in the future: a certificate starting then would "
            "end after the year 9999.",
            hint=f"give a start (--now) before {LAST_YEAR + 1}.",
        )
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def parse_subject(text: str) -> x509.Name:
    """`CN=...,O=...` into a Name; only the attributes people use for SAML certificates."""
    oids = {
        "CN": NameOID.COMMON_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "C": NameOID.COUNTRY_NAME,
        "L": NameOID.LOCALITY_NAME,
        "ST": NameOID.STATE_OR_PROVINCE_NAME,
    }
    attributes = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        key, sep, value = part.partition("=")
        if not sep or key.strip().upper() not in oids or not value.strip():
            raise UsageError(
                f"--subject {text!r}: {part!r} is not KEY=VALUE with KEY one of {', '.join(oids)}.",
                hint='write it like "CN=Microsoft Azure Federated SSO Certificate".',
            )
        attributes.append(_attribute(oids[key.strip().upper()], value.strip()))
    return x509.Name(attributes)


_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]+")


def _attribute(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    """Entra encodes its subject CN as a PrintableString; so does ssoctl whenever the value
    fits that alphabet (cryptography's default would be UTF8String). cryptography exposes
    the string type only as the `_type` argument and its `_ASN1Type` enum."""
    from cryptography.x509.name import _ASN1Type

    if _PRINTABLE.fullmatch(value):
        return x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString)
    return x509.NameAttribute(oid, value)


def generate(
    *,
    now: dt.datetime,
    subject: str = DEFAULT_SUBJECT,
    key_size: int = 2048,
    not_after: dt.datetime | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A key and a self-signed certificate with Entra's profile."""
    if key_size not in KEY_SIZES:
        raise UsageError(f"key size {key_size} is not one of {', '.join(map(str, KEY_SIZES))}.")
    not_before = now.replace(microsecond=0)
    latest = add_years(not_before, MAX_YEARS)
    end = not_after or latest
    if end > latest:
        raise UsageError(
            f"the end date {end:%Y-%m-%d} is more than {MAX_YEARS} years away; Entra's "
            f"signing certificates are valid at most {MAX_YEARS} years.",
            hint=f"choose an end date on or before {latest:%Y-%m-%d}.",
        )
    if end <= not_before:
        raise UsageError(f"the end date {end:%Y-%m-%d} is not in the future.")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = parse_subject(subject)
    # 16 random bytes, as Entra's; the top bit cleared so the DER integer stays positive.
    serial = int.from_bytes(secrets.token_bytes(16), "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial or 1)
        .not_valid_before(not_before)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def key_pem(key: rsa.RSAPrivateKey, passphrase: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(path: Path) -> x509.Certificate:
    return parse_certificate(read_regular(path, "certificate"), str(path))


def parse_certificate(data: bytes, source: str) -> x509.Certificate:
    """PEM, DER, or a bare Base64 body (Entra's "Certificate (Base64)")."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        stripped = b"".join(data.split())
        try:
            return x509.load_der_x509_certificate(base64.b64decode(stripped, validate=True))
        except ValueError:
            return x509.load_der_x509_certificate(data)
    except ValueError:
        raise OperationError(
            f"{source} is not an X.509 certificate (PEM, DER or Base64).",
            hint="export it again as PEM or Base64.",
        ) from None


def load_private_key(path: Path, passphrase: bytes | None) -> rsa.RSAPrivateKey:
    """Load a PEM key. The error never contains key material."""
    data = read_regular(path, "private key")
    try:
        key = _parsed_key(data, passphrase or None)
    except TypeError:
        raise OperationError(
            f"the private key {path} is encrypted and no passphrase was given.",
            hint="set SSOCTL_KEY_PASSPHRASE or run on a terminal to be asked.",
        ) from None
    except ValueError:
        raise OperationError(
            f"cannot load the private key {path}: wrong passphrase or not a PEM key.",
            hint="check SSOCTL_KEY_PASSPHRASE, or export the key again as PEM.",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OperationError(f"{path} is not an RSA key; Entra signs with RSA only.")
    return key


@functools.lru_cache(maxsize=16)
def _parsed_key(data: bytes, passphrase: bytes | None) -> Any:
    """The key in `data`, parsed once per process (OpenSSL checks an RSA key's consistency
    on every load, ~50 ms: `assertion issue` loaded the same key twice, for the rule that
    matches it to its certificate and to sign). In memory only, by the file's content."""
    return serialization.load_pem_private_key(data, password=passphrase)


def is_encrypted_pem(path: Path) -> bool:
    try:
        return b"ENCRYPTED" in read_regular(path, "private key")[:200]
    except OperationError:
        return False


def key_matches(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    public = cert.public_key()
    return isinstance(public, rsa.RSAPublicKey) and (
        public.public_numbers() == key.public_key().public_numbers()
    )


def thumbprint_sha1(cert: x509.Certificate) -> str:
    """Upper-case hex, as Entra shows it and as Graph uses it."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def thumbprint_sha256(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def base64_body(cert: x509.Certificate) -> str:
    """The DER certificate as one Base64 line (metadata's X509Certificate, app show)."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def key_bits(cert: x509.Certificate) -> int | None:
    public = cert.public_key()
    return public.key_size if isinstance(public, rsa.RSAPublicKey) else None


@dataclass(frozen=True)
class Validity:
    not_before: dt.datetime
    not_after: dt.datetime

    def days_left(self, now: dt.datetime) -> int:
        return (self.not_after - now).days

    def state(self, now: dt.datetime) -> str:
        if now > self.not_after:
            return "expired"
        if now < self.not_before:
            return "not-yet-valid"
        return "valid"



def check_for_entra(cert: x509.Certificate, key: rsa.RSAPrivateKey | None) -> None:
    """Entra's rule for an imported signing certificate: RSA of 2048 bits or more, and
    the key (when given) is the certificate's. UsageError otherwise."""
    from ssoctl.errors import UsageError

    if key is not None and not key_matches(cert, key):
        raise UsageError("the private key does not match the certificate.")
    if (key_bits(cert) or 0) < 2048:
        raise UsageError("the key is shorter than 2048 bits; Entra requires RSA 2048 or more.")

def validity(cert: x509.Certificate) -> Validity:
    return Validity(cert.not_valid_before_utc, cert.not_valid_after_utc)


def export(
    cert: x509.Certificate,
    fmt: str,
    *,
    key: rsa.RSAPrivateKey | None = None,
    password: bytes | None = None,
    friendly_name: str | None = None,
) -> bytes:
    """Entra's download formats: base64 ("Certificate (Base64)": a .cer text file with PEM
    armour and wrapped lines, what Mitel's "Signing Certificate" field takes), pem, der
    ("Certificate (Raw)"), pfx (with the key); and base64-line, the bare Base64 body on
    one line, for fields and scripts that want no armour."""
    if fmt == "base64":
        return cert_pem(cert)
    if fmt == "base64-line":
        return (base64_body(cert) + "\n").encode("ascii")
    if fmt == "pem":
        return cert_pem(cert)
    if fmt == "der":
        return cert.public_bytes(serialization.Encoding.DER)
    if fmt == "pfx":
        if key is None or not password:
            raise UsageError("a PFX needs the private key and a password.")
        return pkcs12.serialize_key_and_certificates(
            (friendly_name or "ssoctl").encode("utf-8"),
            key,
            cert,
            None,
            serialization.BestAvailableEncryption(password),
        )
    raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")


def load_pfx(
    data: bytes, password: bytes | None, source: str
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError:
        raise OperationError(
            f"cannot open the PFX {source}: wrong password or not a PKCS#12 file.",
            hint="check SSOCTL_PFX_PASSWORD.",
        ) from None
    if cert is None or not isinstance(key, rsa.RSAPrivateKey):
        raise OperationError(f"{source} must hold one RSA key and its certificate.")
    return key, cert

"""`entra apply`'s certificate step, in Entra's rollover order (entra-graph.md A2.2):
create (Entra's key: addTokenSigningCertificate) or upload (your key, as a PFX), then
activate (preferredTokenSigningKeyThumbprint) as the file's `active` says and never
otherwise, then, with --prune only, remove the credential groups the file no longer has.

Uploading is the one time ssoctl sends a private key anywhere: only for certificates the
file marks `upload: true`. The PFX password is random, held in memory for the one PATCH,
and never written."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssoctl.entra.graph import GraphError

if TYPE_CHECKING:
    from cryptography import x509

    from ssoctl.entra.live import LiveApp
    from ssoctl.entra.session import Connection
    from ssoctl.tenant import LoadedTenant, PassphraseSource

ENTRA_SUBJECT = "CN=Microsoft Azure Federated SSO Certificate"  # addTokenSigningCertificate
KEY_SELECT = ("id", "keyCredentials", "passwordCredentials")


@dataclass
class CertificateOutcome:
    applied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    created: list[tuple[str, bytes]] = field(default_factory=list)  # (name, PEM) to record


def apply_certificates(
    connection: Connection,
    loaded: LoadedTenant,
    name: str,
    sp_id: str,
    live_app: LiveApp | None,
    thumbprints: dict[str, str],
    passphrase: PassphraseSource,
    out: CertificateOutcome,
    *,
    prune: bool,
) -> None:
    from ssoctl import certs

    graph = connection.graph
    model = loaded.model
    signing = model.signing_set(name)
    wanted = [n for n in (signing.certificates if signing else [])]
    wanted_thumbprints = {thumbprints[n] for n in wanted if n in thumbprints}
    live = {c.thumbprint for c in (live_app.certificates if live_app else []) if c.thumbprint}
    live_active = live_app.active_thumbprint if live_app else None
    # 1. yours, uploaded; Entra's, created
    for cert_name in wanted:
        thumbprint = thumbprints.get(cert_name)
        if thumbprint is None or thumbprint in live:
            continue
        entry = model.certificate(cert_name)
        if entry is None or not entry.upload or not entry.key:
            out.not_applied.append(
                f"app {name}: certificate {cert_name} is not in Entra, and the file does not "
                "mark it for upload (`upload: true`, with its key); a certificate without "
                "its key cannot be put into Entra"
            )
            continue
        from ssoctl.tenant import entries, private_key

        cert = entries(loaded)[cert_name].cert
        key = private_key(loaded, cert_name, passphrase, name)
        _upload(connection, sp_id, cert, key)
        _wait_for(connection, sp_id, thumbprint)
        live.add(thumbprint)
        out.applied.append(
            f"app {name}: uploaded certificate {cert_name} with its private key (PFX)"
        )
    for cert_name in signing.new_in_entra if signing else []:
        made = graph.write(
            "POST", f"/servicePrincipals/{sp_id}/addTokenSigningCertificate",
            {"displayName": ENTRA_SUBJECT}, needs="Application.ReadWrite.OwnedBy",
        )  # fmt: skip
        raw = made.get("key")
        if not isinstance(raw, str):
            raise GraphError("Entra's new certificate came back without its public part.")
        cert = _certificate(raw)
        out.created.append((cert_name, certs.cert_pem(cert)))
        out.applied.append(
            f"app {name}: Entra generated certificate {cert_name} (inactive), thumbprint "
            f"{certs.thumbprint_sha1(cert)}"
        )
    # 2. activate, only as the file says
    active = thumbprints.get(signing.active) if signing and signing.active else None
    switched = False
    if active and active != live_active:
        if active in live:
            graph.write("PATCH", f"/servicePrincipals/{sp_id}",
                        {"preferredTokenSigningKeyThumbprint": active},
                        needs="Application.ReadWrite.OwnedBy")  # fmt: skip
            out.applied.append(f"app {name}: Entra now signs with {signing.active}")  # type: ignore[union-attr]
            switched = True
        else:
            out.not_applied.append(
                f"app {name}: the active certificate {signing.active} is not in Entra"  # type: ignore[union-attr]
            )
    # 3. remove what the file no longer has: only with --prune, never what Entra signs with
    signs_with = active if switched else live_active
    stale = sorted(t for t in live if t not in wanted_thumbprints and t != signs_with)
    if stale and not prune:
        out.not_applied += [
            f"app {name}: certificate {t} exists only in Entra; --prune removes it" for t in stale
        ]
    elif stale:
        _remove(connection, sp_id, stale)
        out.applied += [f"app {name}: removed certificate {t}" for t in stale]
    kept = [t for t in live if t not in wanted_thumbprints and t == signs_with]
    for thumbprint in kept:
        out.not_applied.append(
            f"app {name}: certificate {thumbprint} is not in the file but Entra signs with it; "
            "activate another first"
        )


def _certificate(raw: str) -> x509.Certificate:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(base64.b64decode(raw, validate=True))
    except ValueError:
        raise GraphError("Entra's new certificate does not parse.") from None


def _credentials(connection: Connection, sp_id: str) -> tuple[list[Any], list[Any]]:
    found = connection.graph.get(f"/servicePrincipals/{sp_id}", select=KEY_SELECT)
    keys = [k for k in found.get("keyCredentials") or [] if isinstance(k, dict)]
    passwords = [p for p in found.get("passwordCredentials") or [] if isinstance(p, dict)]
    return keys, passwords


def _upload(connection: Connection, sp_id: str, cert: x509.Certificate, key: Any) -> None:
    """Entra's "Import certificate" through Graph (the MGD tutorial's "Add a custom signing
    key"): a Sign credential holding the PFX, a Verify credential holding the certificate,
    and the PFX's password, all sharing one customKeyIdentifier, added to what is there."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    password = secrets.token_urlsafe(32)  # memory only; Entra needs it to open the PFX
    pfx = pkcs12.serialize_key_and_certificates(
        b"ssoctl", key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    custom = base64.b64encode(hashlib.sha256(der).digest()).decode()
    start = cert.not_valid_before_utc.isoformat().replace("+00:00", "Z")
    end = cert.not_valid_after_utc.isoformat().replace("+00:00", "Z")
    sign_id, verify_id = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"customKeyIdentifier": custom, "displayName": cert.subject.rfc4514_string(),
              "startDateTime": start, "endDateTime": end}  # fmt: skip
    keys, passwords = _credentials(connection, sp_id)
    body = {
        "keyCredentials": [
            *keys,
            {**common, "keyId": sign_id, "type": "X509CertAndPassword", "usage": "Sign",
             "key": base64.b64encode(pfx).decode()},
            {**common, "keyId": verify_id, "type": "AsymmetricX509Cert", "usage": "Verify",
             "key": base64.b64encode(der).decode()},
        ],
        "passwordCredentials": [
            *passwords,
            {"customKeyIdentifier": custom, "keyId": sign_id, "secretText": password,
             "startDateTime": start, "endDateTime": end},
        ],
    }  # fmt: skip
    connection.graph.write("PATCH", f"/servicePrincipals/{sp_id}", body,
                           needs="Application.ReadWrite.OwnedBy")  # fmt: skip


def _wait_for(connection: Connection, sp_id: str, thumbprint: str) -> None:
    """A new credential can take minutes to show (TF polls until it is seen; A2.2)."""
    from ssoctl.entra import graph as graph_module
    from ssoctl.entra.live import certificates

    while True:
        keys, _ = _credentials(connection, sp_id)
        if thumbprint in {c.thumbprint for c in certificates(keys)}:
            return
        connection.graph.wait(graph_module.REPLICATION_POLL_S, "the new certificate")


def _remove(connection: Connection, sp_id: str, thumbprints: list[str]) -> None:
    """Remove each certificate's whole credential group (Sign, Verify and password share a
    customKeyIdentifier): removeKey fails for these (hamilton#158; TF's delete does this)."""
    from ssoctl.entra.live import certificates

    keys, passwords = _credentials(connection, sp_id)
    groups = set()
    for credential in keys:
        found = certificates([credential])
        if found and found[0].thumbprint in thumbprints:
            groups.add(credential.get("customKeyIdentifier"))
    if not groups:
        return
    body = {
        "keyCredentials": [k for k in keys if k.get("customKeyIdentifier") not in groups],
        "passwordCredentials": [p for p in passwords if p.get("customKeyIdentifier") not in groups],
    }
    connection.graph.write("PATCH", f"/servicePrincipals/{sp_id}", body,
                           needs="Application.ReadWrite.OwnedBy")  # fmt: skip

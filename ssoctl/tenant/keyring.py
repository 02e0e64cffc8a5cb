"""The tenant's certificate keyring and Entra's per-app signing sets.

Entra's model: each app signs with its own set of certificates, exactly one active;
a new certificate starts inactive, the admin hands it to the SP, then activates it.
Here the tenant file's `signing:` is the default set for apps without their own.
An expired active certificate is skipped in favour of a valid one, as Entra does.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ssoctl import certs
from ssoctl.errors import InvalidInputError, OperationError, UsageError
from ssoctl.tenant.document import LoadedTenant
from ssoctl.tenant.model import SigningSet

DEFAULT_SET = "(default)"
PassphraseSource = Callable[[str], bytes | None]


@dataclass(frozen=True)
class KeyringEntry:
    name: str
    cert: x509.Certificate
    cert_path: str
    key_path: str | None

    @cached_property
    def thumbprint(self) -> str:
        return certs.thumbprint_sha1(self.cert)

    @property
    def validity(self) -> certs.Validity:
        return certs.validity(self.cert)

    def status(self, sset: SigningSet | None, now: dt.datetime) -> str:
        state = self.validity.state(now)
        if state != "valid":
            return state
        return "active" if sset is not None and sset.active == self.name else "inactive"

    def summary(
        self,
        *,
        now: dt.datetime,
        sset: SigningSet | None = None,
        include_base64: bool = False,
    ) -> dict[str, Any]:
        when = now
        v = self.validity
        data: dict[str, Any] = {
            "name": self.name,
            "status": self.status(sset, when),
            "thumbprint_sha1": self.thumbprint,
            "thumbprint_sha256": certs.thumbprint_sha256(self.cert),
            "subject": self.cert.subject.rfc4514_string(),
            "key_bits": certs.key_bits(self.cert),
            "not_before": v.not_before.isoformat(),
            "not_after": v.not_after.isoformat(),
            "days_left": v.days_left(when),
            "cert": self.cert_path,
            "key": self.key_path,
        }
        if include_base64:
            data["base64"] = certs.base64_body(self.cert)
        return data


def entries(loaded: LoadedTenant) -> dict[str, KeyringEntry]:
    """Every certificate of the keyring, loaded. Unreadable files are errors (exit 3).
    Loaded once per LoadedTenant (the twin asks on every sign-in)."""
    memo: dict[str, KeyringEntry] | None = loaded.memo.get("keyring")
    if memo is not None:
        return memo
    found = _load_entries(loaded)
    loaded.memo["keyring"] = found
    return found


def _load_entries(loaded: LoadedTenant) -> dict[str, KeyringEntry]:
    found = {}
    for index, item in enumerate(loaded.model.certificates):
        path = loaded.resolve(item.cert)
        stamp = _stamp(path)
        if stamp is None:
            raise OperationError(
                f"certificate file {item.cert} of {item.name!r} does not exist.",
                location=loaded.locate("certificates", index, "cert"),
                hint="restore the file, or `ssoctl cert remove` the entry.",
            )
        found[item.name] = _entry(item.name, str(path), stamp, item.cert, item.key)
    return found


@functools.lru_cache(maxsize=256)
def _entry(
    name: str, path: str, _stamp: object, cert_rel: str, key_rel: str | None
) -> KeyringEntry:
    """One loaded certificate per file version: the twin reads the keyring per sign-in."""
    return KeyringEntry(name, certs.load_certificate(Path(path)), cert_rel, key_rel)


def private_key(
    loaded: LoadedTenant,
    name: str,
    passphrase: PassphraseSource,
    app: str | None = None,
) -> rsa.RSAPrivateKey:
    """The certificate's private key, checked against the certificate."""
    entry = loaded.model.certificate(name)
    if entry is None:
        raise UsageError(f"no certificate named {name!r} in the keyring.")
    if entry.key is None:
        sset = signing_set(loaded, app)
        names = list(sset.certificates) if sset else [c.name for c in loaded.model.certificates]
        local = [n for n in names if (c := loaded.model.certificate(n)) and c.key]
        where = f"app {app!r}" if app else "the keyring"
        raise OperationError(
            f"certificate {name!r} is public only (Entra generated it and keeps its key), "
            "and ssoctl's twin can sign only with a certificate whose private key is on "
            f"disk. Certificates of {where} with a local key: {', '.join(local) or 'none'}.",
            hint=(
                "create one for the twin: `ssoctl cert new"
                + (f" --app {app}`" if app else "`")
                + " (it stays inactive: Entra keeps signing with its own certificate, and "
                "the twin signs test Responses with the local one and says so)."
            ),
        )
    path = loaded.resolve(entry.key)
    stamp = _stamp(path)
    pw = passphrase(str(path)) if _is_encrypted(str(path), stamp) else None
    key = _load_key(str(path), stamp, pw)
    cert = entries(loaded)[name].cert
    if not certs.key_matches(cert, key):
        index = loaded.model.certificates.index(entry)
        raise InvalidInputError(
            f"the private key {entry.key} does not match certificate {entry.cert}.",
            location=loaded.locate("certificates", index, "key"),
            hint="point `key:` at the key this certificate was made from.",
        )
    return key


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


@functools.lru_cache(maxsize=64)
def _is_encrypted(path: str, _stamp: object) -> bool:
    return certs.is_encrypted_pem(Path(path))


@functools.lru_cache(maxsize=64)
def _load_key(path: str, _stamp: object, passphrase: bytes | None) -> rsa.RSAPrivateKey:
    """Loading an RSA key checks it (about 30 ms): the twin signs many Responses with one
    key, so a key is loaded once per file version (the stamp is part of the cache key)."""
    return certs.load_private_key(Path(path), passphrase)


def check_keys(loaded: LoadedTenant) -> None:
    """Each readable, unencrypted key must match its certificate (encrypted ones are
    checked when used, so that loading never asks for a passphrase)."""
    for item in loaded.model.certificates:
        if item.key is None:
            continue
        path = loaded.resolve(item.key)
        if path.exists() and not certs.is_encrypted_pem(path):
            private_key(loaded, item.name, lambda _p: None)


def signing_set(loaded: LoadedTenant, app: str | None) -> SigningSet | None:
    return loaded.model.signing_set(app)


def usable_active(loaded: LoadedTenant, app: str | None, now: dt.datetime) -> KeyringEntry | None:
    """The certificate that signs for `app`: the active one, or, when it has expired,
    the newest valid one in the set (Entra skips an expired active certificate)."""
    sset = signing_set(loaded, app)
    if sset is None or not sset.certificates:
        return None
    ring = entries(loaded)
    if sset.active and ring[sset.active].validity.state(now) == "valid":
        return ring[sset.active]
    valid = [ring[n] for n in sset.certificates if ring[n].validity.state(now) == "valid"]
    return max(valid, key=lambda e: e.validity.not_after) if valid else None


def metadata_certificates(
    loaded: LoadedTenant, app: str | None, now: dt.datetime
) -> list[KeyringEntry]:
    """KeyDescriptors for the metadata: the signing one first, then the other unexpired
    ones of the set, so the SP learns the next certificate before the rollover."""
    sset = signing_set(loaded, app)
    first = usable_active(loaded, app, now)
    if sset is None or first is None:
        return []
    ring = entries(loaded)
    rest = [
        ring[n]
        for n in sset.certificates
        if n != first.name and ring[n].validity.state(now) != "expired"
    ]
    return [first, *rest]


def set_summaries(loaded: LoadedTenant, app: str | None, now: dt.datetime) -> list[dict[str, Any]]:
    """Every certificate of the set, as Entra's SAML Signing Certificate section shows
    them: the one that signs first (`active: true`), then the others in set order, each
    with its status in *this* set and its Base64, for SPs that take several (CloudLink)."""
    sset = signing_set(loaded, app)
    if sset is None:
        return []
    ring = entries(loaded)
    signing = usable_active(loaded, app, now)
    names = list(sset.certificates)
    if signing is not None:
        names.remove(signing.name)
        names.insert(0, signing.name)
    out = []
    for name in names:
        entry = ring[name]
        data = entry.summary(now=now, sset=sset, include_base64=True)
        data["active"] = signing is not None and name == signing.name
        data["local_key"] = entry.key_path is not None
        out.append(data)
    return out


def encryption_certificate(loaded: LoadedTenant, app: str) -> bytes | None:
    """The app's token-encryption certificate (PEM, checked to parse: a clear error here,
    not inside libxmlsec1), or None when the app has none."""
    from ssoctl import certs
    from ssoctl.files import read_regular

    settings = loaded.model.apps[app].encryption
    if settings is None:
        return None
    path = loaded.beside(settings.certificate)
    pem = read_regular(path, "encryption certificate")
    certs.parse_certificate(pem, str(path))
    return pem


def encryption_summary(loaded: LoadedTenant, app: str, now: dt.datetime) -> dict[str, Any] | None:
    """The app's token-encryption certificate as Entra's "Token encryption" page lists it
    (thumbprint, dates, status), or None when the app has none."""
    from ssoctl import certs

    pem = encryption_certificate(loaded, app)
    settings = loaded.model.apps[app].encryption
    if pem is None or settings is None:
        return None
    cert = certs.parse_certificate(pem, settings.certificate)
    return {
        "certificate": settings.certificate,
        "thumbprint_sha1": certs.thumbprint_sha1(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "status": certs.validity(cert).state(now),
        "step": (
            "Entra > Enterprise applications > the app > Token encryption > Import "
            f"certificate: upload {settings.certificate}, then Activate it (its public key "
            "only: the SP keeps the private key)."
        ),
    }


def status_by_set(loaded: LoadedTenant, name: str, now: dt.datetime) -> dict[str, str]:
    """Certificate `name`'s status in each set that lists it, as Entra shows it per app:
    {app or "(default)": "active" | "inactive" | "expired" | "not-yet-valid"}. "active"
    means the set signs with it now (an expired active one is skipped, as Entra does)."""
    ring = entries(loaded)
    state = ring[name].validity.state(now)
    owners: list[str | None] = []
    if loaded.model.signing and name in loaded.model.signing.certificates:
        owners.append(None)
    owners += [
        a
        for a in loaded.model.apps
        if (own := signing_set(loaded, a)) is not None and name in own.certificates
    ]
    out = {}
    for owner in owners:
        signer = usable_active(loaded, owner, now)
        status = state if state != "valid" else "inactive"
        if signer is not None and signer.name == name:
            status = "active"
        out[owner if owner is not None else DEFAULT_SET] = status
    return out


def free_certificate_name(loaded: LoadedTenant, base: str) -> str:
    """`base`, or `base-2`, `base-3`...: a name no entry and no file under certs/ uses."""
    name, n = base, 1
    while (
        loaded.model.certificate(name) is not None
        or loaded.resolve(f"certs/{name}.key").exists()
        or loaded.resolve(f"certs/{name}.pem").exists()
    ):
        n += 1
        name = f"{base}-{n}"
    return name


def users_of(loaded: LoadedTenant, name: str) -> list[str]:
    """The sets (app names, or "(default)") that list certificate `name`."""
    sets = []
    if loaded.model.signing and name in loaded.model.signing.certificates:
        sets.append(DEFAULT_SET)
    for app_name, app in loaded.model.apps.items():
        own = app.signing is not None and name in app.signing.certificates
        if own or (app.signing is None and DEFAULT_SET in sets):
            sets.append(app_name)
    return sets


def active_in(loaded: LoadedTenant, name: str) -> list[str]:
    """The sets in which certificate `name` is the active one."""
    found = []
    if loaded.model.signing and loaded.model.signing.active == name:
        found.append(DEFAULT_SET)
    found += [
        a for a, app in loaded.model.apps.items() if app.signing and app.signing.active == name
    ]
    return found


# Edits of the round-trip document (called inside tenant.edit).


def _set_node(loaded: LoadedTenant, app: str | None, *, create: bool, inherit: bool = True) -> Any:
    """The round-trip node of a signing set. An app that inherits the tenant default set
    gets its own set as a copy of it (same certificates, same active one, same mode and
    algorithm): giving it its own set must not change what it signs with."""
    from ssoctl.tenant.docedit import flow_list, mapping

    owner = loaded.doc["apps"][app] if app else loaded.doc
    node = owner.get("signing")
    if node is None and create:
        inherited = loaded.model.signing if app and inherit else None
        node = mapping(
            {
                "certificates": flow_list(list(inherited.certificates) if inherited else []),
                "active": inherited.active if inherited else None,
                "mode": inherited.mode if inherited and inherited.mode != "assertion" else None,
                "algorithm": inherited.algorithm
                if inherited and inherited.algorithm != "sha256"
                else None,
            }
        )
        # The tenant default set reads best right after the keyring it draws from.
        keys = list(owner.keys())
        after = (
            "certificates" if not app else "logout_url" if "logout_url" in keys else "reply_urls"
        )
        position = keys.index(after) + 1 if after in keys else len(keys)
        owner.insert(position, "signing", node)
    return node


def app_set(loaded: LoadedTenant, app: str) -> Any:
    """The round-trip node of the app's own signing set, made (as a copy of the default
    set it used) when it has none."""
    return _set_node(loaded, app, create=True)


def add_to_set(
    loaded: LoadedTenant,
    app: str | None,
    name: str,
    cert_rel: str,
    key_rel: str | None,
    *,
    activate: bool,
    now: dt.datetime,
    thumbprint: str,
) -> tuple[str, Switch | None]:
    """Register a certificate in the keyring and in a set; returns its status, and the
    switch when it became the one the set signs with.

    It becomes active only when asked (`activate`) or when the set has nothing usable to
    sign with (no active certificate, or one that is expired or unreadable): a new
    certificate never silently replaces the one an SP trusts."""
    from ruamel.yaml.comments import CommentedSeq

    from ssoctl.tenant.docedit import mapping, section

    try:
        signs_now = usable_active(loaded, app, now)
    except OperationError:  # the active certificate's file is gone: nothing signs now
        signs_now = None
    section(loaded.doc, "certificates", CommentedSeq).append(
        mapping({"name": name, "cert": cert_rel, "key": key_rel})
    )
    node = _set_node(loaded, app, create=True)
    node["certificates"].append(name)
    if activate or signs_now is None:
        previous = node.get("active")
        node["active"] = name
        old = str(previous) if previous else None
        return "active", Switch(describe_set(loaded, app), name, thumbprint, old)
    return "inactive", None


@dataclass(frozen=True)
class Switch:
    """A change of the certificate a set signs with, for the one-line warning."""

    where: str  # "ringcentral", or "the tenant default set (used by a, b)"
    new: str
    new_thumbprint: str
    old: str | None

    def sentence(self) -> str:
        old = (
            f"SPs that trust only {self.old} will refuse sign-ins until they import the new "
            "metadata"
            if self.old
            else "give the SP the new metadata (`ssoctl metadata export --app ...`)"
        )
        return f"{self.where} now signs with {self.new} (thumbprint {self.new_thumbprint}); {old}."


def describe_set(loaded: LoadedTenant, app: str | None) -> str:
    if app is not None:
        return app
    users = [n for n, a in loaded.model.apps.items() if a.signing is None]
    return "the tenant default set" + (f" (used by {', '.join(users)})" if users else "")


def new_app_set(loaded: LoadedTenant, app: str, shared: str | None) -> None:
    """Give a new app its own signing set, as Entra does: empty (for a certificate added
    next, or Entra's own imported later), or sharing the keyring's `shared` on purpose."""
    if shared is not None and loaded.model.certificate(shared) is None:
        known = ", ".join(c.name for c in loaded.model.certificates) or "none"
        raise UsageError(f"--certificate {shared!r} is not in the keyring; certificates: {known}.")
    node = _set_node(loaded, app, create=True, inherit=False)
    if shared is not None:
        node["certificates"].append(shared)
        node["active"] = shared


def activate(loaded: LoadedTenant, app: str | None, name: str, now: dt.datetime) -> Switch | None:
    """Make `name` the active certificate of the set (the previous one stays in the set,
    inactive); returns the switch, or None when `name` was already active."""
    if app is not None and app not in loaded.model.apps:
        raise UsageError(f"no app named {app!r}.")
    ring = entries(loaded)
    if name not in ring:
        raise UsageError(
            f"no certificate named {name!r}; certificates: {', '.join(ring) or 'none'}."
        )
    state = ring[name].validity.state(now)
    if state != "valid":
        raise InvalidInputError(
            f"certificate {name!r} is {state}; an active certificate must be valid now.",
            hint="create a new one with `ssoctl cert new`.",
        )
    node = _set_node(loaded, app, create=True)
    if name not in [str(n) for n in node["certificates"]]:
        node["certificates"].append(name)
    previous = node.get("active")
    if previous == name:
        return None
    node["active"] = name
    return Switch(
        describe_set(loaded, app), name, ring[name].thumbprint, previous and str(previous)
    )


def remove_certificate(loaded: LoadedTenant, name: str) -> str:
    """Drop a certificate from the keyring and every set; refuses while active anywhere."""
    from ssoctl.tenant.docedit import remove_from_list

    entry = loaded.model.certificate(name)
    if entry is None:
        raise UsageError(f"no certificate named {name!r}.")
    where = active_in(loaded, name)
    if where:
        raise UsageError(
            f"certificate {name!r} is active in: {', '.join(where)}.",
            hint="activate another certificate there first (`ssoctl cert activate`).",
        )
    owners = [loaded.doc, *(loaded.doc["apps"][a] for a in loaded.model.apps)]
    for owner in owners:
        node = owner.get("signing")
        if node is not None:
            remove_from_list(node.get("certificates"), name)
    ring = loaded.doc["certificates"]
    del ring[next(i for i, c in enumerate(ring) if c["name"] == name)]
    return ", ".join(p for p in (entry.cert, entry.key) if p)


PAIRWISE_SECRET = "certs/pairwise-id.key"  # *.key: the .gitignore init writes keeps it out


def pairwise_secret(loaded: LoadedTenant) -> bytes:
    """The tenant's secret for persistent NameIDs (signin.persistent_id): 32 random bytes,
    hex, in certs/pairwise-id.key with mode 0600 beside the signing keys. `init` makes
    it; a tenant made before it gets one the first time a persistent NameID is issued.
    Read bounded, never through a link; made with an exclusive create, so two processes
    racing agree on one secret."""
    import os
    import secrets

    from ssoctl.files import make_private_folder, read_regular, writable

    cached = loaded.memo.get("pairwise_secret")
    if cached is not None:
        return bytes(cached)
    path = loaded.beside(PAIRWISE_SECRET)
    writable(path, loaded.folder)
    if not os.path.lexists(path):
        make_private_folder(path.parent)
        try:
            fd = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError as exc:
            raise OperationError(
                f"cannot create {path}: {exc.strerror}.",
                hint="check the certs folder's permissions.",
            ) from None
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    text = read_regular(path, "pairwise secret", 1024).decode("ascii", "replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise OperationError(
            f"{path} does not hold a pairwise secret (64 hex digits).",
            hint="delete it; ssoctl makes a new one (persistent NameIDs then change).",
        )
    loaded.memo["pairwise_secret"] = secret
    return secret

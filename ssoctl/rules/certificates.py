"""Rules about signing certificates and their keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from cryptography import x509

from ssoctl import certs, gitstate
from ssoctl.errors import SsoctlError
from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register
from ssoctl.tenant.model import SigningSet

NOTICE_DAYS = (60, 30, 7)  # Entra's expiry notification schedule


def _cert(ctx: Context, name: str) -> x509.Certificate | None:
    entry = ctx.model.certificate(name)
    if entry is None:
        return None
    return _load(str(ctx.loaded.resolve(entry.cert)))


def _stamp(path: str) -> tuple[int, int] | None:
    """Part of each cache key, so a file changed on disk is read again."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _load(path: str) -> x509.Certificate | None:
    return _load_cached(path, _stamp(path))


@cache
def _load_cached(path: str, _stamp: tuple[int, int] | None) -> x509.Certificate | None:
    try:
        return certs.load_certificate(Path(path))
    except SsoctlError:
        return None


def _sets(ctx: Context) -> Iterator[tuple[str, SigningSet | None, tuple[str | int, ...]]]:
    """Each signing set in use: (who uses it, the set, where it stands)."""
    model = ctx.model
    default_users = [n for n, a in model.apps.items() if a.signing is None]
    if model.signing is not None or default_users:
        yield (
            "the tenant default set"
            + (f" (used by {', '.join(default_users)})" if default_users else ""),
            model.signing,
            ("signing",) if model.signing is not None else (),
        )
    for name, app in model.apps.items():
        if app.signing is not None:
            yield f"app {name!r}", app.signing, ("apps", name, "signing")


@cache
def _key_verdict(key_file: str, cert_file: str, _key_stamp: object, _cert_stamp: object) -> str:
    """'match', 'mismatch', 'unreadable' (with why after a colon), or 'unknown' (no key
    file, an encrypted key, or no certificate to compare with).
    Cached: loading an RSA key validates it (~30 ms), and many files share one key."""
    key_path = Path(key_file)
    cert = _load(cert_file)
    if cert is None or not key_path.is_file() or certs.is_encrypted_pem(key_path):
        return "unknown"
    try:
        key = certs.load_private_key(key_path, None)
    except SsoctlError as exc:
        return f"unreadable: {exc.message}"
    return "match" if certs.key_matches(cert, key) else "mismatch"


@register("cert-file", Severity.error)
def cert_file(ctx: Context) -> Iterator[Finding]:
    """Every certificate file of the keyring, and every app's token-encryption
    certificate, exists and holds an X.509 certificate; an expired encryption
    certificate is a warning (Entra would encrypt for a key the SP may have retired)."""
    for name, app in ctx.model.apps.items():
        if app.encryption is None:
            continue
        cert = _load(str(ctx.loaded.resolve(app.encryption.certificate)))
        if cert is None:
            yield ctx.finding(
                f"app {name!r}: encryption certificate {app.encryption.certificate} is missing "
                "or not a certificate; assertions cannot be encrypted for the SP.",
                "apps", name, "encryption", "certificate",
            )  # fmt: skip
        elif cert.not_valid_after_utc < ctx.now:
            yield ctx.finding(
                f"app {name!r}: encryption certificate {app.encryption.certificate} expired on "
                f"{cert.not_valid_after_utc:%Y-%m-%d}; get the SP's current one "
                f"(`ssoctl metadata import SP-METADATA --app {name}`).",
                "apps", name, "encryption", "certificate",
                severity=Severity.warning,
            )  # fmt: skip
    for index, entry in enumerate(ctx.model.certificates):
        if _cert(ctx, entry.name) is None:
            yield ctx.finding(
                f"certificate {entry.name!r}: {entry.cert} is missing or not a certificate.",
                "certificates",
                index,
                "cert",
            )
        if (
            entry.key
            and not ctx.loaded.resolve(entry.key).exists()
            and not key_missing_by_design(ctx, entry.key)
        ):
            yield ctx.finding(
                f"certificate {entry.name!r}: key file {entry.key} "
                "does not exist; nothing can be signed with it.",
                "certificates",
                index,
                "key",
                severity=Severity.warning,
            )


@register("cert-expiry", Severity.error)
def cert_expiry(ctx: Context) -> Iterator[Finding]:
    """The active certificate of every signing set in use is valid, and not about to expire.

    An expired or not-yet-valid active certificate is an error, and so is a set with no
    active certificate (nothing can sign). Within 60, 30 or 7 days of expiry (Entra's
    notification schedule) it is a warning with the days left.
    """
    for who, sset, where in _sets(ctx):
        if sset is not None and not sset.certificates and len(where) == 3:
            app = where[1]
            yield ctx.finding(
                f"{who} has no signing certificate yet; Entra would refuse its sign-ins "
                f"(AADSTS50003). Import Entra's: `ssoctl cert import --cert FILE --app {app} "
                "--activate`.",
                *where,
                severity=Severity.warning,
            )
            continue
        if sset is None or not sset.active:
            yield ctx.finding(
                f"{who} has no active signing certificate; "
                "create one with `ssoctl cert new --activate`.",
                *where,
            )
            continue
        cert = _cert(ctx, sset.active)
        if cert is None:
            continue  # cert-file reports it
        validity = certs.validity(cert)
        state = validity.state(ctx.now)
        at = (*where, "active") if where else ()
        if state == "expired":
            yield ctx.finding(
                f"the active certificate {sset.active!r} of {who} "
                f"expired on {validity.not_after:%Y-%m-%d}; sign-ins fail. "
                "Activate a valid one.",
                *at,
            )
        elif state == "not-yet-valid":
            yield ctx.finding(
                f"the active certificate {sset.active!r} of {who} "
                f"is not valid before {validity.not_before:%Y-%m-%d}.",
                *at,
            )
        else:
            days = validity.days_left(ctx.now)
            notice = next((d for d in sorted(NOTICE_DAYS) if days <= d), None)
            if notice is not None:
                yield ctx.finding(
                    f"the active certificate {sset.active!r} of "
                    f"{who} expires in {days} days "
                    f"({validity.not_after:%Y-%m-%d}); roll it over.",
                    *at,
                    severity=Severity.warning,
                )


@register("rollover", Severity.warning)
def rollover(ctx: Context) -> Iterator[Finding]:
    """The active certificate expires within 60 days and no successor is waiting.

    Entra's rollover: create the next certificate (inactive), give it to the SP, then
    activate it. Start now: `ssoctl cert new` in that set.
    """
    for who, sset, where in _sets(ctx):
        if sset is None or not sset.active:
            continue
        active = _cert(ctx, sset.active)
        if active is None:
            continue
        end = certs.validity(active).not_after
        if (end - ctx.now).days > 60 or end < ctx.now:
            continue
        successors = [
            n
            for n in sset.certificates
            if n != sset.active and (c := _cert(ctx, n)) is not None and c.not_valid_after_utc > end
        ]
        if not successors:
            yield ctx.finding(
                f"{who}: {sset.active!r} expires "
                f"{end:%Y-%m-%d} and no inactive successor exists; run "
                "`ssoctl cert new` for it.",
                *where,
            )


@register("cert-strength", Severity.error)
def cert_strength(ctx: Context) -> Iterator[Finding]:
    """Keys and algorithms are strong enough, and each key matches its certificate.

    RSA under 2048 bits is an error; SHA-1 (for signing, or in the certificate) is a
    warning; a key that does not match its certificate is an error.
    """
    for index, entry in enumerate(ctx.model.certificates):
        cert = _cert(ctx, entry.name)
        if cert is None:
            continue
        bits = certs.key_bits(cert)
        if bits is None or bits < 2048:
            yield ctx.finding(
                f"certificate {entry.name!r} has a "
                f"{bits or 'non-RSA'}-bit key; Entra needs RSA 2048 or more.",
                "certificates",
                index,
                "cert",
            )
        digest = cert.signature_hash_algorithm
        if digest is not None and digest.name == "sha1":
            yield ctx.finding(
                f"certificate {entry.name!r} is signed with SHA-1.",
                "certificates",
                index,
                "cert",
                severity=Severity.warning,
            )
        if entry.key:
            key_file = str(ctx.loaded.resolve(entry.key))
            cert_path = str(ctx.loaded.resolve(entry.cert))
            verdict = _key_verdict(key_file, cert_path, _stamp(key_file), _stamp(cert_path))
            if verdict == "mismatch":
                yield ctx.finding(
                    f"key {entry.key} does not match certificate {entry.cert}.",
                    "certificates",
                    index,
                    "key",
                )
            elif verdict.startswith("unreadable"):
                yield ctx.finding(
                    f"key {entry.key} cannot be used ({verdict.partition(': ')[2]}); nothing "
                    "can be signed with it. Restore the key, or replace the certificate.",
                    "certificates",
                    index,
                    "key",
                )
    for who, sset, where in _sets(ctx):
        if sset is not None and sset.algorithm == "sha1":
            yield ctx.finding(
                f"{who} signs with SHA-1; use sha256 (Entra's default).",
                *where,
                "algorithm",
                severity=Severity.warning,
            )


@register("key-file", Severity.warning)
def key_file(ctx: Context) -> Iterator[Finding]:
    """Private key files are private, and never in git.

    A key committed to the git repository that holds the tenant file (it is in the index)
    is an error: whoever can read the repository can sign as Entra. Fix: `git rm --cached`
    it, add it to `.gitignore`, and replace the certificate. A key that git would commit
    (untracked, not ignored) or that group or others can read is a warning. Fix: add it to
    `.gitignore`; `chmod 600`. A key marked `public_demo_key: true` (published on
    purpose, as the bundled example's) is an info note instead. ssoctl answers these
    questions by reading the repository's index and ignore files; it never runs git. As
    git does, it trusts a repository only when you own it (or your git configuration
    lists it in `safe.directory`), and reads its metadata bounded.
    """
    for index, entry in enumerate(ctx.model.certificates):
        if not entry.key:
            continue
        path = ctx.loaded.resolve(entry.key)
        git = gitstate.state(path, ctx.loaded.folder)
        if git is not None and git.tracked and entry.public_demo_key:
            yield ctx.finding(
                f"key {entry.key} is committed to git and marked public_demo_key: anyone "
                "can sign as this IdP. Fine for a demo; never for a real tenant.",
                "certificates",
                index,
                "key",
                severity=Severity.info,
            )
        elif git is not None and git.tracked:
            yield ctx.finding(
                f"key {entry.key} is committed to git ({git.relative} in {git.work_tree}); "
                "anyone who can read the repository can sign as this IdP. Run "
                f"`git rm --cached {git.relative}`, add it to .gitignore, and replace the "
                "certificate (`ssoctl cert new`).",
                "certificates",
                index,
                "key",
                severity=Severity.error,
            )
        if not path.exists():
            continue
        mode = path.stat().st_mode & 0o777
        if mode & 0o077 and not entry.public_demo_key:  # a published key has no secret
            yield ctx.finding(
                f"key {entry.key} has mode {mode:o}; run `chmod 600 {entry.key}`.",
                "certificates",
                index,
                "key",
            )
        if git is not None and not git.tracked and not git.ignored:
            yield ctx.finding(
                f"key {entry.key} is in a git work tree and not "
                "ignored; add it to .gitignore (or move it out).",
                "certificates",
                index,
                "key",
            )


def key_missing_by_design(ctx: Context, key: str) -> bool:
    """A key that git ignores is absent from every fresh clone: that is the layout the
    docs recommend, not a problem (CI runs `validate --strict` on such a clone)."""
    git = gitstate.state(ctx.loaded.resolve(key), ctx.loaded.folder)
    return git is not None and git.ignored and not git.tracked

"""The parse step of the commands whose options exclude or require each other, as
check-jsonschema's ParseResult: each function takes the raw options and either returns
nothing or raises a UsageError (exit 2) naming the options and the fix, before any file is
read. The command body then makes its core call."""

from __future__ import annotations

from pathlib import Path

from ssoctl.errors import UsageError


def not_both(first: str, first_given: bool, second: str, second_given: bool) -> None:
    if first_given and second_given:
        raise UsageError(f"give {first} or {second}, not both.")


def cert_dates_need_cert(*, cert_given: bool, at_given: bool, ignore_dates: bool) -> None:
    """`metadata inspect/import`: --at and --ignore-cert-dates judge the signer's
    certificate, so they come with --cert."""
    if not cert_given and (at_given or ignore_dates):
        flag = "--at" if at_given else "--ignore-cert-dates"
        raise UsageError(f"{flag} judges the signature's certificate: give --cert PEM too.")


def verify_trust(
    *, app: str | None, cert: Path | None, trust_embedded: bool, expected_given: bool
) -> None:
    """`assertion verify`: exactly one source of trust, and the expected values only with
    --cert (--app brings its own)."""
    if app is None and cert is None and not trust_embedded:
        raise UsageError("give --app NAME, --cert PEM, or --trust-embedded-cert.")
    not_both("--app", app is not None, "--cert", cert is not None)
    if trust_embedded and (app is not None or cert is not None):
        raise UsageError(
            f"--trust-embedded-cert cannot be combined with {'--app' if app else '--cert'}: "
            "the certificate inside the message proves nothing about who signed it, so it "
            "never replaces the certificates you trust.",
            hint="drop --trust-embedded-cert to check against the trusted certificates.",
        )
    if app is not None and expected_given:
        raise UsageError(
            "--app gives the expected Issuer, Audience and Destination; --issuer, --audience, "
            "--destination and --sp-metadata go with --cert."
        )


def issue_output(*, count: int, fmt: str | None) -> None:
    """`assertion issue --count N` writes JSON lines: one-document formats cannot."""
    if count > 1 and fmt in ("xml", "html"):
        raise UsageError(
            f"--format {fmt} writes one response; --count {count} writes JSON lines.",
            hint="use --format base64 (id, acs, SAMLResponse) or json (with a summary).",
        )


def tls_source(*, self_signed: bool, cert: Path | None, key: Path | None) -> None:
    """`idp serve`: --self-signed, or --tls-cert with --tls-key, or plain http."""
    if self_signed and (cert or key):
        raise UsageError("give --self-signed, or --tls-cert with --tls-key, not both.")
    if (cert is None) != (key is None):
        raise UsageError("--tls-cert and --tls-key go together.")


def import_source(*, pfx: Path | None, cert: Path | None, key: Path | None) -> None:
    """`cert import`: a PFX, or a certificate (with its key, or Entra's alone)."""
    if pfx is not None and (cert or key):
        raise UsageError("give --pfx, or --cert with --key, not both.")
    if key is not None and cert is None:
        raise UsageError("--key goes with --cert.")
    if pfx is None and cert is None:
        raise UsageError("give --cert FILE (Entra's certificate), --cert with --key, or --pfx.")


def export_scope(*, app: str | None, all_apps: bool) -> None:
    """`entra export`: one app, or every SAML app on purpose."""
    not_both("--app", app is not None, "--all", all_apps)
    if app is None and not all_apps:
        raise UsageError(
            "give --app NAME (one app) or --all (every SAML app of the tenant).",
            hint="`ssoctl entra plan` lists the live apps first.",
        )


def entra_certificate(
    *, in_entra: bool, upload: bool, app: str | None, local_options: list[str]
) -> None:
    """`cert new --in-entra`: Entra makes the key, so nothing local applies; per app."""
    not_both("--in-entra", in_entra, "--upload", upload)
    if in_entra and app is None:
        raise UsageError(
            "--in-entra needs --app: Entra keeps signing certificates per app.",
            hint="pass --app NAME.",
        )
    if in_entra and local_options:
        raise UsageError(
            f"--in-entra cannot be combined with {', '.join(local_options)}: Entra generates "
            "the key and the certificate (3 years, RSA 2048), and it starts inactive.",
            hint="activate it later with `ssoctl cert activate NAME --app APP` and apply.",
        )

"""`ssoctl assertion issue|verify|decode`: test a sign-in, and find out why one failed."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ssoctl.cli import options
from ssoctl.cli.common import (
    OUTPUT_VERSION,
    emit_json,
    key_passphrase,
    load_tenant,
    new_typer,
    note,
    parse_now,
    shaped,
    warn_if_invalid,
    write_out,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from ssoctl.files import StreamedFile
    from ssoctl.saml.authnrequest import AuthnRequest
    from ssoctl.saml.verify import Outcome

app = new_typer("Issue test SAML Responses like Entra's; verify and decode real ones.")


class IssueFormat(str, Enum):
    xml = "xml"
    base64 = "base64"
    html = "html"
    json = "json"


class SignMode(str, Enum):
    assertion = "assertion"
    response = "response"
    both = "both"


class Algorithm(str, Enum):
    sha256 = "sha256"
    sha1 = "sha1"


class Case(str, Enum):
    expired = "expired"
    not_yet_valid = "not-yet-valid"
    wrong_audience = "wrong-audience"
    wrong_recipient = "wrong-recipient"
    unsigned = "unsigned"
    bad_signature = "bad-signature"
    sha1 = "sha1"


class AuthnMethodChoice(str, Enum):
    password = "password"
    x509 = "x509"
    windows = "windows"
    mfa = "mfa"


class VerifyFormat(str, Enum):
    text = "text"
    json = "json"


def read_input(value: str, what: str) -> bytes:
    """A file, `-` for stdin, or the value itself (XML, Base64, a Redirect URL)."""
    from ssoctl.errors import OperationError
    from ssoctl.saml.xml import MAX_BYTES

    if value == "-":
        return sys.stdin.buffer.read(MAX_BYTES * 2)
    path = Path(value)
    looks_like_path = len(value) < 1024 and "\n" not in value and not value.startswith("<")
    try:
        is_file = looks_like_path and path.is_file()
    except OSError:  # a long Base64 value is not a file name
        is_file = False
    if is_file:
        try:
            if path.stat().st_size > MAX_BYTES * 2:
                raise OperationError(f"{what} {path} is larger than {MAX_BYTES * 2:,} bytes.")
            return path.read_bytes()
        except OSError as exc:
            raise OperationError(f"cannot read {what} {path}: {exc.strerror}.") from None
    # Base64 never holds "." or starts with "./": such a value was meant as a file name.
    meant_as_path = (
        value.startswith(("/", "./", "../", "~"))
        or ("." in value and "/" in value)
        or value.endswith((".xml", ".txt", ".b64"))
    )
    if looks_like_path and meant_as_path and "://" not in value and "SAML" not in value:
        raise OperationError(f"{what} {value} does not exist.")
    return value.encode("utf-8")


@app.command("issue")
def issue(
    app_name: str = typer.Option(..., "--app", help="App name."),
    upn: str = typer.Option(..., "--user", help="User principal name."),
    request: str | None = typer.Option(
        None, "--request", help="SP-initiated: the AuthnRequest (file, Redirect URL, Base64, XML)."
    ),
    relay_state: str | None = typer.Option(
        None,
        "--relay-state",
        help="RelayState to post (default: the request's, or the app's Relay State).",
    ),
    authn_method: AuthnMethodChoice = typer.Option(
        "password", "--authn-method", help="How the user signed in (AuthnContextClassRef, amr)."
    ),
    authn_instant: str | None = typer.Option(
        None, "--authn-instant", help="When the user signed in (ISO time; default: --now)."
    ),
    session_age: str | None = typer.Option(
        None, "--session-age", help="Or: how long ago the user signed in, e.g. 90m, 8h, 2d."
    ),
    sign: SignMode | None = typer.Option(
        None, "--sign", help="What to sign (default: app setting)."
    ),
    algorithm: Algorithm | None = typer.Option(None, "--algorithm", help="sha256 or sha1."),
    name_id_format: str | None = typer.Option(None, "--name-id-format", help="NameID format."),
    attr: list[str] = typer.Option([], "--attr", help="Extra attribute NAME=VALUE; repeatable."),
    now_text: str | None = typer.Option(None, "--now", help="Issue instant (ISO time)."),
    lifetime: int = typer.Option(60, "--lifetime", min=1, max=1440, help="Minutes (Entra: 60)."),
    fmt: IssueFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="xml (default), base64, html or json; with --count: base64 (default) or json.",
    ),
    out_path: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
    count: int = typer.Option(
        1,
        "--count",
        min=1,
        max=1_000_000,
        help="Issue N responses, one JSON line each, written as they are made.",
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        max=256,
        help="With --count: processes that make them (default: one per core, at most 8).",
    ),
    case: Case | None = typer.Option(None, "--case", help="A negative case for testing an SP."),
    force: bool = typer.Option(False, "--force", help="Issue despite an Entra refusal."),
) -> None:
    """Issue a signed SAML Response as Entra would send it to the app."""
    from ssoctl import bulk
    from ssoctl.errors import UsageError
    from ssoctl.signin import SignInRequest
    from ssoctl.signin import issue as issue_response

    options.issue_output(count=count, fmt=fmt.value if fmt else None)
    options.not_both(
        "--authn-instant", authn_instant is not None, "--session-age", session_age is not None
    )

    loaded = load_tenant()
    from ssoctl.tenant import pairwise_secret, require_app

    require_app(loaded.model, app_name, loaded.path)
    warn_if_invalid(loaded)
    extra = []
    for item in attr:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--attr {item!r} is not NAME=VALUE.")
        extra.append((name, value))
    app_model = loaded.model.apps[app_name]
    parsed_request = None
    request_relay_state = None
    if request is not None:
        parsed_request, request_relay_state = _checked_request(
            request, app_model.identifiers, app_model.reply_urls
        )
    now = parse_now(now_text)
    signed_in_at = parse_now(authn_instant) if authn_instant is not None else None
    if session_age is not None:
        signed_in_at = now - _duration(session_age, "--session-age")
    ask = SignInRequest(
        app=app_name,
        upn=upn,
        now=now,
        request=parsed_request,
        name_id_format=name_id_format,
        extra_attributes=tuple(extra),
        lifetime_minutes=lifetime,
        force=force,
        relay_state=relay_state,
        request_relay_state=request_relay_state,
        authn_method=authn_method.value,
        authn_instant=signed_in_at,
        pairwise_secret=lambda: pairwise_secret(loaded),
    )
    issued = issue_response(
        loaded, ask, key_passphrase, case=case.value if case else None,
        mode=sign.value if sign else None, algorithm=algorithm.value if algorithm else None,
    )  # fmt: skip
    for warning in issued.warnings:
        note(f"warning: {warning}")

    if count > 1:
        batch = bulk.Batch(issued, OUTPUT_VERSION, summaries=fmt is IssueFormat.json)
        with bulk.lines(batch, count, jobs) as lines:
            _stream(lines, count, out_path)
        return
    xml_bytes, _ = issued.response(bulk.new_id)
    _emit(xml_bytes, issued.spec.destination, issued.relay_state, fmt or IssueFormat.xml, out_path)


def _stream(lines: Iterable[bytes], count: int, out_path: Path | None) -> None:
    """Write each line as it is made (constant memory), with progress on a terminal.
    Ctrl-C keeps what was written, says how many, and exits 130. To a file, the lines go
    to a temp file beside it that replaces the file at the end (or at Ctrl-C), so a
    reader never sees a half-written line."""
    import signal

    from ssoctl.cli.progress import progress
    from ssoctl.files import StreamedFile

    # Ctrl-C is taken between two lines, never inside one: the count said is the count
    # kept, and no line is cut.
    stop: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: stop.append(signum))
    written = 0
    sink = StreamedFile(out_path) if out_path is not None else None
    try:
        with progress("issuing responses", total=count) as advance:
            for line in lines:
                if sink is not None:
                    sink.write(line)
                else:
                    sys.stdout.buffer.write(line)
                    sys.stdout.buffer.flush()
                written += 1
                advance(1)
                if stop:
                    break
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    where = _finish(sink)
    if stop:
        note(f"interrupted: kept the {written} of {count} responses already written{where}")
        raise typer.Exit(130)
    note(f"wrote {written} responses{where}")


def _finish(sink: StreamedFile | None) -> str:
    if sink is None:
        return ""
    sink.close()
    return f" to {sink.path}"


def _duration(text: str, option: str) -> dt.timedelta:
    """`90m`, `8h`, `2d` (or `45s`) as a timedelta."""
    import datetime as dt
    import re

    from ssoctl.errors import UsageError

    match = re.fullmatch(r"(\d{1,6})([smhd])", text.strip())
    if match is None:
        raise UsageError(f"{option} {text!r} is not a duration such as 90m, 8h or 2d.")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return dt.timedelta(**{unit: int(match[1])})


def _checked_request(
    value: str, identifiers: list[str], reply_urls: list[str]
) -> tuple[AuthnRequest, str | None]:
    """The AuthnRequest, checked as Entra checks it, and the RelayState sent with it (from
    a Redirect URL's query or a pasted POST form body)."""
    from ssoctl.saml import authnrequest, bindings, xml

    decoded = bindings.decode(read_input(value, "--request"), "--request")
    root = xml.parse(decoded.xml, "the AuthnRequest")
    return authnrequest.check(root, identifiers, reply_urls), decoded.relay_state


def _emit(
    xml_bytes: bytes,
    acs: str,
    relay_state: str | None,
    fmt: IssueFormat,
    out_path: Path | None,
) -> None:
    from ssoctl.saml import bindings, summary

    encoded = bindings.encode_post(xml_bytes)
    if fmt is IssueFormat.xml:
        payload = xml_bytes + b"\n"
    elif fmt is IssueFormat.base64:
        payload = (encoded + "\n").encode()
    elif fmt is IssueFormat.html:
        from ssoctl.saml.html import post_form

        payload = post_form(acs, encoded, relay_state).encode("utf-8")
    else:
        document = {
            "version": OUTPUT_VERSION,
            "acs": acs,
            "relay_state": relay_state,
            "SAMLResponse": encoded,
            "summary": summary.summary_of(xml_bytes),
        }
        from ssoctl import outputs

        payload = (json.dumps(shaped(document, outputs.IssuedResponse), indent=2) + "\n").encode()
    _write(payload, out_path)


def _write(payload: bytes, out_path: Path | None) -> None:
    if out_path is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    from ssoctl.files import write_atomic

    write_atomic(out_path, payload, mode=0o644)
    note(f"wrote {out_path}")


@app.command("verify")
def verify_cmd(
    source: str = typer.Argument(..., help="The Response: a file, - for stdin, Base64 or XML."),
    app_name: str | None = typer.Option(None, "--app", help="Check against this app's settings."),
    cert_file: Path | None = typer.Option(None, "--cert", help="Trust this certificate (PEM)."),
    trust_embedded: bool = typer.Option(
        False,
        "--trust-embedded-cert",
        help="Use the certificate inside the message: proves integrity only, not who signed.",
    ),
    issuer: str | None = typer.Option(None, "--issuer", help="Expected Issuer (the IdP)."),
    audience: list[str] = typer.Option(
        [], "--audience", help="Expected Audience (the SP's entity ID); repeatable."
    ),
    destination: list[str] = typer.Option(
        [], "--destination", help="Expected Destination/Recipient (the ACS); repeatable."
    ),
    sp_metadata: Path | None = typer.Option(
        None, "--sp-metadata", help="Take the expected Audience and ACS from the SP's metadata."
    ),
    ignore_cert_dates: bool = typer.Option(
        False,
        "--ignore-cert-dates",
        help="Accept a signing certificate outside its validity dates (as most SP libraries do).",
    ),
    at_text: str | None = typer.Option(None, "--at", help="Check at this instant (ISO time)."),
    skew: int = typer.Option(5, "--skew", min=0, max=60, help="Allowed clock skew, minutes."),
    expect_in_response_to: str | None = typer.Option(
        None, "--expect-in-response-to", help="The AuthnRequest ID the SP sent."
    ),
    decrypt_key: Path | None = typer.Option(
        None,
        "--decrypt-key",
        help="The SP's private key (PEM) for an EncryptedAssertion or EncryptedID "
        "(passphrase: $SSOCTL_KEY_PASSPHRASE or a prompt).",
    ),
    fmt: VerifyFormat = typer.Option(VerifyFormat.text, "--format", "-f", help="text or json."),
) -> None:
    """Run an SP's checks on a Response from any IdP: a PASS/FAIL/SKIP line with a reason
    for each. With --app the expected values come from the tenant file; with --cert give
    them (--issuer, --audience, --destination or --sp-metadata). A check without its
    expected value is reported as SKIP, naming the flag that would run it.

    Exit 0 valid, 1 invalid, 3 unreadable.
    """
    import datetime as dt

    from ssoctl import certs
    from ssoctl.saml import bindings, xml
    from ssoctl.saml.verify import Expectations, verify_response

    options.verify_trust(
        app=app_name, cert=cert_file, trust_embedded=trust_embedded,
        expected_given=bool(issuer or audience or destination or sp_metadata),
    )  # fmt: skip
    decoded = bindings.decode(read_input(source, "response"), "the response")
    root = xml.parse(decoded.xml, "the response")
    at = parse_now(at_text)
    decryption_key = None
    if decrypt_key is not None:
        from ssoctl.saml import xmlenc

        passphrase = (
            key_passphrase(str(decrypt_key)) if certs.is_encrypted_pem(decrypt_key) else None
        )
        decryption_key = xmlenc.load_key_file(decrypt_key, passphrase)
    trusted = []
    kwargs: dict[str, Any] = {
        "issuer": issuer,
        "identifiers": list(audience),
        "reply_urls": list(destination),
    }
    if sp_metadata is not None:
        kwargs.update(_expected_from_sp_metadata(sp_metadata, kwargs))
    if cert_file is not None:
        trusted = [certs.load_certificate(cert_file)]
    if app_name is not None:
        from ssoctl.signin import expectations_for

        expect = expectations_for(
            load_tenant(), app_name, at=at, skew=dt.timedelta(minutes=skew),
            in_response_to=expect_in_response_to, ignore_cert_dates=ignore_cert_dates,
            decryption_key=decryption_key,
        )  # fmt: skip
    else:
        expect = Expectations(
            trusted=trusted, at=at, skew=dt.timedelta(minutes=skew),
            in_response_to=expect_in_response_to, trust_embedded=trust_embedded,
            ignore_cert_dates=ignore_cert_dates, decryption_key=decryption_key, **kwargs,
        )  # fmt: skip
    outcome = verify_response(root, expect)
    _report(outcome, fmt)
    if not outcome.valid:
        raise typer.Exit(1)


def _expected_from_sp_metadata(path: Path, given: dict[str, Any]) -> dict[str, Any]:
    """The SP's entityID (the expected Audience) and its HTTP-POST ACS locations."""
    from ssoctl.errors import UsageError
    from ssoctl.saml import spmetadata

    document = spmetadata.read(path, str(path))
    sps = [e for e in document.entities if e.is_sp]
    if len(sps) != 1:
        raise UsageError(f"--sp-metadata {path} holds {len(sps)} SPs; give a file with one.")
    sp = sps[0]
    acs = [e.location for e in sp.post_acs_in_order()]
    if not given["reply_urls"] and not acs:
        # Never a silent skip: the person asked for the SP's ACS to be checked.
        from ssoctl.errors import InvalidInputError

        raise InvalidInputError(
            f"--sp-metadata {path} has no HTTP-POST AssertionConsumerService, so the "
            "Response's Destination cannot be checked against it (Entra posts Responses "
            "only over HTTP-POST).",
            hint="fix the SP's metadata, or give the ACS URL with --destination.",
        )
    return {
        "identifiers": given["identifiers"] or [sp.entity_id],
        "reply_urls": given["reply_urls"] or acs,
    }


def _report(outcome: Outcome, fmt: VerifyFormat) -> None:
    if fmt is VerifyFormat.json:
        from ssoctl import outputs

        emit_json(
            {
                "valid": outcome.valid,
                "checks": [
                    {"check": c.name, "ok": c.ok, "warning": c.warning, "reason": c.reason}
                    for c in outcome.checks
                ],
                "summary": outcome.summary or None,  # null when nothing could be read
            },
            shape=outputs.VerifyReport,
        )
        return
    marks = {True: "PASS", False: "FAIL", None: "SKIP"}
    lines = [
        f"{'WARN' if c.ok and c.warning else marks[c.ok]}  {c.name:<20} {c.reason}"
        for c in outcome.checks
    ]
    lines.append("valid" if outcome.valid else "INVALID")
    write_out("\n".join(lines) + "\n")


@app.command("decode")
def decode_cmd(
    source: str = typer.Argument(..., help="File, - for stdin, Base64, XML, or a Redirect URL."),
    fmt: VerifyFormat = typer.Option(
        VerifyFormat.text, "--format", "-f", help="text (pretty XML) or json (summary)."
    ),
) -> None:
    """Decode a SAMLRequest or SAMLResponse and pretty-print it. Never claims validity."""
    from lxml import etree

    from ssoctl.saml import bindings, xml
    from ssoctl.saml.summary import summarize

    decoded = bindings.decode(read_input(source, "input"), "the input")
    root = xml.parse(decoded.xml, "the decoded message")
    if fmt is VerifyFormat.json:
        kind = etree.QName(root).localname
        document: dict[str, Any] = {
            "type": kind,
            "binding": decoded.binding,
            "relay_state": decoded.relay_state,
            "note": "decoded only; the signature was NOT checked",
            "summary": {},
        }
        assertion = root.find(xml.tag("saml", "Assertion"))
        if kind == "Response" and assertion is not None:
            document["summary"] = summarize(assertion, root, assertion_signed=False)
        elif kind == "AuthnRequest":
            from ssoctl.saml.authnrequest import read

            document["summary"] = read(root).__dict__
        from ssoctl import outputs

        emit_json(document, shape=outputs.Decoded)
        return
    etree.indent(root)
    write_out(etree.tostring(root, encoding="unicode") + "\n")
    note("decoded only: the signature was not checked (use `ssoctl assertion verify`).")


@app.command("diff")
def diff_cmd(
    first: str = typer.Argument(..., help="Response A: file, - for stdin, Base64 or XML."),
    second: str = typer.Argument(..., help="Response B: file, Base64 or XML."),
    fmt: VerifyFormat = typer.Option(
        VerifyFormat.text, "--format", "-f", help="text (one line per difference) or json."
    ),
) -> None:
    """Compare two Responses as an SP sees them, IDs and instants aside.

    Issuer, NameID format and value, Audience, attributes (names, order, values),
    AuthnContext, what is signed and with which algorithms. IDs, instants and signature
    values are ignored. Exit 0: the same; 1: they differ. Signatures are not checked
    (`assertion verify` does)."""
    import json

    from ssoctl.saml import bindings, xml
    from ssoctl.saml.diff import diff

    if first == "-" and second == "-":
        from ssoctl.errors import UsageError

        raise UsageError("only one of the two Responses can come from stdin (-).")
    roots = [
        xml.parse(bindings.decode(read_input(value, what), what).xml, what)
        for value, what in ((first, "Response A"), (second, "Response B"))
    ]
    found = diff(roots[0], roots[1])
    if fmt is VerifyFormat.json:
        from ssoctl import outputs

        document = {
            "same": not found,
            "differences": [{"aspect": d.aspect, "a": d.a, "b": d.b} for d in found],
        }
        emit_json(document, shape=outputs.AssertionDiff)
    else:
        for item in found:
            a = json.dumps(item.a, ensure_ascii=False)
            b = json.dumps(item.b, ensure_ascii=False)
            write_out(f"{item.aspect}:\n  A: {a}\n  B: {b}\n")
        note(
            "the same to an SP (IDs, instants and signature values aside)."
            if not found
            else f"{len(found)} difference(s) an SP could notice; signatures were not checked."
        )
    if found:
        raise typer.Exit(1)

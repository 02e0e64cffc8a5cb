"""`ssoctl metadata export|import|inspect`: IdP metadata out, SP metadata in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ssoctl.cli.common import (
    FORMAT_OPTION,
    DataFormat,
    emit_json,
    key_passphrase,
    load_tenant,
    new_typer,
    note,
    parse_now,
    warn_if_invalid,
    write_out,
)

if TYPE_CHECKING:
    import datetime as dt

    from ssoctl.saml.signed_metadata import Verdict

app = new_typer("IdP metadata for the SP; the SP's metadata into the tenant file.")


@app.command("export")
def export(
    app_name: str | None = typer.Option(
        None, "--app", help="The app whose App Federation Metadata to write (required)."
    ),
    out_path: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
    no_sign: bool = typer.Option(False, "--no-sign", help="Leave the metadata unsigned."),
    first: str | None = typer.Option(
        None, "--first", help="List this certificate first (tests SPs that take the first key)."
    ),
    now_text: str | None = typer.Option(None, "--now", help="Instant (ISO time); fixes the ID."),
) -> None:
    """Write an app's federation metadata shaped like Entra's App Federation Metadata,
    signed by the certificate the app signs with.

    KeyDescriptors: every certificate of the app's set, inactive ones included and
    expired ones left out, as Entra publishes them; the signing one first unless --first
    names another. Entra serves app certificates only per app, so --app is required.
    """
    from ssoctl.errors import UsageError
    from ssoctl.tenant import require_app

    loaded = load_tenant()
    if app_name is None:
        apps = ", ".join(loaded.model.apps) or "none yet"
        raise UsageError(
            f"give --app NAME: Entra publishes signing certificates per app (App Federation "
            f"Metadata), never in tenant-wide metadata. Apps: {apps}.",
            hint="`ssoctl metadata export --app NAME --out idp-metadata.xml`.",
        )
    require_app(loaded.model, app_name, loaded.path)
    warn_if_invalid(loaded)
    app_entry = loaded.model.apps[app_name]
    if app_entry.missing_fields():
        note(
            f"note: app {app_name!r} is incomplete (no Identifier or Reply URL yet); the IdP "
            f"metadata does not need them, but sign-ins do: `ssoctl metadata import "
            f"SP-METADATA --app {app_name}`."
        )
    from ssoctl.federation import app_metadata

    made = app_metadata(
        loaded,
        app_name,
        parse_now(now_text),
        passphrase=key_passphrase,
        first=first,
        sign=not no_sign,
    )
    xml_bytes = made.xml
    entries, signer = made.certificates, made.signer
    if out_path is None:
        sys.stdout.buffer.write(xml_bytes)
        sys.stdout.flush()
        return
    from ssoctl.files import write_atomic

    write_atomic(out_path, xml_bytes, mode=0o644)
    note(
        f"wrote {out_path} ({len(entries)} signing certificate"
        f"{'s' if len(entries) > 1 else ''}, signed by {signer.name})"
        if signer is not None
        else f"wrote {out_path} (unsigned)"
    )


def _obtain(source: str, allow_http: bool, max_bytes: int) -> tuple[bytes | Path, str]:
    """A URL is fetched (fetch.py); anything else is a local file, streamed later."""
    from ssoctl.errors import OperationError

    if "://" in source:
        from ssoctl.fetch import fetch

        fetched = fetch(source, allow_http=allow_http, max_bytes=max_bytes)
        return fetched.content, fetched.url
    path = Path(source)
    if not path.exists():
        raise OperationError(f"{source} does not exist (give a file or an https URL).")
    if not path.is_file():
        raise OperationError(f"{source} is not a regular file (give a file or an https URL).")
    if path.stat().st_size > max_bytes:
        raise OperationError(
            f"{source} is {path.stat().st_size:,} bytes; the limit is {max_bytes:,}.",
            hint="this is not SP metadata ssoctl accepts.",
        )
    return path, source


@contextmanager
def _streamed(source: str, allow_http: bool) -> Iterator[tuple[Path, str]]:
    """A local file as it is, or a URL fetched into a temporary file (never into memory),
    for spmetadata's streaming reader."""
    from ssoctl.saml import spmetadata

    if "://" not in source:
        obtained, name = _obtain(source, allow_http, spmetadata.MAX_FILE_BYTES)
        assert isinstance(obtained, Path)
        yield obtained, name
        return
    import tempfile

    from ssoctl.fetch import fetch

    with tempfile.NamedTemporaryFile(prefix="ssoctl-metadata-", suffix=".xml") as sink:
        fetched = fetch(
            source, allow_http=allow_http, max_bytes=spmetadata.MAX_FILE_BYTES, sink=sink
        )
        sink.flush()
        yield Path(sink.name), fetched.url


IGNORE_CERT_DATES = typer.Option(
    False,
    "--ignore-cert-dates",
    help="With --cert: accept a signing certificate outside its validity dates.",
)


def _verify(
    source: bytes | Path,
    name: str,
    cert_file: Path,
    now: dt.datetime,
    entity_id: str | None,
    ignore_cert_dates: bool = False,
) -> Verdict:
    """The signed_metadata verdict for --cert: values come from the signed root only."""
    from ssoctl import certs
    from ssoctl.files import read_regular
    from ssoctl.saml import signed_metadata, xml

    cert = certs.load_certificate(cert_file)
    if isinstance(source, Path):
        source = read_regular(source, "metadata", xml.AGGREGATE.max_bytes)
    return signed_metadata.verify(source, name, cert, now, entity_id, ignore_cert_dates)


@app.command("inspect")
def inspect(
    source: str = typer.Argument(..., help="Metadata file or https URL."),
    cert_file: Path | None = typer.Option(None, "--cert", help="Verify the signature (PEM)."),
    entity_id: str | None = typer.Option(None, "--entity-id", help="Only this entity."),
    allow_http: bool = typer.Option(False, "--allow-http", help="Allow http for localhost."),
    at_text: str | None = typer.Option(
        None, "--at", help="With --cert: judge the signer's certificate at this instant (ISO)."
    ),
    ignore_cert_dates: bool = IGNORE_CERT_DATES,
    fmt: DataFormat = FORMAT_OPTION,
) -> None:
    """Summarize SAML metadata (an entity or an aggregate, SP or IdP): endpoints, keys,
    validity and signature status. --at judges a captured document at the time it was
    captured."""
    from ssoctl.cli.options import cert_dates_need_cert
    from ssoctl.saml import spmetadata

    # saml.xml's cap, equal to fetch.py's: fetch (and httpx) is imported only for a URL.
    from ssoctl.saml.xml import MAX_BYTES

    cert_dates_need_cert(
        cert_given=cert_file is not None,
        at_given=at_text is not None,
        ignore_dates=ignore_cert_dates,
    )
    at = parse_now(at_text)
    obtained, name = _obtain(
        source, allow_http, MAX_BYTES if "://" in source else spmetadata.MAX_FILE_BYTES
    )
    from ssoctl.cli.progress import progress

    with progress("reading entities") as advance:
        document = spmetadata.read(
            obtained, name, entity_id=entity_id, on_entity=lambda: advance(1)
        )
    if cert_file is not None:
        verdict = _verify(obtained, name, cert_file, at, entity_id, ignore_cert_dates)
        # Verified: show what the signature covers. Invalid: show what the file says,
        # marked invalid (exit 1), so the person can see what was refused.
        document = verdict.document or document
        document.signature = verdict.status
    if entity_id is not None and not document.entities:
        from ssoctl.errors import InvalidInputError

        raise InvalidInputError(
            f"no entity {entity_id!r} among the {document.total_entities} in {name}."
        )
    data = {
        "source": name,
        "root": document.root,
        "valid_until": document.valid_until,
        "cache_duration": document.cache_duration,
        "signature": document.signature,
        "total_entities": document.total_entities,
        "entities": [e.as_dict() for e in document.entities],
    }
    if fmt is DataFormat.json:
        from ssoctl import outputs

        emit_json(data, shape=outputs.MetadataInspect)
    else:
        _print_inspect(data)
    if document.signature.startswith("invalid"):
        raise typer.Exit(1)


def _print_inspect(data: dict[str, Any]) -> None:
    lines = [
        f"{data['source']}: {data['root']}, {data['total_entities']} "
        f"entit{'y' if data['total_entities'] == 1 else 'ies'}, signature "
        f"{data['signature']}"
    ]
    if data["valid_until"] or data["cache_duration"]:
        lines.append(f"  validUntil {data['valid_until']}  cacheDuration {data['cache_duration']}")
    for e in data["entities"]:
        lines.append(f"\n{e['entity_id']}  [{', '.join(e['roles']) or 'no SAML role'}]")
        for label, key in (("ACS", "acs"), ("SLO", "slo"), ("SSO", "sso")):
            for ep in e[key]:
                extra = "".join(
                    [
                        f" index={ep['index']}" if ep["index"] is not None else "",
                        " default" if ep["is_default"] else "",
                    ]
                )
                lines.append(
                    f"  {label:<4} {ep['binding'].rsplit(':', 1)[-1]:<14} {ep['location']}{extra}"
                )
        for fmt_uri in e["name_id_formats"]:
            lines.append(f"  NameIDFormat {fmt_uri}")
        for k in e["keys"]:
            lines.append(
                f"  key  {k['use']:<10} {k['subject']}  SHA-1 {k['thumbprint_sha1']}  "
                f"expires {k['not_after']}" + (f"  ({k['problem']})" if k.get("problem") else "")
            )
    write_out("\n".join(lines) + "\n")


@app.command("import")
def import_cmd(
    source: str = typer.Argument(..., help="SP metadata file or https URL."),
    app_name: str = typer.Option(..., "--app", help="The app to fill."),
    entity_id: str | None = typer.Option(None, "--entity-id", help="The SP, in an aggregate."),
    cert_file: Path | None = typer.Option(None, "--cert", help="Require a valid signature (PEM)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the diff; write nothing."),
    force: bool = typer.Option(False, "--force", help="Accept values the gallery rules refuse."),
    allow_http: bool = typer.Option(False, "--allow-http", help="Allow http for localhost."),
    now_text: str | None = typer.Option(None, "--now", help="Instant for validUntil (ISO)."),
    ignore_cert_dates: bool = IGNORE_CERT_DATES,
) -> None:
    """Fill an app's Identifier, Reply URLs, Logout URL and SP certificate from the SP's
    metadata, as Entra's "Upload metadata file" does. Shows the diff; writes atomically."""
    from ssoctl.cli.common import tenant_path
    from ssoctl.cli.options import cert_dates_need_cert
    from ssoctl.saml import spmetadata
    from ssoctl.saml.xml import MAX_BYTES  # fetch.py's cap too (see inspect)
    from ssoctl.spimport import import_sp, pick_sp, signed_only
    from ssoctl.tenant import require_app

    cert_dates_need_cert(
        cert_given=cert_file is not None, at_given=False, ignore_dates=ignore_cert_dates
    )
    now = parse_now(now_text)
    path = tenant_path()
    current = load_tenant()
    require_app(current.model, app_name, current.path)
    if entity_id is not None and cert_file is None:
        # One SP out of a federation aggregate: streamed, so a 50 MB aggregate works;
        # the 10 MB cap stays for documents read whole (a signature covers the whole).
        from ssoctl.cli.progress import progress

        with _streamed(source, allow_http) as (streamed, name), progress("reading") as advance:
            document = spmetadata.read(
                streamed, name, entity_id=entity_id, on_entity=lambda: advance(1)
            )
    elif cert_file is not None:
        obtained, name = _obtain(source, allow_http, MAX_BYTES)
        verdict = _verify(obtained, name, cert_file, now, entity_id, ignore_cert_dates)
        document = signed_only(verdict, name, cert_file)
        note(f"signature of {name}: {verdict.status}")
    else:
        obtained, name = _obtain(source, allow_http, MAX_BYTES)
        document = spmetadata.read(obtained, name, entity_id=entity_id)
    sp = pick_sp(document, name, entity_id, now)

    outcome = import_sp(path, app_name, sp, write=not dry_run, force=force, now=now, notify=note)
    import difflib

    diff = difflib.unified_diff(
        outcome.old_text.splitlines(keepends=True),
        outcome.new_text.splitlines(keepends=True),
        fromfile=f"{path} (before)",
        tofile=f"{path} (after)",
    )
    text = "".join(diff)
    write_out(text or "no changes\n")
    if dry_run:
        note("dry run: nothing written.")
    elif outcome.written:
        note(f"updated app {app_name!r} from {sp.entity_id}: " + ", ".join(outcome.value))

"""SP metadata into an app: pick the SP, write its values, and say what the gallery
rules would refuse (Entra's "Upload metadata file", for the tenant file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssoctl.errors import InvalidInputError, OperationError, UsageError
from ssoctl.instants import parse_instant
from ssoctl.saml.spmetadata import Document, Entity
from ssoctl.saml.xml import BINDING_POST, BINDING_REDIRECT
from ssoctl.tenant import LoadedTenant

if TYPE_CHECKING:
    from ssoctl.tenant import EditOutcome, SpValues

CHECKED_RULES = ("url-https", "url-format", "gallery-endpoint", "identifier-unique")


def pick_sp(document: Document, name: str, entity_id: str | None, now: dt.datetime) -> Entity:
    """The one SP to import, with validUntil checked (an expired document is refused)."""
    until = parse_instant(document.valid_until)
    for owner, value in (("the document", document.valid_until),):
        if value and parse_instant(value) is None:
            raise InvalidInputError(
                f"{name}: validUntil {value!r} of {owner} is not an xs:dateTime.",
                hint="download fresh metadata from the SP.",
            )
    if until is not None and until < now:
        raise InvalidInputError(
            f"{name}: the document is valid only until {document.valid_until}; it has expired.",
            hint="download fresh metadata from the SP.",
        )
    sps = [e for e in document.entities if e.is_sp]
    if entity_id is not None and not sps:
        raise UsageError(f"no SP with entityID {entity_id!r} in {name}.")
    if not sps:
        raise OperationError(
            f"{name} holds no SP (no SPSSODescriptor) among its "
            f"{document.total_entities} entit"
            f"{'y' if document.total_entities == 1 else 'ies'}.",
            hint="give the service provider's metadata, not an IdP's.",
        )
    if len(sps) > 1:
        listed = "\n".join(f"  {e.entity_id}" for e in sps[:50])
        more = f"\n  ... and {len(sps) - 50} more" if len(sps) > 50 else ""
        raise UsageError(
            f"{name} holds {len(sps)} SPs; choose one with --entity-id:\n{listed}{more}"
        )
    sp = sps[0]
    until = parse_instant(sp.valid_until)
    if until is not None and until < now:
        raise InvalidInputError(f"{sp.entity_id}: valid only until {sp.valid_until}; expired.")
    if not sp.post_acs_in_order():
        raise InvalidInputError(
            f"{sp.entity_id} has no HTTP-POST AssertionConsumerService; "
            "Entra posts SAML Responses only with HTTP-POST."
        )
    return sp


def sp_values(sp: Entity) -> SpValues:
    """What Entra's "Upload metadata file" takes from an SP: its entityID, its HTTP-POST
    ACS locations (default first, then by index), its Logout URL (Redirect preferred),
    and its signing certificates."""
    from ssoctl.tenant import SpValues

    slo = sorted(sp.slo, key=lambda e: (e.binding not in (BINDING_REDIRECT, BINDING_POST),))
    pems = [k.pem for k in sp.sp_keys if k.pem]
    # Entra holds one token-encryption certificate per app: the SP's first valid
    # KeyDescriptor use="encryption" (a key without `use` is not a request to encrypt).
    encryption = next((k.pem for k in sp.sp_encryption_keys if k.pem), None)
    return SpValues(
        identifier=sp.entity_id,
        reply_urls=[e.location for e in sp.post_acs_in_order()],
        logout_url=slo[0].location if slo else None,
        certificate_pem="".join(pems).encode("ascii") if pems else None,
        encryption_pem=encryption.encode("ascii") if encryption else None,
    )


def signed_only(verdict: Any, name: str, cert_file: object) -> Document:
    """With --cert, only what the signature covers is imported; --force never overrides
    this. `verdict` is signed_metadata.verify's: its document is the signed element's."""
    if verdict.document is None:
        raise InvalidInputError(
            f"the signature of {name} does not verify with {cert_file} ({verdict.status}).",
            hint="get the metadata from the SP again; nothing was imported.",
        )
    document: Document = verdict.document
    return document


def import_sp(
    path: Path,
    app: str,
    sp: Entity,
    *,
    write: bool,
    force: bool,
    now: dt.datetime,
    notify: Callable[[str], None],
) -> EditOutcome:
    """Entra's "Upload metadata file", for the tenant file: one edit writing the SP's
    values into `app`. Refused when the imported values break the gallery's URL rules
    (unless `force`, which `notify` then hears), and judged like every edit; `write=False`
    is the dry run. The outcome carries the text before and after, for the diff."""
    from ssoctl import tenant
    from ssoctl.tenant import set_sp_values
    from ssoctl.validate import edit_judge

    def review(result: LoadedTenant, _new_text: str) -> None:
        problems = refusals(result, app, now)
        if problems and not force:
            raise InvalidInputError(
                f"the imported values break the gallery's rules for {app!r}.",
                problems=problems,
                hint="check the metadata, or pass --force to accept it.",
            )
        for problem in problems:
            notify(f"warning (--force): {problem}")

    # The rules judge at the command's --now (the clock without it), as for every edit.
    judge = edit_judge(force=force, notify=notify, now=now)
    change = partial(set_sp_values, app=app, values=sp_values(sp))
    return tenant.edit_reviewed(
        path, change, write=write, review=review, notify=notify, judge=judge
    )


def refusals(result: LoadedTenant, app: str, now: dt.datetime) -> list[str]:
    """Error findings of the URL and gallery rules on the imported app."""
    from ssoctl.findings import Severity
    from ssoctl.rules import Context, load_all
    from ssoctl.validate import run_rule

    registry = load_all()
    ctx = Context(result, now, str(result.path))
    found = []
    for rule_id in CHECKED_RULES:
        for finding in run_rule(registry[rule_id], ctx):
            if finding.severity is Severity.error and (finding.path or "").startswith(
                f"apps.{app}."
            ):
                found.append(f"{finding.line}:{finding.col} [{finding.rule}] {finding.message}")
    return found

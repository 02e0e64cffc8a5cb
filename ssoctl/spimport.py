"""SP metadata into an app: pick the SP, write its values, and say what the gallery
rules would refuse (Entra's "Upload metadata file", for the tenant file)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ssoctl.errors import InvalidInputError, OperationError, UsageError
from ssoctl.files import read_beside
from ssoctl.instants import parse_instant
from ssoctl.saml.spmetadata import Document, Entity
from ssoctl.saml.xml import BINDING_POST, BINDING_REDIRECT
from ssoctl.tenant import LoadedTenant
from ssoctl.tenant.docedit import flow_list

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


def apply_sp(loaded: LoadedTenant, app: str, sp: Entity) -> list[str]:
    """Set the app's fields on the round-trip document and stage the SP certificate file
    with the edit (written only if the edit is saved); returns what changed."""
    entry = loaded.doc["apps"][app]
    changed: list[str] = []

    def put(key: str, value: Any, *after: str) -> None:
        current = entry.get(key)
        plain = list(current) if isinstance(current, list) else current
        new_plain = list(value) if isinstance(value, list) else value
        if plain == new_plain:
            return
        if key in entry:
            entry[key] = value
        else:
            # Next to a key that exists, never at the end: a comment written above the
            # following app belongs to this mapping's last value and must stay there.
            keys = list(entry.keys())
            anchor = next((a for a in after if a in keys), keys[0])
            entry.insert(keys.index(anchor) + 1, key, value)
        changed.append(key)

    put("identifiers", flow_list([sp.entity_id]), "app_id")
    put("reply_urls", flow_list([e.location for e in sp.post_acs_in_order()]), "identifiers")
    slo = sorted(sp.slo, key=lambda e: (e.binding not in (BINDING_REDIRECT, BINDING_POST),))
    if slo:
        put("logout_url", slo[0].location, "reply_urls")
    signing_keys = [k for k in sp.sp_keys if k.pem]
    if signing_keys:
        relative = f"certs/sp-{app}.pem"
        target = loaded.beside(relative)
        pem = "".join(k.pem or "" for k in signing_keys).encode("ascii")
        if read_beside(target, "SP certificate") != pem:
            loaded.files.put(target, pem, 0o644)
        put("sp_certificate", relative, "logout_url", "reply_urls")
    return changed


def refusals(result: LoadedTenant, app: str, now: dt.datetime) -> list[str]:
    """Error findings of the URL and gallery rules on the imported app."""
    from ssoctl.findings import Severity
    from ssoctl.rules import Context, load_all

    registry = load_all()
    ctx = Context(result, now, str(result.path))
    found = []
    for rule_id in CHECKED_RULES:
        check = registry[rule_id].check
        assert check is not None
        for finding in check(ctx):
            if finding.severity is Severity.error and (finding.path or "").startswith(
                f"apps.{app}."
            ):
                found.append(f"{finding.line}:{finding.col} [{finding.rule}] {finding.message}")
    return found

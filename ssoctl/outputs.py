"""The documented shape of every `--format json` output, as msgspec types.

The commands build plain dicts (the CLI never imports this module); these types are the
contract. `python -m ssoctl.outputs` writes one JSON Schema per output into
docs/schemas/ (tests/test_json_outputs.py fails when a schema is stale, and validates
each command's real output against its schema). Every document carries `version`: it
changes only when a field is removed or changes meaning; added fields keep it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ssoctl.tenant import Template

OUTPUT_VERSION = 1

Version = Annotated[Literal[1], Meta(description="Version of this document's shape.")]
Time = Annotated[str, Meta(description="An ISO 8601 date-time.")]
Thumbprint = Annotated[str, Meta(description="Hex digest of the DER certificate, upper case.")]


class _Out(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


# validate ------------------------------------------------------------------------------


class Tool(_Out):
    name: Literal["ssoctl"]
    version: str


class Summary(_Out):
    """Totals over every file."""

    files: int
    errors: int
    warnings: int
    infos: int
    unreadable: Annotated[int, Meta(description="Files that could not be read at all.")]
    failed: Annotated[bool, Meta(description="Whether validate exits non-zero.")]


class FindingOut(_Out):
    rule: Annotated[str, Meta(description="Rule ID; `ssoctl validate --explain RULE`.")]
    severity: Literal["error", "warning", "info"]
    message: Annotated[str, Meta(description="What is wrong and how to fix it.")]
    line: Annotated[int, Meta(ge=1)]
    column: Annotated[int, Meta(ge=1)]
    path: Annotated[str | None, Meta(description="The YAML key path, e.g. apps.x.reply_urls[0].")]


class FileOut(_Out):
    file: Annotated[str, Meta(description="The file as given on the command line.")]
    unreadable: Annotated[str | None, Meta(description="Why it could not be read, or null.")]
    findings: list[FindingOut]


class ValidateReport(_Out):
    """`ssoctl validate --format json`."""

    version: Version
    tool: Tool
    summary: Summary
    files: list[FileOut]


class RuleOut(_Out):
    id: str
    severity: Annotated[Literal["error", "warning", "info"], Meta(description="Default severity.")]
    summary: str
    doc: Annotated[str, Meta(description="What the rule checks, why, and the fix.")]


class RuleList(_Out):
    """`ssoctl validate --list-rules --format json`."""

    version: Version
    rules: list[RuleOut]


# apps ----------------------------------------------------------------------------------


class AppRow(_Out):
    name: str
    template: str
    variant: Annotated[str | None, Meta(description="Region or platform.")]
    identifier: Annotated[str | None, Meta(description="The first Identifier (Entity ID).")]
    reply_url: Annotated[str | None, Meta(description="The first (default) Reply URL.")]
    assignments: Annotated[int, Meta(description="How many users and groups are assigned.")]


class AppList(_Out):
    """`ssoctl app list --format json`."""

    version: Version
    apps: list[AppRow]


class BasicSaml(_Out):
    """What to paste into Entra's Basic SAML Configuration."""

    identifier: list[str]
    reply_url: list[str]
    sign_on_url: str | None
    relay_state: str | None
    logout_url: str | None


class SpPortal(_Out):
    """What to paste into the SP's admin portal."""

    login_url: str
    microsoft_entra_identifier: str
    logout_url: str
    app_federation_metadata_url: Annotated[
        str | None, Meta(description="Null until the app's Application ID is recorded.")
    ]
    app_federation_metadata_url_placeholder: str | None
    logout_response_issuer: Annotated[
        str | None,
        Meta(
            description="When the app has a Logout URL: the Issuer of Entra's LogoutResponses,"
            " its login host, not the Microsoft Entra Identifier; the SP must accept it."
        ),
    ]
    steps: list[str]


class _CertificateFields(_Out):
    """What every certificate listing says of one certificate."""

    name: str
    status: Annotated[str, Meta(description="valid, expiring, expired or not yet valid.")]
    thumbprint_sha1: Thumbprint
    thumbprint_sha256: Thumbprint
    subject: str
    key_bits: int | None
    not_before: Time
    not_after: Time
    days_left: int
    cert: Annotated[str, Meta(description="Path relative to the tenant file.")]
    key: Annotated[str | None, Meta(description="Null for Entra's own (public only).")]


LocalKey = Annotated[bool, Meta(description="True when the key is on disk (ours); false: Entra's.")]


class CertificateView(_CertificateFields):
    base64: Annotated[str, Meta(description="Certificate (Base64), as Entra shows it.")]
    active: bool
    local_key: LocalKey


class NameIdOut(_Out):
    source: str
    format: str


class ClaimsOut(_Out):
    name_id: NameIdOut
    attributes: Annotated[dict[str, str], Meta(description="Claim name -> source attribute.")]
    claims_are_entra_defaults: bool


class TokenEncryption(_Out):
    """The SP's encryption certificate, for Entra's "Token encryption" page."""

    certificate: str
    thumbprint_sha1: Thumbprint
    not_after: str
    status: Annotated[str, Meta(description="valid, expiring, expired or not yet valid.")]
    step: str


class AppShow(_Out):
    """`ssoctl app show NAME --format json`: the paste sheet."""

    version: Version
    app: str
    template: str
    display_name: str
    sso_mode: Literal["idp-initiated", "sp-initiated", "either"]
    region: str | None
    platform: str | None
    app_id: str | None
    entra_basic_saml_configuration: BasicSaml
    sp_portal: SpPortal
    certificates: list[CertificateView]
    certificate: Annotated[CertificateView | None, Meta(description="The active one.")]
    token_encryption: Annotated[
        TokenEncryption | None,
        Meta(description="Null when the app's assertions are not encrypted."),
    ]
    unknown: Annotated[
        dict[str, str],
        Meta(description="Values not known yet (field -> how to get it), never invented."),
    ]
    unconfirmed: Annotated[
        dict[str, str], Meta(description="Values no source confirms (field -> why).")
    ]
    claims: ClaimsOut
    assignments: list[str]


class ClaimRow(_Out):
    claim: str
    source: str
    required_by_template: bool
    entra_default: bool


class ClaimList(_Out):
    """`ssoctl app claim list NAME --format json`."""

    version: Version
    claims: list[ClaimRow]


# directory and certificates ------------------------------------------------------------


class UserRow(_Out):
    upn: str
    object_id: str
    display_name: str | None
    given_name: str | None
    surname: str | None
    mail: str | None
    apps: Annotated[list[str], Meta(description="Apps the user is assigned to directly.")]


class UserList(_Out):
    """`ssoctl user list --format json`."""

    version: Version
    users: list[UserRow]


class GroupRow(_Out):
    name: str
    members: list[str]
    apps: list[str]


class GroupList(_Out):
    """`ssoctl group list --format json`."""

    version: Version
    groups: list[GroupRow]


class CertRow(_CertificateFields):
    apps: Annotated[
        dict[str, str],
        Meta(description="Signing set ((default) or an app) -> active or inactive."),
    ]
    local_key: LocalKey


class CertList(_Out):
    """`ssoctl cert list --format json`."""

    version: Version
    certificates: list[CertRow]


class CertInSetRow(_CertificateFields):
    used_by: Annotated[
        list[str], Meta(description="The signing sets ((default) or apps) that hold it.")
    ]


class CertSetList(_Out):
    """`ssoctl cert list --app NAME --format json`: the app's signing set."""

    version: Version
    certificates: list[CertInSetRow]


# gallery -------------------------------------------------------------------------------


class TemplateRow(_Out):
    name: str
    display_name: str
    sso_mode: str
    variant_kind: Literal["region", "platform"] | None
    variants: list[str]
    provisioning: bool
    clouds: list[str]


class GalleryList(_Out):
    """`ssoctl gallery list --format json`."""

    version: Version
    templates: list[TemplateRow]


class GalleryShow(_Out):
    """`ssoctl gallery show NAME --format json`."""

    version: Version
    template: Template


# metadata ------------------------------------------------------------------------------


class EndpointOut(_Out):
    binding: str
    location: str
    index: int | None
    is_default: bool | None


class KeyOut(_Out, omit_defaults=True):
    use: Literal["signing", "encryption", "both"]
    subject: str | None
    thumbprint_sha1: str | None
    thumbprint_sha256: str | None
    not_after: str | None
    problem: Annotated[str, Meta(description="Present when the key cannot be used.")] = ""


class EntityOut(_Out):
    entity_id: str
    roles: list[str]
    acs: list[EndpointOut]
    slo: list[EndpointOut]
    sso: list[EndpointOut]
    name_id_formats: list[str]
    keys: list[KeyOut]
    valid_until: str | None
    cache_duration: str | None


class MetadataInspect(_Out):
    """`ssoctl metadata inspect SOURCE --format json`."""

    version: Version
    source: str
    root: Literal["EntityDescriptor", "EntitiesDescriptor"]
    valid_until: str | None
    cache_duration: str | None
    signature: Annotated[
        str,
        Meta(
            description="absent, present (not checked), verified (with '; certificate dates"
            " NOT checked (--ignore-cert-dates)' when they were not), or invalid: why."
        ),
    ]
    total_entities: int
    entities: list[EntityOut]


# assertions ----------------------------------------------------------------------------


class MessageSummary(_Out):
    """What a Response says, for display: never a claim that it is valid."""

    response_id: str | None
    assertion_id: str | None
    issuer: str | None
    destination: str | None
    in_response_to: str | None
    name_id: str | None
    name_id_format: str | None
    audiences: list[str]
    not_before: str | None
    not_on_or_after: str | None
    attributes: dict[str, list[str]]
    sources: Annotated[
        dict[str, str], Meta(description="Each field -> whether it came from signed content.")
    ]


class IssuedResponse(_Out):
    """`ssoctl assertion issue --format json` (one response)."""

    version: Version
    acs: str
    relay_state: str | None
    SAMLResponse: Annotated[str, Meta(description="Base64, as posted to the ACS.")]
    summary: MessageSummary


class IssuedLine(_Out, omit_defaults=True):
    """One line of `ssoctl assertion issue --count N` (JSON lines)."""

    version: Version
    id: str
    acs: str
    SAMLResponse: str
    RelayState: str = ""
    summary: Annotated[MessageSummary | None, Meta(description="With --format json.")] = None


class Check(_Out):
    check: str
    ok: Annotated[bool | None, Meta(description="null: not checked (SKIP), with the reason.")]
    warning: bool
    reason: str


class VerifyReport(_Out):
    """`ssoctl assertion verify SOURCE --format json`."""

    version: Version
    valid: bool
    checks: list[Check]
    summary: MessageSummary | None


class Decoded(_Out):
    """`ssoctl assertion decode SOURCE --format json`."""

    version: Version
    type: Annotated[str, Meta(description="Response, AuthnRequest, LogoutRequest, ...")]
    binding: str
    relay_state: str | None
    note: str
    summary: dict[str, Any]


class DiffItem(_Out):
    aspect: Annotated[
        str,
        Meta(description="issuer, name_id_format, name_id, audience, attribute_names, ..."),
    ]
    a: Annotated[Any, Meta(description="Response A's value (for names: those only in A).")]
    b: Annotated[Any, Meta(description="Response B's value (for names: those only in B).")]


class AssertionDiff(_Out):
    """`ssoctl assertion diff A B --format json`."""

    version: Version
    same: Annotated[bool, Meta(description="No difference an SP could notice (exit 0).")]
    differences: list[DiffItem]


# entra ---------------------------------------------------------------------------------


class PlanDifference(_Out):
    field: Annotated[str, Meta(description="The tenant file's key: reply_urls, claims, ...")]
    file: Annotated[Any, Meta(description="The tenant file's value (what apply would set).")]
    live: Annotated[Any, Meta(description="Entra's value now; certificates by thumbprint.")]


class PlanApp(_Out):
    name: Annotated[
        str,
        Meta(description="The app's name in the tenant file (or the one export would give it)."),
    ]
    app_id: str | None
    display_name: Annotated[
        str | None, Meta(description="Entra's display name; null when only in the file.")
    ]
    state: Literal["same", "differs", "only-file", "only-live"]
    differences: list[PlanDifference]


class PlanCertificate(_Out):
    app: str
    thumbprint: Thumbprint
    state: Annotated[
        Literal["inactive", "expiring", "expired"],
        Meta(description="inactive: Entra does not sign with it; expiring: within a notice point."),
    ]
    days_left: int
    not_after: Time | None
    within_days: Annotated[
        int | None, Meta(description="Entra's notice point it is within: 60, 30 or 7.")
    ]


class PlanUpload(_Out):
    app: str
    certificate: str
    thumbprint: Thumbprint


class EntraPlan(_Out):
    """`ssoctl entra plan --format json`: the tenant file against live Entra."""

    version: Version
    tenant: str
    cloud: Literal["public", "usgov"]
    drift: Annotated[bool, Meta(description="Whether anything differs (the command exits 1).")]
    apps: list[PlanApp]
    certificates: list[PlanCertificate]
    missing_users: Annotated[
        list[str], Meta(description="UPNs the file assigns that do not exist in Entra's directory.")
    ]
    key_uploads: Annotated[
        list[PlanUpload],
        Meta(description="Certificates apply would upload with their private key (upload: true)."),
    ]
    warnings: Annotated[
        list[str], Meta(description="Settings read but not expressible, or not read.")
    ]
    graph_requests: Annotated[int, Meta(description="HTTP requests sent to Graph.")]


OUTPUTS: dict[str, type[_Out]] = {
    "validate": ValidateReport,
    "validate-rules": RuleList,
    "app-list": AppList,
    "app-show": AppShow,
    "app-claim-list": ClaimList,
    "user-list": UserList,
    "group-list": GroupList,
    "cert-list": CertList,
    "cert-list-app": CertSetList,
    "gallery-list": GalleryList,
    "gallery-show": GalleryShow,
    "metadata-inspect": MetadataInspect,
    "assertion-issue": IssuedResponse,
    "assertion-issue-line": IssuedLine,
    "assertion-verify": VerifyReport,
    "assertion-decode": Decoded,
    "assertion-diff": AssertionDiff,
    "entra-plan": EntraPlan,
}


def schema(kind: type[_Out]) -> dict[str, Any]:
    document = msgspec.json.schema(kind)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, kind in OUTPUTS.items():
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(schema(kind), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/schemas")
    for path in write(target):
        print(path)

"""A new tenant folder: the text of a new tenant file (with comments that teach its
structure), its `.gitignore`, and `create`, which writes them all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ssoctl.tenant.appedits import NewCertificate

# The schema sits beside the tenant file (init writes it; `ssoctl schema --out` refreshes
# it): editors complete and check offline, and validate's schema-copy rule says when the
# copy is stale.
SCHEMA_FILE = "tenant.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"

TEMPLATE = """\
{modeline}# ssoctl tenant file: SAML single sign-on for one Microsoft Entra tenant.
# Edit by hand or with ssoctl; ssoctl keeps your comments. Check it: `ssoctl validate`.
version: 1
tenant:
  id: {tenant_id}   # Directory (tenant) ID
  domain: {domain}
  cloud: {cloud}                              # public | usgov

# Signing certificates (keyring). Private keys live beside this file with mode 0600;
# keep them out of git (see .gitignore). `ssoctl cert new` adds one.
certificates: []

# Test users and groups, for `ssoctl assertion issue` and assignment checks.
users: []
groups: []

# SAML apps. `ssoctl gallery list` shows templates; `ssoctl app add ringcentral --region us`.
apps: {{}}
"""


def tenant_text(tenant_id: str, domain: str, cloud: str) -> str:
    return TEMPLATE.format(modeline=MODELINE, tenant_id=tenant_id, domain=domain, cloud=cloud)


GITIGNORE_LINES = ("*.key", "*.pfx")
GITIGNORE_HEADER = "# ssoctl: private keys and PFX files stay out of git (`ssoctl validate` checks)"


def gitignore_text(current: str | None) -> str | None:
    """The .gitignore beside a new tenant file: `current` with ssoctl's patterns added,
    or None when every pattern is already there (nothing to write)."""
    existing = {line.strip() for line in (current or "").splitlines()}
    missing = [p for p in GITIGNORE_LINES if p not in existing]
    if not missing:
        return None
    text = current or ""
    if text and not text.endswith("\n"):
        text += "\n"
    if text:
        text += "\n"
    return text + GITIGNORE_HEADER + "\n" + "".join(f"{p}\n" for p in missing)


@dataclass(frozen=True)
class Created:
    """What `create` wrote, for the command's output."""

    path: Path
    schema: Path
    gitignore: Path | None  # None: it already had every pattern
    gitignore_existed: bool
    certificate: str | None  # the first signing certificate's name
    key: str | None


def create_tenant_folder(
    path: Path,
    *,
    tenant_id: str,
    domain: str,
    cloud: str,
    certificate: NewCertificate | None,
    pairwise_secret_hex: str,
    now: dt.datetime,
) -> Created:
    """A new tenant folder, all or nothing: the tenant file (with `certificate` as its
    first, active signing certificate), its key and certificate files, the schema copy,
    `.gitignore` (extended, never replaced) and the pairwise secret. Every file is staged
    and committed together; if one cannot be written, the others are taken back, and
    files that were there before (with --force) come back as they were."""
    import json

    from ssoctl.files import read_beside, real_target
    from ssoctl.tenant.appedits import register_certificate
    from ssoctl.tenant.document import MAX_TENANT_BYTES, dump, load_roundtrip, load_text
    from ssoctl.tenant.keyring import PAIRWISE_SECRET
    from ssoctl.tenant.schema import json_schema

    target = real_target(path)  # a linked tenant file is written through, as edits are
    folder = target.parent
    read_beside(target, "tenant file", MAX_TENANT_BYTES)  # refuses a link or a device
    loaded = load_roundtrip(tenant_text(tenant_id, domain, cloud), target)
    registered = None
    if certificate is not None:
        registered = register_certificate(
            loaded, certificate.cert, key=certificate.key, passphrase=certificate.passphrase,
            name=None, app=None, activate=True, now=now,
        )  # fmt: skip
    text = dump(loaded.doc, loaded.style)
    load_text(text, target)  # the new file must be valid
    staged = loaded.files
    staged.put(target, text.encode("utf-8"), 0o644)
    schema_path = folder / SCHEMA_FILE
    schema_text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    staged.put(schema_path, schema_text.encode("utf-8"), 0o644)
    ignore_path = folder / ".gitignore"
    ignore_before = read_beside(ignore_path, ".gitignore")
    current = ignore_before.decode("utf-8", "replace") if ignore_before is not None else None
    new_ignore = gitignore_text(current)
    if new_ignore is not None:
        staged.put(ignore_path, new_ignore.encode("utf-8"), 0o644)
    secret_path = loaded.beside(PAIRWISE_SECRET)
    if not secret_path.exists():
        staged.new(secret_path, (pairwise_secret_hex + "\n").encode("ascii"), 0o600)
    staged.commit()
    return Created(
        path=path,
        schema=schema_path,
        gitignore=ignore_path if new_ignore is not None else None,
        gitignore_existed=ignore_before is not None,
        certificate=registered.name if registered else None,
        key=registered.key if registered else None,
    )

"""The text of a new tenant file, with comments that teach its structure."""

from __future__ import annotations

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

"""The text of a new tenant file, with comments that teach its structure."""

from __future__ import annotations

MODELINE = "# yaml-language-server: $schema=https://ssoctl.dev/schema/tenant-v1.json\n"

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

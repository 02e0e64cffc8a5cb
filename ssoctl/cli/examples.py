"""The Examples section at the end of every command's --help.

Each example runs against the bundled example (examples/contoso: `cd examples/contoso`,
or `-t examples/contoso/tenant.yaml`); tests/cli/test_help.py parses every one with the
real command line, so an example cannot name an option that does not exist. docs/cli.md
is generated from the same help (see scripts/gen_cli_docs.sh), so the docs show them too.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, list[str]] = {
    "init": [
        "ssoctl init --tenant-id 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11 --domain contoso.com",
        "ssoctl -t tenants/fabrikam.yaml init --tenant-id 2f9c6b1e-55a4-4c8e-9d3b-7a1e0c4f8b62 "
        "--domain fabrikam.com --cloud public",
    ],
    "validate": [
        "ssoctl validate",
        "ssoctl validate tenants/*.yaml --strict --format sarif --output ssoctl.sarif",
        "ssoctl validate --explain region-mismatch",
    ],
    "schema": ["ssoctl schema --out .ssoctl/tenant.schema.json"],
    "check-keys": ["ssoctl check-keys certs/contoso-2026.key tenant.yaml"],
    "gallery list": ["ssoctl gallery list"],
    "gallery show": ["ssoctl gallery show ringcentral --format json"],
    "app add": [
        "ssoctl app add ringcentral --region euro",
        "ssoctl app add mitel-connect --platform cloudlink "
        "--identifier https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001",
        "ssoctl app add custom --name wiki --identifier https://wiki.contoso.com "
        "--reply-url https://wiki.contoso.com/saml/acs",
    ],
    "app set": [
        "ssoctl app set ringcentral --app-id 0b6e1f63-9c1d-4e4a-8c1e-2f3a4b5c6d7e",
        "ssoctl app set ringcentral --region us",
        "ssoctl app set mitel-connect --sign-on-url https://accounts.mitel.io",
    ],
    "app list": ["ssoctl app list", "ssoctl app list --format json"],
    "app show": ["ssoctl app show ringcentral", "ssoctl app show mitel-connect --format json"],
    "app remove": ["ssoctl app remove mitel-connect"],
    "app assign": ["ssoctl app assign ringcentral B.Simon@contoso.com group:Sales"],
    "app unassign": ["ssoctl app unassign ringcentral group:Sales"],
    "app claim list": ["ssoctl app claim list ringcentral"],
    "app claim set": [
        "ssoctl app claim set ringcentral "
        "http://schemas.microsoft.com/identity/claims/department user.department",
    ],
    "app claim remove": ["ssoctl app claim remove ringcentral givenname"],
    "user add": [
        "ssoctl user add Alex@contoso.com --given-name Alex --surname Wilber "
        "--mail Alex@contoso.com",
    ],
    "user set": ["ssoctl user set B.Simon@contoso.com --mail B.Simon@contoso.com"],
    "user list": ["ssoctl user list --format json"],
    "user remove": ["ssoctl user remove B.Simon@contoso.com --force"],
    "group add": ["ssoctl group add Support --member B.Simon@contoso.com"],
    "group add-member": ["ssoctl group add-member Sales Alex@contoso.com"],
    "group remove-member": ["ssoctl group remove-member Sales B.Simon@contoso.com"],
    "group list": ["ssoctl group list"],
    "group remove": ["ssoctl group remove Sales --force"],
    "cert new": [
        "ssoctl cert new --app ringcentral",
        "ssoctl cert new --app ringcentral --years 3 --key-size 3072 --encrypt",
        "ssoctl cert new --app ringcentral --in-entra",
    ],
    "cert list": ["ssoctl cert list", "ssoctl cert list --app ringcentral --format json"],
    "cert activate": ["ssoctl cert activate ringcentral-20270101 --app ringcentral"],
    "cert remove": ["ssoctl cert remove contoso-2025"],
    "cert export": [
        "ssoctl cert export contoso-2026 --format base64 --out contoso.cer",
        "ssoctl cert export contoso-2026 --format pem",
    ],
    "cert import": [
        'ssoctl cert import --cert "RingCentral.cer" --app ringcentral --activate',
        "ssoctl cert import --pfx contoso.pfx --name contoso-2027",
    ],
    "metadata export": [
        "ssoctl metadata export --app ringcentral --out ringcentral-idp.xml",
    ],
    "metadata inspect": [
        "ssoctl metadata inspect sp-metadata.xml",
        "ssoctl metadata inspect https://mds.example.org/federation.xml "
        "--entity-id https://sp.example.org/shibboleth --format json",
    ],
    "metadata import": [
        "ssoctl metadata import mitel-sp.xml --app mitel-connect --dry-run",
        "ssoctl metadata import https://mds.example.org/federation.xml "
        "--entity-id https://wiki.contoso.com --app wiki",
    ],
    "assertion issue": [
        "ssoctl assertion issue --app ringcentral --user B.Simon@contoso.com",
        "ssoctl assertion issue --app ringcentral --user B.Simon@contoso.com --format html "
        "--out post.html",
        "ssoctl assertion issue --app ringcentral --user B.Simon@contoso.com --count 1000 "
        "--out responses.jsonl",
    ],
    "assertion verify": [
        "ssoctl assertion verify response.xml --app ringcentral",
        "ssoctl assertion verify response.xml --cert entra.pem --audience https://sp.example.com",
    ],
    "assertion decode": ["ssoctl assertion decode response.b64 --format json"],
    "assertion diff": [
        "ssoctl assertion diff twin-response.xml entra-response.xml",
        "ssoctl assertion diff before.b64 after.b64 --format json",
    ],
    "idp serve": ["ssoctl idp serve", "ssoctl idp serve --port 8443 --self-signed"],
    "sp serve": [
        "ssoctl sp serve --app mitel-connect --self-signed",
        "ssoctl sp serve --app ringcentral --as-app --self-signed --log-json captured.jsonl",
    ],
    "entra status": ["ssoctl entra status"],
    "entra login": ["ssoctl entra login --client-id 4a1f6c2e-8d3b-4e5f-9a7c-1b2d3e4f5a6b"],
    "entra logout": ["ssoctl entra logout"],
    "entra export": [
        "ssoctl entra export --all --dry-run",
        "ssoctl entra export --app ringcentral",
    ],
    "entra plan": ["ssoctl entra plan", "ssoctl entra plan --app ringcentral --format json"],
    "entra apply": ["ssoctl entra apply", "ssoctl entra apply --app ringcentral --auto-approve"],
}

TENANT_NOTE = (
    "The tenant file: -t/--tenant FILE before the command, or $SSOCTL_TENANT; "
    "default ./tenant.yaml."
)
# Commands that never read the tenant file.
NO_TENANT = {
    "gallery list",
    "gallery show",
    "schema",
    "metadata inspect",
    "assertion decode",
}


def epilog(path: str) -> str | None:
    """The --help epilog of the command `path` ("app add"): examples, and where the
    tenant file comes from. `\\b` keeps click from re-wrapping the lines."""
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    lines = ["\b", "Examples:", *(f"  {example}" for example in examples)]
    if path not in NO_TENANT:
        lines += ["", TENANT_NOTE]
    return "\n".join(lines)


def attach(command: Any, path: str) -> None:
    """Give `command` (a click command or group, from Typer) and its subcommands their
    epilogs, in place."""
    text = epilog(path)
    if text is not None:
        command.epilog = text
    for name, sub in getattr(command, "commands", {}).items():
        attach(sub, f"{path} {name}".strip())

"""The placeholder rule (issue 21, item 5): values copied from the docs or the bundled
example are flagged, and the list of the docs' values cannot fall behind the docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ssoctl.rules.placeholders import DOC_VALUES, placeholder_in
from tests.conftest import ROOT, run_cli

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
QUICKSTART_TENANT = "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11"
MITEL_ACCOUNT = "https://authentication.api.mitel.io/2017-09-01/saml2/ACCOUNT"


def test_every_guid_the_docs_and_examples_show_is_a_known_placeholder() -> None:
    sources = [*ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "ssoctl/cli/examples.py",
               *ROOT.glob("examples/*/tenant.yaml")]  # fmt: skip
    shown = {g for path in sources for g in GUID.findall(path.read_text())}
    assert shown, "no GUID found: the scan is broken"
    assert shown <= set(DOC_VALUES), sorted(shown - set(DOC_VALUES))


def test_the_quickstart_copied_verbatim_is_flagged(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    run_cli("init", "--tenant-id", QUICKSTART_TENANT, "--domain", "contoso.com", tenant=tenant)
    added = run_cli("app", "add", "mitel-connect", "--platform", "cloudlink",
                    "--identifier", MITEL_ACCOUNT, "--reply-url", f"{MITEL_ACCOUNT}/acs",
                    tenant=tenant)  # fmt: skip
    assert added.exit_code == 0, added.stderr
    out = run_cli("validate", str(tenant), "--format", "json")
    findings = [f for f in json.loads(out.stdout)["files"][0]["findings"]
                if f["rule"] == "placeholder"]  # fmt: skip
    assert {f["path"] for f in findings} == {
        "tenant.id", "apps.mitel-connect.identifiers[0]", "apps.mitel-connect.reply_urls[0]",
    }, findings  # fmt: skip
    assert all(f["severity"] == "warning" for f in findings)
    assert out.exit_code == 0  # a warning...
    assert run_cli("validate", str(tenant), "--strict").exit_code == 1  # ...that fails CI
    text = run_cli("validate", str(tenant)).stdout
    assert "the docs' example tenant ID" in text and "placeholder word ACCOUNT" in text


def test_a_file_marked_as_an_example_is_not_checked(example: Path) -> None:
    out = run_cli("validate", str(example), "--format", "json", "--select", "placeholder")
    assert json.loads(out.stdout)["files"][0]["findings"] == []
    example.write_text(example.read_text().replace("  example: true", "  example: false"))
    out = run_cli("validate", str(example), "--format", "json", "--select", "placeholder")
    paths = {f["path"] for f in json.loads(out.stdout)["files"][0]["findings"]}
    assert {"tenant.id", "apps.ringcentral.app_id", "apps.mitel-connect.app_id"} <= paths


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("https://sp.example.com/acs", True),
        ("https://example.org", True),
        ("https://app.example/saml", True),
        ("https://sso.invalid/acs", True),
        ("https://YOUR-GIT-HOST/YOUR-ORG", True),
        ("https://x.mitel.io/saml2/ACCOUNT/acs", True),
        ("https://sp.acme.com/PLACEHOLDER", True),
        ("0B6E1F63-9C1D-4E4A-8C1E-2F3A4B5C6D7E", True),  # GUIDs in any case
        ("https://accounts.mitel.io", False),  # "account" as a real word
        ("https://ssoeuro.ringcentral.com/sp/ACS.saml2", False),
        ("https://notexample.com/acs", False),
        ("https://example.com.evil.net/", False),
        ("http://localhost:8444/acs", False),
    ],
)
def test_placeholder_values(value: str, flagged: bool) -> None:
    assert (placeholder_in(value) is not None) is flagged

"""Foundation commands through the CLI, with their failure paths and byte-identical files."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from tests.conftest import GOLDEN, TENANT_ID, run_cli

HAND_COMMENTED = """\
# Contoso production SSO -- reviewed by the identity team
version: 1
tenant:
  id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11  # do not change
  domain: contoso.com
  cloud: public
certificates: []
users:
  # the test user
  - upn: B.Simon@contoso.com
    object_id: 5f1c0b9e-6f57-4b0e-8d2a-1b3c4d5e6f70
    mail: 'B.Simon@contoso.com'   # quoted on purpose
groups: []
apps: {}  # nothing yet
"""


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    path = tmp_path / "tenant.yaml"
    path.write_text(HAND_COMMENTED)
    return path


def assert_unchanged(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before, "a failed command must leave the tenant file byte-identical"


def test_version_and_help():
    out = run_cli("--version")
    assert out.exit_code == 0 and out.stdout.startswith("ssoctl ")
    out = run_cli("--help")
    assert out.exit_code == 0
    assert "Exit codes" in out.stdout and "70 internal bug" in out.stdout


def test_init_writes_commented_file_and_first_certificate(tmp_path: Path):
    path = tmp_path / "tenant.yaml"
    out = run_cli("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", tenant=path)
    assert out.exit_code == 0, out.stderr
    text = path.read_text()
    assert "yaml-language-server: $schema=" in text and "# Directory (tenant) ID" in text
    key = next((tmp_path / "certs").glob("*.key"))
    assert key.stat().st_mode & 0o777 == 0o600
    before = path.read_bytes()
    again = run_cli("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", tenant=path)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert_unchanged(path, before)


def test_init_rejects_bad_guid(tmp_path: Path):
    out = run_cli("init", "--tenant-id", "nope", "--domain", "c.com", tenant=tmp_path / "t.yaml")
    assert out.exit_code == 2 and "not a GUID" in out.stderr
    assert not (tmp_path / "t.yaml").exists()


def test_app_add_ringcentral_euro_keeps_comments(commented: Path):
    out = run_cli("app", "add", "ringcentral", "--region", "euro", tenant=commented)
    assert out.exit_code == 0, out.stderr
    text = commented.read_text()
    for line in HAND_COMMENTED.splitlines():
        if line.startswith(("apps:", "certificates:")):  # both filled in by `app add`
            continue
        assert line in text, f"lost: {line!r}"
    assert "identifiers: [https://ssoeuro.ringcentral.com]" in text
    assert "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]" in text
    assert "emailaddress: user.mail" in text


def test_user_add_keeps_comments_and_generates_stable_object_id(commented: Path):
    out = run_cli("user", "add", "Alex@contoso.com", "--given-name", "Alex", tenant=commented)
    assert out.exit_code == 0, out.stderr
    text = commented.read_text()
    assert "# the test user" in text and "'B.Simon@contoso.com'   # quoted on purpose" in text
    listed = json.loads(run_cli("user", "list", "--format", "json", tenant=commented).stdout)[
        "users"
    ]
    first = {u["upn"]: u["object_id"] for u in listed}
    run_cli("app", "add", "ringcentral", tenant=commented)
    listed = json.loads(run_cli("user", "list", "--format", "json", tenant=commented).stdout)[
        "users"
    ]
    assert {u["upn"]: u["object_id"] for u in listed} == first


def test_unknown_region_exits_2_lists_valid_and_keeps_file(commented: Path):
    before = commented.read_bytes()
    out = run_cli("app", "add", "ringcentral", "--region", "mars", tenant=commented)
    assert out.exit_code == 2
    assert "mars" in out.stderr and "us, euro" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert_unchanged(commented, before)


def test_unknown_platform(commented: Path):
    before = commented.read_bytes()
    out = run_cli("app", "add", "mitel-connect", "--platform", "pbx", tenant=commented)
    assert out.exit_code == 2 and "micloud, cloudlink" in out.stderr
    assert_unchanged(commented, before)


def test_duplicate_app_name(example: Path):
    before = example.read_bytes()
    out = run_cli("app", "add", "ringcentral", "--region", "us", tenant=example)
    assert out.exit_code == 2 and "already exists" in out.stderr
    assert_unchanged(example, before)


MITEL = [
    "app",
    "add",
    "mitel-connect",
    "--platform",
    "cloudlink",
    "--identifier",
    "https://authentication.api.mitel.io/2017-09-01/saml2/acme-1",
]


def test_mitel_http_reply_url_refused(commented: Path):
    before = commented.read_bytes()
    out = run_cli(*MITEL, "--reply-url", "http://mitel.example.com/acs", tenant=commented)
    assert out.exit_code == 2 and "https" in out.stderr
    assert_unchanged(commented, before)


def test_mitel_without_values_is_added_incomplete(commented: Path):
    """Issue #12: account-specific values may come later (metadata import); the app is
    recorded as incomplete, and a value outside Mitel's unconfirmed pattern only warns."""
    out = run_cli("app", "add", "mitel-connect", "--platform", "cloudlink", tenant=commented)
    assert out.exit_code == 0, out.stderr
    assert "incomplete" in out.stderr and "metadata import" in out.stderr
    findings = json.loads(run_cli("validate", str(commented), "-f", "json").stdout)["files"][0][
        "findings"
    ]
    assert ("app-incomplete", "warning") in [(f["rule"], f["severity"]) for f in findings]
    issued = run_cli(
        "assertion", "issue", "--app", "mitel-connect", "--user", "x@contoso.com", tenant=commented
    )
    assert issued.exit_code != 0
    other = run_cli(
        "app", "add", "mitel-connect", "--name", "mitel-2", "--platform", "cloudlink",
        "--identifier", "https://elsewhere.example.com/saml2/x",
        "--reply-url", "https://a.example.com/acs", tenant=commented,
    )  # fmt: skip
    assert other.exit_code == 0, other.stderr
    assert "warning:" in other.stderr and "pattern" in other.stderr


def test_mitel_added_with_default_sign_on_url(commented: Path):
    out = run_cli(
        *MITEL, "--reply-url", "https://authentication.api.mitel.io/acs", tenant=commented
    )
    assert out.exit_code == 0, out.stderr
    shown = json.loads(
        run_cli("app", "show", "mitel-connect", "-f", "json", tenant=commented).stdout
    )
    assert shown["entra_basic_saml_configuration"]["sign_on_url"] == "https://accounts.mitel.io"
    assert shown["sp_portal"]["login_url"] == f"https://login.microsoftonline.com/{TENANT_ID}/saml2"


def test_malformed_yaml_names_line_no_traceback(tmp_path: Path):
    path = tmp_path / "tenant.yaml"
    path.write_text("version: 1\ntenant:\n  id: [unclosed\n  domain: x\n")
    before = path.read_bytes()
    out = run_cli("app", "add", "ringcentral", tenant=path)
    assert out.exit_code == 1
    assert f"{path}:" in out.stderr and "syntax" in out.stderr
    assert "Traceback" not in out.stderr
    assert_unchanged(path, before)


def test_unknown_and_duplicate_keys_are_errors_with_position(commented: Path):
    commented.write_text(
        HAND_COMMENTED.replace("  cloud: public\n", "  cloud: public\n  clowd: x\n")
    )
    out = run_cli("app", "list", tenant=commented)
    assert out.exit_code == 1
    assert f"{commented}:7:3: tenant.clowd: unknown key 'clowd'" in out.stderr
    commented.write_text(HAND_COMMENTED + "version: 1\n")
    dup = run_cli("app", "list", tenant=commented)
    assert dup.exit_code == 1 and "duplicate key 'version'" in dup.stderr
    assert f"{commented}:15:1:" in dup.stderr


def test_every_schema_problem_is_reported(tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "version: 2\ntenant:\n  id: not-a-guid\n  domain: contoso.com\n"
        "apps:\n  x:\n    reply_urls: []\n"
    )
    out = run_cli("app", "list", tenant=path)
    assert out.exit_code == 1
    assert f"{path}:1:10: version" in out.stderr
    assert f"{path}:3:7: tenant.id" in out.stderr
    assert "apps.x.template: required key 'template' is missing" in out.stderr


def test_missing_tenant_file_exits_3(tmp_path: Path):
    out = run_cli("app", "list", tenant=tmp_path / "none.yaml")
    assert out.exit_code == 3 and "ssoctl init" in out.stderr


def test_app_show_json(example: Path):
    out = run_cli("app", "show", "ringcentral", "--format", "json", tenant=example)
    data = json.loads(out.stdout)
    assert data["entra_basic_saml_configuration"]["identifier"] == [
        "https://ssoeuro.ringcentral.com"
    ]
    assert (
        data["sp_portal"]["microsoft_entra_identifier"] == f"https://sts.windows.net/{TENANT_ID}/"
    )
    assert data["sp_portal"]["app_federation_metadata_url"].endswith(f"?appid={data['app_id']}")
    assert data["certificate"]["status"] == "active"
    assert len(data["certificate"]["thumbprint_sha1"]) == 40
    missing = run_cli("app", "show", "nope", tenant=example)
    assert missing.exit_code == 2 and "ringcentral" in missing.stderr


def test_app_list_remove_assign_unassign(example: Path):
    rows = json.loads(run_cli("app", "list", "-f", "json", tenant=example).stdout)["apps"]
    assert [r["name"] for r in rows] == ["ringcentral", "mitel-connect"]
    before = example.read_bytes()
    bad = run_cli("app", "assign", "ringcentral", "nobody@contoso.com", tenant=example)
    assert bad.exit_code == 2 and "user add" in bad.stderr
    assert_unchanged(example, before)
    assert (
        run_cli("app", "unassign", "mitel-connect", "B.Simon@contoso.com", tenant=example).exit_code
        == 0
    )
    assert run_cli("app", "assign", "mitel-connect", "group:Sales", tenant=example).exit_code == 0
    assert "group:Sales" in example.read_text().split("mitel-connect:")[1]
    assert run_cli("app", "remove", "mitel-connect", tenant=example).exit_code == 0
    assert "mitel-connect:" not in example.read_text()


def test_user_remove_refuses_while_assigned(example: Path):
    before = example.read_bytes()
    out = run_cli("user", "remove", "B.Simon@contoso.com", tenant=example)
    assert out.exit_code == 2 and "--force" in out.stderr
    assert_unchanged(example, before)
    forced = run_cli("user", "remove", "B.Simon@contoso.com", "--force", tenant=example)
    assert forced.exit_code == 0, forced.stderr
    assert "B.Simon" not in example.read_text().split("users:")[1]


def test_groups(example: Path):
    assert (
        run_cli("group", "add", "Ops", "--member", "B.Simon@contoso.com", tenant=example).exit_code
        == 0
    )
    rows = json.loads(run_cli("group", "list", "-f", "json", tenant=example).stdout)["groups"]
    assert {r["name"] for r in rows} == {"Sales", "Ops"}
    assert run_cli("group", "remove", "Sales", tenant=example).exit_code == 2
    assert run_cli("group", "remove", "Sales", "--force", tenant=example).exit_code == 0
    assert "group:Sales" not in example.read_text()


def test_gallery_show_golden():
    out = run_cli("gallery", "show", "ringcentral", "--format", "json")
    assert out.exit_code == 0
    golden = (GOLDEN / "gallery-show-ringcentral.json").read_text()
    assert json.loads(out.stdout) == json.loads(golden)
    listed = json.loads(run_cli("gallery", "list", "-f", "json").stdout)["templates"]
    assert [t["name"] for t in listed] == ["custom", "mitel-connect", "ringcentral"]
    assert run_cli("gallery", "show", "nope").exit_code == 2


def test_schema_is_draft_2020_12_and_accepts_example(example: Path):
    import jsonschema
    import yaml

    schema = json.loads(run_cli("schema").stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = yaml.safe_load(example.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=None).validate(
        json.loads(json.dumps(doc, default=str))
    )
    doc["tenant"]["typo"] = 1
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(doc))


def _add_user(path: str, upn: str) -> int:
    return run_cli("user", "add", upn, tenant=Path(path)).exit_code


def test_concurrent_edits_lose_nothing(commented: Path):
    upns = [f"user{i}@contoso.com" for i in range(8)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        codes = pool.starmap(_add_user, [(str(commented), u) for u in upns])
    assert codes == [0] * len(upns)
    text = commented.read_text()
    assert all(u in text for u in upns)


def test_internal_error_shows_no_traceback(monkeypatch, example: Path):
    import ssoctl.tenant.apps

    def boom(*_a, **_k):
        raise RuntimeError("secret-local-value")

    monkeypatch.setattr(ssoctl.tenant.apps, "portal_view", boom)
    out = run_cli("app", "show", "ringcentral", tenant=example)
    assert out.exit_code == 70
    assert "Traceback" not in out.stderr and "secret-local-value" not in out.stderr
    assert "--debug" in out.stderr


def test_example_schema_file_is_fresh():
    from tests.conftest import EXAMPLE

    committed = json.loads((EXAMPLE / "tenant.schema.json").read_text())
    assert committed == json.loads(run_cli("schema").stdout), (
        "run: ssoctl schema --out examples/contoso/tenant.schema.json"
    )
    assert "$schema=tenant.schema.json" in (EXAMPLE / "tenant.yaml").read_text()


def test_bare_section_key_means_empty_and_comments_survive(tmp_path: Path):
    path = tmp_path / "tenant.yaml"
    text = (
        "# Contoso SSO\nversion: 1\ntenant:\n  id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11  # dir\n"
        "  domain: contoso.com\n# apps go below\napps:\n# end of file comment\n"
    )
    path.write_text(text)
    assert run_cli("app", "list", tenant=path).exit_code == 0
    out = run_cli("app", "add", "ringcentral", "--region", "euro", tenant=path)
    assert out.exit_code == 0, out.stderr
    after = path.read_text()
    for line in text.splitlines():
        assert line in after, line
    assert "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]" in after

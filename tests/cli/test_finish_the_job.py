"""Commands that finish the job without a text editor, and bad values on the command line
as usage errors that name the option (issue 13, items 5 and 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_file_editing import changes
from tests.conftest import NOW, run_cli


def findings(example: Path) -> list[dict[str, str]]:
    report = json.loads(run_cli("validate", str(example), "-f", "json", "--now", NOW).stdout)
    found: list[dict[str, str]] = report["files"][0]["findings"]
    return found


# 5. app set --region / --platform, group members ----------------------------------------


def test_app_set_region_moves_the_gallery_endpoints(example: Path) -> None:
    before = example.read_text()
    out = run_cli("app", "set", "ringcentral", "--region", "us", tenant=example)
    assert out.exit_code == 0, out.stderr
    removed, added = changes(before, example.read_text())
    assert removed == [
        "    region: euro",
        "    identifiers: [https://ssoeuro.ringcentral.com]",
        "    reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]",
    ]
    assert added == [
        "    region: us",
        "    identifiers: [https://sso.ringcentral.com]",
        "    reply_urls: [https://sso.ringcentral.com/sp/ACS.saml2]",
    ]
    assert not [f for f in findings(example) if f["severity"] == "error"]


def test_app_set_platform_moves_the_sign_on_url(example: Path) -> None:
    out = run_cli("app", "set", "mitel-connect", "--platform", "micloud", tenant=example)
    assert out.exit_code == 0, out.stderr
    text = example.read_text()
    assert "platform: micloud" in text and "sign_on_url: https://portal.shoretelsky.com" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ringcentral", "--region", "mars"), "one of: us, euro"),
        (("mitel-connect", "--region", "us"), "use --platform"),
        (("ringcentral", "--platform", "micloud"), "use --region"),
    ],
)
def test_app_set_wrong_variant_is_a_usage_error(
    example: Path, args: tuple[str, ...], expected: str
) -> None:
    before = example.read_bytes()
    out = run_cli("app", "set", *args, tenant=example)
    assert out.exit_code == 2 and expected in out.stderr
    assert example.read_bytes() == before


def test_group_members_are_added_and_removed(example: Path) -> None:
    assert (
        run_cli("user", "add", "Alex@contoso.com", "--mail", "Alex@contoso.com", tenant=example)
    ).exit_code == 0
    before = example.read_text()
    out = run_cli("group", "add-member", "Sales", "alex@contoso.com", tenant=example)
    assert out.exit_code == 0, out.stderr
    assert changes(before, example.read_text()) == (
        ["    members: [B.Simon@contoso.com]"],
        ["    members: [B.Simon@contoso.com, Alex@contoso.com]"],  # as the user is written
    )
    out = run_cli("group", "remove-member", "Sales", "B.Simon@contoso.com", tenant=example)
    assert out.exit_code == 0, out.stderr
    assert "members: [Alex@contoso.com]" in example.read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add-member", "Sales", "nobody@contoso.com"), "no user 'nobody@contoso.com'"),
        (("add-member", "Nope", "B.Simon@contoso.com"), "no group 'Nope'; groups: Sales"),
        (("remove-member", "Sales", "x@contoso.com"), "is not a member of group 'Sales'"),
    ],
)
def test_group_member_mistakes(example: Path, args: tuple[str, ...], expected: str) -> None:
    before = example.read_bytes()
    out = run_cli("group", *args, tenant=example)
    assert out.exit_code == 2 and expected in out.stderr
    assert example.read_bytes() == before


# 6. Bad values are usage errors naming the option ---------------------------------------


@pytest.mark.parametrize(
    ("args", "option", "rule"),
    [
        (("user", "add", "x@contoso.com", "--mail", "not-an-email"), "--mail", "an address"),
        (("user", "set", "B.Simon@contoso.com", "--mail", "a b@c.com"), "--mail", "an address"),
        (("user", "add", "not-a-upn"), "upn", "an address"),
        (("group", "add", "x y"), "name", "no spaces"),
        (("group", "add", "Team", "--member", "nope"), "--member", "an address"),
        (
            ("app", "add", "custom", "--name", "bad name", "--identifier", "urn:x"),
            "--name",
            "no spaces",
        ),
    ],
)
def test_bad_option_values_are_usage_errors(
    example: Path, args: tuple[str, ...], option: str, rule: str
) -> None:
    before = example.read_bytes()
    out = run_cli(*args, tenant=example)
    assert out.exit_code == 2, out.stderr
    assert f"Invalid value for '{option}'" in out.stderr and rule in out.stderr
    assert "tenant.yaml:" not in out.stderr and "regex" not in out.stderr
    assert example.read_bytes() == before


def test_init_domain_is_checked(tmp_path: Path) -> None:
    out = run_cli(
        "init", "--tenant-id", "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11", "--domain", "a b",
        tenant=tmp_path / "tenant.yaml",
    )  # fmt: skip
    assert out.exit_code == 2 and "Invalid value for '--domain'" in out.stderr
    assert "a domain such as contoso.com" in out.stderr and not (tmp_path / "tenant.yaml").exists()


def test_a_value_the_schema_refuses_names_the_key_not_a_line(example: Path) -> None:
    before = example.read_bytes()
    out = run_cli("user", "set", "B.Simon@contoso.com", "--surname", "bell\x07", tenant=example)
    assert out.exit_code == 2
    assert "would make tenant.yaml invalid" in out.stderr and "users[0].surname" in out.stderr
    assert "tenant.yaml:" not in out.stderr
    assert example.read_bytes() == before


def test_enum_errors_list_the_values(example: Path) -> None:
    example.write_text(example.read_text().replace("cloud: public", "cloud: mars"))
    out = run_cli("validate", str(example), "--now", NOW)
    assert out.exit_code == 1 and "expected one of: public, usgov" in out.stdout


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("https://x.example.com/acs#frag", "remove the '#' and what follows it"),
        ("https://x.example.com:443/acs", "drop ':443'"),
        ("https://x.example.com/acs;id=1", "percent-encode or remove"),
        ("http://x.example.com/acs", "give an https reply URL"),
    ],
)
def test_reply_url_hint_fits_its_cause(example: Path, url: str, hint: str) -> None:
    out = run_cli(
        "app", "add", "custom", "--name", "x", "--identifier", "urn:x", "--reply-url", url,
        tenant=example,
    )  # fmt: skip
    assert out.exit_code == 2 and f"Fix: {hint}" in out.stderr


def test_a_wildcard_reply_url_is_a_warning_for_app_add_and_validate(example: Path) -> None:
    url = "https://*.example.com/acs"
    out = run_cli(
        "app", "add", "custom", "--name", "x", "--identifier", "urn:x", "--reply-url", url,
        tenant=example,
    )  # fmt: skip
    assert out.exit_code == 0 and "warning[url-format]" in out.stderr and "wildcard" in out.stderr
    wildcard = [f for f in findings(example) if "wildcard" in f["message"]]
    assert [f["severity"] for f in wildcard] == ["warning"]

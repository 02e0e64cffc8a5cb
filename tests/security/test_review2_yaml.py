"""Second security review, the tenant file's text: hidden YAML in a comment (item 1),
anchors that make an edit of one app change another (item 6), and terminal escapes
echoed from a tenant file (item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssoctl.errors import InvalidInputError, SsoctlError
from tests.conftest import NOW, run_cli

REPLY = "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]"
HIDDEN = [
    ("\u0085", "U+0085"),
    ("\u2028", "U+2028"),
    ("\u2029", "U+2029"),
    ("\x9b", "U+009B"),  # C1 CSI
    ("\x1b", "U+001B"),
    ("\ufeff", "U+FEFF"),  # a BOM in the middle
    ("\u202e", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE (Trojan Source)
    ("\x7f", "U+007F"),
]


def _smuggle(example: Path, char: str) -> Path:
    """The review's pull request: a second Reply URL behind a comment and `char`."""
    text = example.read_text()
    hidden = (
        "reply_urls:\n      - https://ssoeuro.ringcentral.com/sp/ACS.saml2   "
        f"# checked by security{char}      - https://attacker.example/acs"
    )
    example.write_text(text.replace(REPLY, hidden, 1))
    return example


@pytest.mark.parametrize(("char", "code"), HIDDEN)
def test_a_hidden_line_break_or_control_is_refused_by_every_reader(
    example: Path, char: str, code: str
) -> None:
    tenant = _smuggle(example, char)
    line = next(
        n for n, text in enumerate(tenant.read_text().split("\n"), 1) if "security" in text
    )
    for args in (
        ("validate", "--strict", str(tenant)),
        ("app", "show", "ringcentral"),
        ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
         "--now", NOW),
        ("app", "assign", "ringcentral", "B.Simon@contoso.com"),
    ):  # fmt: skip
        result = run_cli(*args, tenant=tenant)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        output = result.stdout + result.stderr
        assert "attacker.example/acs" not in result.stdout or args[0] == "validate"
        assert code in output, output
        assert f"{tenant}:{line}:" in output or f"  {line}:" in output, output
        assert char not in output  # echoed escaped, never raw


def test_a_lone_carriage_return_is_refused(example: Path) -> None:
    text = example.read_text().replace("# checked", "# checked", 1)
    example.write_text(text.replace(REPLY, REPLY + "  # ok\r    extra: 1", 1))
    result = run_cli("validate", str(example))
    assert result.exit_code == 1
    assert "U+000D" in result.stdout


def test_a_bom_at_the_start_and_crlf_line_ends_stay_allowed(example: Path) -> None:
    text = example.read_text()
    example.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    result = run_cli("validate", str(example), "--now", NOW)
    assert result.exit_code == 0, result.stdout


def test_an_escaped_character_in_a_quoted_value_is_fine(example: Path) -> None:
    text = example.read_text().replace("display_name: B.Simon", 'display_name: "B.\\u2028Simon"')
    example.write_text(text)
    result = run_cli("validate", str(example), "--now", NOW)
    assert result.exit_code == 0, result.stdout


# -- both readers agree ------------------------------------------------------------------

HOSTILE = [
    *"ab: -#[]{}'\"\n\t\r,",
    "\u0085", "\u2028", "\u2029", "\x9b", "\x1b", "\ufeff", "\u202e", "\x00", "\x7f",
]  # fmt: skip
BASE = (
    "version: 1\n"
    "apps:\n"
    "  one:\n"
    "    reply_urls:\n"
    "      - https://sp/acs   # comment\n"
    "    note: value\n"
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(BASE)),
    st.text(alphabet=st.sampled_from(HOSTILE), min_size=1, max_size=12),
)
def test_both_yaml_readers_see_the_same_document(at: int, junk: str) -> None:
    """Wherever hostile characters go, the gate refuses the text, or libyaml (reading)
    and ruamel.yaml (editing) read exactly the same data from it."""
    from ssoctl.tenant import parse_yaml, to_plain
    from ssoctl.tenant.fastread import compose

    text = BASE[:at] + junk + BASE[at:]
    try:
        fast, _ = compose(text, "t.yaml")
    except InvalidInputError:
        return
    try:
        roundtrip = to_plain(parse_yaml(text, "t.yaml"))
    except SsoctlError:
        return  # ruamel.yaml is stricter (a tab in a plain scalar): an edit is refused
    assert fast == roundtrip, text


# -- anchors and aliases -----------------------------------------------------------------

SHARED_ASSIGNMENTS = """\
version: 1
tenant: {id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11, domain: contoso.com}
users:
  - upn: alice@contoso.com
  - upn: carol@contoso.com
apps:
  one:
    template: custom
    identifiers: [https://one.example]
    reply_urls: [https://one.example/acs]
    assignments: &team [alice@contoso.com]
  two:
    template: custom
    identifiers: [https://two.example]
    reply_urls: [https://two.example/acs]
    assignments: *team
"""


def test_an_edit_of_one_app_never_reaches_another_through_an_alias(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(SHARED_ASSIGNMENTS)
    result = run_cli("app", "assign", "one", "carol@contoso.com", tenant=tenant)
    assert result.exit_code == 1
    assert "anchor (&team)" in result.stderr and "tenant.yaml:11:18" in result.stderr
    assert tenant.read_text() == SHARED_ASSIGNMENTS
    report = run_cli("validate", str(tenant), "--format", "json")
    finding = json.loads(report.stdout)["files"][0]["findings"][0]
    assert finding["severity"] == "error" and "anchor" in finding["message"]


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(
        SHARED_ASSIGNMENTS.replace("    assignments: &team [alice@contoso.com]\n", "")
        .replace("  one:\n", "  one: &base\n")
        .replace("    assignments: *team\n", "    <<: *base\n")
    )
    result = run_cli("validate", str(tenant))
    assert result.exit_code == 1 and "anchor (&base)" in result.stdout


# -- terminal escapes --------------------------------------------------------------------

ESCAPES = "\x1b]52;c;aGVsbG8=\x07\x1b]0;pwned\x07\x1b[2J\x1b[1A"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_no_escape_sequence_reaches_the_terminal_from_validate(tmp_path: Path, fmt: str) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(f"{ESCAPES}version: 1\n")
    result = run_cli("validate", str(tenant), "--format", fmt)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert "U+001B" in result.stdout


def test_no_escape_sequence_reaches_the_terminal_from_an_error(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(f"{ESCAPES}version: 1\n")
    result = run_cli("app", "list", tenant=tenant)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "tenant.yaml:1:1" in result.stderr


def test_shown_escapes_controls_and_keeps_layout() -> None:
    from ssoctl.textchars import shown, shown_in_json

    assert shown("a\x1b[2Jb\tc\nd\u0085e\r\n") == "a\\x1b[2Jb\tc\nd\\x85e\r\n"
    assert shown("\u202eevil") == "\\u202eevil"
    assert json.loads(shown_in_json(json.dumps({"k": "\x85\u2028"}, ensure_ascii=False))) == {
        "k": "\x85\u2028"
    }

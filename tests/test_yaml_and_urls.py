"""The fast read-only YAML loader, URL rules and gallery patterns."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ssoctl.errors import InvalidInputError
from ssoctl.tenant import RoundTripPositions, gallery, parse_yaml
from ssoctl.tenant.fastread import compose
from ssoctl.urls import format_problems, https_problem

DOC = """\
version: 1
tenant:
  id: x   # comment
  flag: on
  quoted: "1"
  list: [a, {b: 2}]
  empty:
"""


def test_scalars_follow_yaml_1_2_like_the_round_trip_loader():
    data, _ = compose(DOC, "t.yaml")
    assert data["tenant"]["flag"] == "on"  # YAML 1.1 would make this True
    assert data["tenant"]["quoted"] == "1" and data["version"] == 1
    assert data["tenant"]["empty"] is None
    from ssoctl.tenant import to_plain

    assert to_plain(parse_yaml(DOC, "t.yaml")) == data


def test_positions_agree_with_the_round_trip_loader():
    _, fast = compose(DOC, "t.yaml")
    slow = RoundTripPositions(parse_yaml(DOC, "t.yaml"))
    for path in [
        ("version",),
        ("tenant",),
        ("tenant", "id"),
        ("tenant", "list", 1, "b"),
        ("tenant", "missing"),
        ("tenant", "list", 0),
    ]:
        assert fast.position(path) == slow.position(path), path
        assert fast.position(path, at_key=True) == slow.position(path, at_key=True), path


def test_duplicate_keys_and_syntax_errors_have_positions():
    with pytest.raises(InvalidInputError) as dup:
        compose("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml")
    assert "duplicate key 'c'" in dup.value.message
    assert (dup.value.location.line, dup.value.location.col) == (4, 3)
    with pytest.raises(InvalidInputError) as bad:
        compose("a: [1\n", "t.yaml")
    # where the '[' was opened, not past the last line (issue #21, item 8)
    assert "syntax" in bad.value.message
    assert (bad.value.location.line, bad.value.location.col) == (1, 4)


def test_alias_bombs_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    names = "abcdefghij"
    for prev, cur in itertools.pairwise(names):
        bomb += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    with pytest.raises(InvalidInputError, match=r"anchor .* not allowed") as refused:
        compose(bomb, "t.yaml")  # refused at the first anchor, before anything expands
    assert (refused.value.location.line, refused.value.location.col) == (1, 4)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sso.ringcentral.com/sp/ACS.saml2", True),
        ("http://localhost:8080/acs", True),
        ("http://127.0.0.1/acs", True),
        ("http://sso.ringcentral.com/sp/ACS.saml2", False),
        ("ftp://x.example.com", False),
        ("sso.ringcentral.com", False),
    ],
)
def test_https_rule(url: str, ok: bool):
    assert (https_problem(url) is None) is ok


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://a.example.com/acs#x", "fragment"),
        ("https://a.example.com:443/acs", "443"),
        ("https://a.example.com/acs;jsessionid=1", ";"),
        (" https://a.example.com/acs", "whitespace"),
        ("https://*.example.com/acs", "wildcard"),
        ("https://a.example.com/" + "x" * 260, "256"),
    ],
)
def test_reply_url_format_rules(url: str, fragment: str):
    problems = format_problems(url)
    assert any(fragment in p.text and p.fix for p in problems), problems
    assert format_problems("https://a.example.com/acs") == []


def test_gallery_patterns():
    cloudlink = gallery.get("mitel-connect").variants["cloudlink"]
    patterns = cloudlink.identifier_patterns or []
    assert gallery.matches("https://authentication.api.mitel.io/2017-09-01/saml2/acme-1", patterns)
    assert not gallery.matches(
        "https://authentication.api.mitel.io.evil.com/2017-09-01/saml2/a", patterns
    )
    assert not gallery.matches("https://authentication.api.mitel.io/2017-09-01/saml2/", patterns)
    with pytest.raises(ValueError, match="unknown placeholder"):
        gallery.pattern_regex("https://{nope}/x")


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "version: 1\ntenant:\n  id: [unclosed\n",
            ":3:7",
            "a list opened with '[' here is never closed",
        ),
        (
            'version: 1\ntenant:\n  id: "unclosed\n  domain: x\n',
            ":3:7",
            "a quoted value here is never closed",
        ),
        (
            "version: 1\ntenant: {id: x\n  domain: y\n",
            ":2:9",
            "a mapping opened with '{' here is never closed",
        ),
    ],
    ids=["list", "quote", "mapping"],
)
def test_a_construct_left_open_is_reported_where_it_began(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    """`id: [unclosed` on line 3 of a 3-line file was reported at 4:1, past the end."""
    from tests.conftest import run_cli

    path = tmp_path / "tenant.yaml"
    path.write_text(text)
    out = run_cli("validate", str(path), "--format", "text")
    assert out.exit_code == 1
    assert f"{where}" in out.stdout or where.lstrip(":") in out.stdout, out.stdout
    assert what in out.stdout

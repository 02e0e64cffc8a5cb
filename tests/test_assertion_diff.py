"""`ssoctl assertion diff A B`: two Responses compared as an SP sees them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DATA, NOW, run_cli
from tests.test_fidelity import request

REAL = DATA / "entra-response-2022.xml"


def _issue(example: Path, tmp_path: Path, name: str, *extra: str) -> Path:
    out = run_cli(
        "assertion", "issue", "--app", "mitel-connect", "--user", "B.Simon@contoso.com",
        "--now", NOW, *extra, tenant=example,
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    path = tmp_path / name
    path.write_bytes(out.stdout_bytes)
    return path


def test_two_sign_ins_of_the_same_configuration_are_the_same(example: Path, tmp_path: Path) -> None:
    a = _issue(example, tmp_path, "a.xml", "--request", request())
    b = _issue(example, tmp_path, "b.xml", "--request", request())
    assert a.read_bytes() != b.read_bytes()  # IDs and InResponseTo differ
    same = run_cli("assertion", "diff", str(a), str(b), tenant=example)
    assert same.exit_code == 0, same.stdout
    assert "the same to an SP" in same.stderr


def test_the_twin_against_real_entra_differs_only_where_the_app_does(
    example: Path, tmp_path: Path
) -> None:
    """The real 2022 Entra Response (another tenant, app and user) against the twin's
    SP-initiated Response: only the app- and tenant-specific aspects differ, never the
    shape Entra gives every Response (what is signed, algorithms, NameID format,
    AuthnContext, the five attributes Entra always sends)."""
    twin = _issue(example, tmp_path, "twin.xml", "--request", request())
    out = run_cli("assertion", "diff", str(twin), str(REAL), "--format", "json", tenant=example)
    assert out.exit_code == 1
    document = json.loads(out.stdout)
    aspects = {d["aspect"] for d in document["differences"]}
    assert aspects <= {
        "issuer", "assertion_issuer", "destination", "name_id", "audience", "recipient",
        "attribute_names", "attribute_values",
    }, aspects  # fmt: skip
    assert {"issuer", "name_id", "audience"} <= aspects
    names = next(d for d in document["differences"] if d["aspect"] == "attribute_names")
    # the real app had only `name` among the default claims; the always-sent five match
    assert "http://schemas.microsoft.com/identity/claims/tenantid" not in names["a"] + names["b"]


def test_a_configuration_change_is_named(example: Path, tmp_path: Path) -> None:
    before = _issue(example, tmp_path, "before.xml")
    changed = run_cli(
        "app", "claim", "remove", "mitel-connect",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", tenant=example,
    )  # fmt: skip
    assert changed.exit_code == 0, changed.stderr
    after = _issue(example, tmp_path, "after.xml", "--sign", "both")
    out = run_cli("assertion", "diff", str(before), str(after), tenant=example)
    assert out.exit_code == 1
    assert "attribute_names:" in out.stdout and "surname" in out.stdout
    assert (
        "signed:" in out.stdout
        and '"assertion"' in out.stdout
        and "response+assertion" in out.stdout
    )


def test_not_a_response_is_a_clear_error(example: Path, tmp_path: Path) -> None:
    bad = tmp_path / "request.xml"
    bad.write_text(
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" '
        'Version="2.0" IssueInstant="2026-01-01T00:00:00Z"/>'
    )
    out = run_cli("assertion", "diff", str(bad), str(REAL), tenant=example)
    assert out.exit_code == 3 and "not a SAML Response" in out.stderr
    assert "Traceback" not in out.stderr

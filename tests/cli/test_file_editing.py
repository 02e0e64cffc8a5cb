"""Edits change only what they change: comments stay with their entries, the file's own
style survives, and an edit that breaks the file is refused (issue 13, items 1-3)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tests.conftest import NOW, run_cli

RINGCENTRAL_COMMENT = (
    "  # RingCentral, Europe: IdP-initiated; Identifier and Reply URL come from the gallery."
)
MITEL_COMMENT = (
    "  # Mitel Connect on CloudLink: SP-initiated; values from the CloudLink Accounts portal."
)
APPS_HEADER = (
    "# SAML apps. `ssoctl gallery list` shows templates; `ssoctl app add ringcentral --region us`."
)


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def block(text: str, first: str, last: str) -> list[str]:
    """The lines from `first` to `last`, both included."""
    lines = text.splitlines()
    start = lines.index(first)
    return lines[start : lines.index(last, start) + 1]


def edit(example: Path, *args: str) -> tuple[list[str], list[str]]:
    before = example.read_text()
    out = run_cli(*args, tenant=example)
    assert out.exit_code == 0, out.stderr
    return changes(before, example.read_text())


# 1. Comments belong to the entry they precede ------------------------------------------


def test_unassign_removes_only_the_assignment(example: Path) -> None:
    removed, added = edit(example, "app", "unassign", "ringcentral", "group:Sales")
    assert removed == ["      - group:Sales"] and added == []


def test_app_remove_takes_its_own_comment_and_leaves_the_next_apps(example: Path) -> None:
    text = example.read_text()
    own = [RINGCENTRAL_COMMENT, *block(text, "  ringcentral:", "      - group:Sales")]
    removed, added = edit(example, "app", "remove", "ringcentral")
    assert removed == own and added == []
    assert MITEL_COMMENT in example.read_text().splitlines()


def test_removing_the_last_app_keeps_the_section_header(example: Path) -> None:
    text = example.read_text()
    own = [
        MITEL_COMMENT,
        *block(text, "  mitel-connect:", "    assignments:"),
        "      - B.Simon@contoso.com",
    ]
    removed, added = edit(example, "app", "remove", "mitel-connect")
    # the PLACEHOLDER comment inside the app goes with it; nothing else does
    assert removed == own and added == []
    assert APPS_HEADER in example.read_text().splitlines()


def test_group_remove_force_keeps_the_apps_header(example: Path) -> None:
    text = example.read_text()
    removed, added = edit(example, "group", "remove", "Sales", "--force")
    assert removed == [
        *block(text, "groups:", "    members: [B.Simon@contoso.com]"),
        "      - group:Sales",
    ]
    assert added == ["groups: []"]
    lines = example.read_text().splitlines()
    assert lines[lines.index("groups: []") + 1 : lines.index("groups: []") + 3] == ["", APPS_HEADER]


def test_user_remove_force_removes_the_user_and_its_references_only(example: Path) -> None:
    text = example.read_text()
    user = block(text, "users:", "    mail: B.Simon@contoso.com")
    removed, added = edit(example, "user", "remove", "B.Simon@contoso.com", "--force")
    assert removed == [
        *user,
        "    members: [B.Simon@contoso.com]",
        "      - B.Simon@contoso.com",  # ringcentral's assignment
        "    assignments:",  # mitel-connect's, its only one
        "      - B.Simon@contoso.com",
    ]
    assert added == ["users: []", "    members: []", "    assignments: []"]


def test_claim_remove_keeps_the_claims_comment(example: Path) -> None:
    removed, added = edit(example, "app", "claim", "remove", "ringcentral", "givenname")
    assert removed == [
        "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname: user.givenname"
    ]
    assert added == []
    assert "    # Edit with `ssoctl app claim list|set|remove ringcentral`." in example.read_text()


def test_cert_new_then_remove_gives_the_file_back(example: Path) -> None:
    before = example.read_bytes()
    assert run_cli("cert", "new", "--name", "spare", "--now", NOW, tenant=example).exit_code == 0
    assert example.read_bytes() != before
    out = run_cli("cert", "remove", "spare", tenant=example)
    assert out.exit_code == 0, out.stderr
    assert example.read_bytes() == before


def test_set_commands_change_one_line(example: Path) -> None:
    removed, added = edit(example, "user", "set", "B.Simon@contoso.com", "--surname", "Simons")
    assert removed == ["    surname: Simon"] and added == ["    surname: Simons"]
    guid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    removed, added = edit(example, "app", "set", "mitel-connect", "--app-id", guid)
    assert removed == ["    app_id: 882f7abf-96d2-478b-9017-577003fb8fbc"]
    assert added == [f"    app_id: {guid}"]


# 2. The file's own style ----------------------------------------------------------------

HAND_WRITTEN = """\
version: 1
tenant:
    id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11
    domain: 'contoso.com'\t# quoted, and a tab before this comment
    cloud: "public"
certificates:
-   name: contoso-2026
    cert: certs/contoso-2026.pem
    key: certs/contoso-2026.key
    public_demo_key: true
signing:
    certificates: [contoso-2026]
    active: contoso-2026
users:
-   upn: B.Simon@contoso.com
    object_id: f5859cf9-a37c-4869-98b2-f506574bf1c7
    mail: B.Simon@contoso.com     # two spaces too many, on purpose
    surname: Simon
groups:
-   name: Sales
    object_id: 7430fc95-5da3-44a0-b3c0-3f69c24b3017
    members:
    - B.Simon@contoso.com
apps:
    # the app
    ringcentral:
        template: ringcentral
        region: euro
        app_id: bb64ead1-81d6-47eb-998a-094603b3f753
        identifiers: [https://ssoeuro.ringcentral.com]
        reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]
        assignments:
        - B.Simon@contoso.com
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_hand_written_style_survives_an_edit(example: Path, newline: str, bom: bool) -> None:
    original = ("\ufeff" if bom else "") + HAND_WRITTEN.replace("\n", newline)
    example.write_bytes(original.encode("utf-8"))
    assert run_cli("validate", str(example), "--now", NOW).exit_code == 0
    out = run_cli("user", "set", "B.Simon@contoso.com", "--surname", "Simons", tenant=example)
    assert out.exit_code == 0, out.stderr
    expected = original.replace("surname: Simon" + newline, "surname: Simons" + newline)
    assert example.read_bytes() == expected.encode("utf-8")


def test_a_new_list_item_keeps_every_other_line(example: Path) -> None:
    example.write_text(HAND_WRITTEN)
    removed, added = edit(example, "app", "assign", "ringcentral", "group:Sales")
    assert removed == [] and len(added) == 1 and added[0].strip() == "- group:Sales"
    removed, added = edit(example, "app", "unassign", "ringcentral", "B.Simon@contoso.com")
    assert removed == ["        - B.Simon@contoso.com"] and added == []


def test_a_tab_inside_a_quoted_value_is_kept(example: Path) -> None:
    text = HAND_WRITTEN.replace("surname: Simon", 'surname: "Si\t# mon"')
    example.write_text(text)
    out = run_cli("user", "set", "B.Simon@contoso.com", "--given-name", "Britta", tenant=example)
    assert out.exit_code == 0, out.stderr
    user = json.loads(run_cli("user", "list", "-f", "json", tenant=example).stdout)["users"][0]
    assert user["surname"] == "Si\t# mon"


# 3. Edits that break the file -----------------------------------------------------------


def test_an_edit_adding_an_error_is_refused_with_the_finding(example: Path) -> None:
    before = example.read_bytes()
    args = (
        "app", "add", "custom", "--name", "copy",
        "--identifier", "https://ssoeuro.ringcentral.com",
        "--reply-url", "https://copy.example.com/acs",
    )  # fmt: skip
    refused = run_cli(*args, tenant=example)
    assert refused.exit_code == 1
    assert "would add 1 validation error" in refused.stderr
    assert "error[identifier-unique]" in refused.stderr and "--force" in refused.stderr
    assert example.read_bytes() == before
    assert not list((example.parent / "certs").glob("copy-*"))  # its new key is not left behind
    forced = run_cli(*args, "--force", tenant=example)
    assert forced.exit_code == 0 and "saved with --force" in forced.stderr
    assert "copy:" in example.read_text()


def test_warnings_an_edit_adds_are_printed_not_refused(example: Path) -> None:
    out = run_cli("app", "unassign", "mitel-connect", "B.Simon@contoso.com", tenant=example)
    assert out.exit_code == 0
    assert "warning: " in out.stderr and "warning[no-assignments]" in out.stderr


def test_errors_the_file_already_had_do_not_block_other_edits(example: Path) -> None:
    text = example.read_text().replace(
        "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]",
        "reply_urls: [http://ssoeuro.ringcentral.com/sp/ACS.saml2]",
    )
    example.write_text(text)
    assert run_cli("validate", str(example), "--now", NOW).exit_code == 1
    out = run_cli("user", "set", "B.Simon@contoso.com", "--surname", "Simons", tenant=example)
    assert out.exit_code == 0 and "error" not in out.stderr

"""Second security review: comment ownership on every layout (item 12), one rule's crash
costs only that rule (9), a planted `.git` above the checkout (10), SP metadata without
an HTTP-POST ACS (11), and a keyed persistent NameID (13)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, NOW, TENANT_ID, run_cli

HEAD = (
    f"version: 1\ntenant: {{id: {TENANT_ID}, domain: contoso.com}}\nusers: []\ngroups: []\napps:\n"
)


def _app_block(name: str, pre: list[str], eols: list[str | None], flow: bool) -> str:
    """One app: the full-line comments and blank lines above it (its own), then its lines,
    each with an optional end-of-line comment."""
    lines = [*pre, f"  {name}:"]
    fields = [
        "    template: custom",
        f"    identifiers: [https://{name}.example]",
    ]
    if flow:
        fields.append(f"    reply_urls: [https://{name}.example/acs]")
    else:
        fields += ["    reply_urls:", f"      - https://{name}.example/acs"]
    for index, field in enumerate(fields):
        eol = eols[index % len(eols)] if eols else None
        lines.append(field + (f"  # {eol}" if eol else ""))
    return "".join(line + "\n" for line in lines)


comment_text = st.text(alphabet="abcdefgh -:", min_size=1, max_size=12).map(str.strip).filter(bool)
pre_line = st.one_of(st.just(""), comment_text.map(lambda t: f"  # {t}"), comment_text.map(
    lambda t: f"# {t}"))  # fmt: skip
app_layout = st.tuples(
    st.lists(pre_line, max_size=3),
    st.lists(st.one_of(st.none(), comment_text), max_size=3),
    st.booleans(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    layouts=st.lists(app_layout, min_size=2, max_size=4),
    footer=st.lists(st.one_of(st.just(""), comment_text.map(lambda t: f"# {t}")), max_size=2),
    victim=st.integers(0, 3),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_removing_an_app_removes_exactly_its_own_lines(
    tmp_path: Path,
    layouts: list[tuple[list[str], list[str | None], bool]],
    footer: list[str],
    victim: int,
    crlf: bool,
    bom: bool,
) -> None:
    names = [f"app{i}" for i in range(len(layouts))]
    blocks = [_app_block(n, *layout) for n, layout in zip(names, layouts, strict=True)]
    footer_text = "".join(line + "\n" for line in footer)
    victim %= len(names)

    def encoded(text: str) -> bytes:
        text = text.replace("\n", "\r\n") if crlf else text
        return (("\ufeff" if bom else "") + text).encode("utf-8")

    original = HEAD + "".join(blocks) + footer_text
    expected = HEAD + "".join(b for i, b in enumerate(blocks) if i != victim) + footer_text
    tenant = tmp_path / f"t{os.getpid()}-{abs(hash(original)) % 10**9}.yaml"
    tenant.write_bytes(encoded(original))
    result = run_cli("app", "remove", names[victim], "--force", tenant=tenant)
    if result.exit_code == 3:  # refused: a layout ssoctl cannot decide, said so
        assert "cannot tell which entry" in result.stderr
        assert tenant.read_bytes() == encoded(original)
        return
    assert result.exit_code == 0, result.stderr
    assert tenant.read_bytes() == encoded(expected), (original, tenant.read_text())


def test_the_reviews_layout_keeps_the_next_apps_comment(tmp_path: Path) -> None:
    text = HEAD + (
        "  # one: the wiki\n"
        "  one:\n"
        "    template: custom\n"
        "    identifiers: [https://one.example]\n"
        "    reply_urls: [https://one.example/acs]  # the wiki's ACS\n"
        "  # two: payroll - never assign contractors\n"
        "  two:\n"
        "    template: custom\n"
        "    identifiers: [https://two.example]\n"
        "    reply_urls: [https://two.example/acs]  # payroll ACS\n"
        "# footer: reviewed by security\n"
    )
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(text)
    assert run_cli("app", "remove", "one", "--force", tenant=tenant).exit_code == 0
    after = tenant.read_text()
    assert "# two: payroll - never assign contractors\n  two:" in after
    assert "# one: the wiki" not in after and after.endswith("# footer: reviewed by security\n")


def test_a_comment_inside_a_flow_list_refuses_the_edit(tmp_path: Path) -> None:
    text = HEAD + (
        "  one:\n"
        "    template: custom\n"
        "    identifiers: [https://one.example]\n"
        "    reply_urls: [https://one.example/acs,  # primary\n"
        "                 https://one.example/acs2]\n"
        "  two:\n"
        "    template: custom\n"
        "    identifiers: [https://two.example]\n"
        "    reply_urls: [https://two.example/acs]\n"
    )
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(text)
    result = run_cli("app", "remove", "two", "--force", tenant=tenant)
    assert result.exit_code == 3 and "flow collection" in result.stderr
    assert tenant.read_text() == text


# -- 9. one rule's failure ----------------------------------------------------------------


def test_a_modeline_at_deep_brackets_is_a_warning_not_a_crash(example: Path) -> None:
    (example.parent / "deep.json").write_text("[" * 2048)
    text = example.read_text()
    first, rest = text.split("\n", 1)
    example.write_text("# yaml-language-server: $schema=deep.json\n" + rest)
    result = run_cli("validate", str(example), "--now", NOW, "--format", "json")
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert any(f["rule"] == "schema-copy" for f in findings), findings
    assert result.exit_code == 0, first


def test_a_rule_that_raises_is_an_error_finding_and_the_rest_still_run(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssoctl import rules

    registry = rules.load_all()
    broken = registry["schema-copy"]

    def explode(_ctx: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    explode.__module__ = broken.check.__module__  # the registry orders rules by module

    monkeypatch.setitem(registry, "schema-copy", rules.Rule(broken.id, broken.severity,
                        explode, broken.doc))  # fmt: skip
    text = example.read_text().replace("https://ssoeuro", "http://ssoeuro", 1)
    example.write_text(text)
    result = run_cli("validate", str(example), "--now", NOW, "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["files"][0]["findings"]
    crashed = [f for f in findings if f["rule"] == "schema-copy"]
    assert crashed and crashed[0]["severity"] == "error"
    assert "could not run (RecursionError)" in crashed[0]["message"]
    assert any(f["rule"] != "schema-copy" for f in findings)  # the others reported


# -- 10. a planted .git above the checkout ------------------------------------------------


def _planted(tmp_path: Path, example: Path, excludes: str) -> Path:
    """A folder owned by someone else, holding a `.git` whose config names `excludes`,
    with the tenant folder inside it."""
    root = tmp_path / "shared"
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "config").write_text(f"[core]\n\texcludesFile = {excludes}\n")
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    shutil.copytree(example.parent, root / "contoso")
    for path in (root, root / ".git"):
        os.chown(path, 65534, 65534)
    return root / "contoso" / "tenant.yaml"


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root"
)


@needs_root
def test_a_repository_owned_by_another_user_is_not_trusted(tmp_path: Path, example: Path) -> None:
    tenant = _planted(tmp_path, example, "/dev/zero")
    result = subprocess.run(
        ["ssoctl", "validate", str(tenant), "--now", NOW, "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    from ssoctl.gitstate import work_tree

    assert work_tree(tenant.parent) is None


@needs_root
def test_safe_directory_trusts_it_and_reads_stay_bounded(
    tmp_path: Path, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sparse = tmp_path / "huge-excludes"
    with sparse.open("wb") as handle:
        handle.truncate(3 * 1024**3)
    tenant = _planted(tmp_path, example, str(sparse))
    config = tmp_path / "gitconfig"
    config.write_text(f"[safe]\n\tdirectory = {tenant.parent.parent}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    from ssoctl import gitstate

    gitstate._ignore_manager.cache_clear()
    assert gitstate.work_tree(tenant.parent) == tenant.parent.parent.resolve()
    state = gitstate.state(tenant.parent / "certs" / "contoso-2026.key", tenant.parent)
    assert state is not None and not state.ignored  # the 3 GB excludes file was not read
    result = subprocess.run(
        ["ssoctl", "validate", str(tenant), "--now", NOW],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "GIT_CONFIG_GLOBAL": str(config)},
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr


# -- 11. verify --sp-metadata without an HTTP-POST ACS ------------------------------------


def test_sp_metadata_without_a_post_acs_never_skips_the_destination(
    example: Path, tmp_path: Path
) -> None:
    issued = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, tenant=example,
    )  # fmt: skip
    response = tmp_path / "response.xml"
    response.write_bytes(issued.stdout_bytes)
    metadata = (DATA / "metadata" / "ringcentral-euro.xml").read_text()
    redirect_only = metadata.replace(
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    )
    sp = tmp_path / "sp.xml"
    sp.write_text(redirect_only)
    cert = example.parent / "certs" / "contoso-2026.pem"
    result = run_cli(
        "assertion", "verify", str(response), "--cert", str(cert), "--at", NOW,
        "--issuer", f"https://sts.windows.net/{TENANT_ID}/", "--sp-metadata", str(sp),
    )  # fmt: skip
    assert result.exit_code == 1 and "valid" not in result.stdout.split()
    assert "no HTTP-POST AssertionConsumerService" in result.stderr


# -- 13. the persistent NameID is keyed ---------------------------------------------------


def test_persistent_ids_differ_between_tenants_with_the_same_public_values(
    tmp_path: Path, example: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(example.parent, other)
    ids = []
    for tenant in (example, other / "tenant.yaml"):
        out = run_cli(
            "assertion", "issue", "--app", "mitel-connect", "--user", "B.Simon@contoso.com",
            "--name-id-format", "persistent", "--now", NOW, "--format", "json", tenant=tenant,
        )  # fmt: skip
        assert out.exit_code == 0, out.stderr
        ids.append(json.loads(out.stdout)["summary"]["name_id"])
        secret = tenant.parent / "certs" / "pairwise-id.key"
        assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert ids[0] != ids[1]  # same tenant ID, app and object ID: only the secret differs

"""ssoctl validate: every rule has a folder of tenant files that must trigger it at a
known line:col, a passing case reports nothing, and every report format is checked."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, EXAMPLE, GOLDEN, run_cli

RULES = DATA / "rules"
DEFAULT_NOW = "2027-01-15T10:00:00Z"


def directives(path: Path) -> tuple[list[tuple[str, int, int]], str, int, int]:
    text = path.read_text()
    expects = [
        (m[0], int(m[1]), int(m[2]))
        for m in re.findall(r"^# expect: (\S+) (\d+):(\d+)$", text, re.M)
    ]
    now = re.search(r"^# now: (\S+)$", text, re.M)
    mode = re.search(r"^# chmod-key: (\d+)$", text, re.M)
    code = re.search(r"^# exit: (\d+)$", text, re.M)
    from ssoctl.findings import Severity
    from ssoctl.rules import load_all

    lenient = (Severity.warning, Severity.info)
    warning_rule = expects and load_all()[expects[0][0]].severity in lenient
    exit_code = int(code[1]) if code else (0 if warning_rule else 1)
    return expects, now[1] if now else DEFAULT_NOW, int(mode[1], 8) if mode else 0o600, exit_code


def prepared(tmp_path: Path, fixture: Path, key_mode: int) -> Path:
    """A copy of the fixture beside a private copy of the test certificates."""
    shutil.copytree(RULES / "certs", tmp_path / "certs")
    for key in (tmp_path / "certs").glob("*.key"):
        key.chmod(key_mode)
    (tmp_path / "case").mkdir()
    target = tmp_path / "case" / fixture.name
    shutil.copy(fixture, target)
    return target


CASES = sorted(p for p in RULES.glob("*/*.yaml") if p.parent.name != "pass")


def test_every_rule_has_a_failing_folder():
    from ssoctl.rules import load_all

    folders = {p.parent.name for p in CASES}
    assert folders == set(load_all()), "each rule needs tests/data/rules/<rule>/"


@pytest.mark.parametrize("fixture", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_rule_fires_at_the_right_place(tmp_path: Path, fixture: Path):
    expects, now, mode, exit_code = directives(fixture)
    assert expects, f"{fixture} has no '# expect:' line"
    target = prepared(tmp_path, fixture, mode)
    before = target.read_bytes()
    for fmt in ("json", "sarif", "github", "junit", "text"):
        out = run_cli("validate", str(target), "--format", fmt, "--now", now)
        assert out.exit_code == exit_code, out.stdout
        for rule, line, col in expects:
            if fmt == "json":
                found = [
                    (f["rule"], f["line"], f["column"])
                    for f in json.loads(out.stdout)["files"][0]["findings"]
                ]
                assert (rule, line, col) in found, found
            elif fmt == "sarif":
                results = json.loads(out.stdout)["runs"][0]["results"]
                found = [
                    (
                        r["ruleId"],
                        r["locations"][0]["physicalLocation"]["region"]["startLine"],
                        r["locations"][0]["physicalLocation"]["region"]["startColumn"],
                    )
                    for r in results
                ]
                assert (rule, line, col) in found, found
            elif fmt == "github":
                assert f"line={line},col={col},title={rule}::" in out.stdout
            elif fmt == "junit":
                assert f'name="{rule}">' in out.stdout
                assert f":{line}:{col}: " in out.stdout
            else:
                assert f"{line}:{col}" in out.stdout and f"[{rule}]" in out.stdout
    assert target.read_bytes() == before, "validate never writes the tenant file"


def test_warning_rules_fail_under_strict(tmp_path: Path):
    fixture = RULES / "no-assignments" / "nobody.yaml"
    target = prepared(tmp_path, fixture, 0o600)
    assert run_cli("validate", str(target), "--now", DEFAULT_NOW).exit_code == 0
    assert run_cli("validate", str(target), "--now", DEFAULT_NOW, "--strict").exit_code == 1


def test_passing_case_reports_nothing(tmp_path: Path):
    target = prepared(tmp_path, RULES / "pass" / "tenant.yaml", 0o600)
    out = run_cli("validate", str(target), "--format", "json", "--now", DEFAULT_NOW)
    assert out.exit_code == 0
    assert json.loads(out.stdout)["files"][0]["findings"] == []


def test_example_passes(example: Path):
    out = run_cli("validate", str(example), "--now", DEFAULT_NOW, "--format", "json")
    assert out.exit_code == 0, out.stdout
    errors = [f for f in json.loads(out.stdout)["files"][0]["findings"] if f["severity"] == "error"]
    assert errors == []


def test_many_files_and_a_broken_one_does_not_stop_the_others(tmp_path: Path):
    good = prepared(tmp_path, RULES / "pass" / "tenant.yaml", 0o600)
    broken = tmp_path / "case" / "broken.yaml"
    broken.write_text("version: 1\ntenant: [\n")
    missing = tmp_path / "case" / "missing.yaml"
    out = run_cli(
        "validate", str(good), str(broken), str(missing), "-f", "json", "--now", DEFAULT_NOW
    )
    assert out.exit_code == 3  # one file could not be read at all
    files = json.loads(out.stdout)["files"]
    assert [len(f["findings"]) for f in files] == [0, 1, 0]
    assert files[1]["findings"][0]["rule"] == "syntax"
    assert files[2]["unreadable"]
    no_missing = run_cli("validate", str(good), str(broken), "--now", DEFAULT_NOW)
    assert no_missing.exit_code == 1


def test_select_ignore_list_explain(tmp_path: Path):
    target = prepared(tmp_path, RULES / "gallery-endpoint" / "region-mismatch.yaml", 0o600)
    ignored = run_cli("validate", str(target), "--ignore", "gallery-endpoint", "--now", DEFAULT_NOW)
    assert ignored.exit_code == 0
    selected = run_cli(
        "validate",
        str(target),
        "--select",
        "url-https,gallery-endpoint",
        "-f",
        "json",
        "--now",
        DEFAULT_NOW,
    )
    rules = {f["rule"] for f in json.loads(selected.stdout)["files"][0]["findings"]}
    assert rules == {"gallery-endpoint"}
    assert run_cli("validate", str(target), "--select", "nope").exit_code == 2
    listed = run_cli("validate", "--list-rules")
    assert "gallery-endpoint" in listed.stdout and "cert-expiry" in listed.stdout
    explained = run_cli("validate", "--explain", "gallery-endpoint")
    assert "AADSTS700016" in explained.stdout


def test_findings_name_entra_errors(tmp_path: Path):
    target = prepared(tmp_path, RULES / "gallery-endpoint" / "region-mismatch.yaml", 0o600)
    out = run_cli("validate", str(target), "-f", "json", "--now", DEFAULT_NOW)
    assert any(
        "AADSTS50011" in f["message"] for f in json.loads(out.stdout)["files"][0]["findings"]
    )


def test_sarif_validates_against_the_official_schema(tmp_path: Path):
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    target = prepared(tmp_path, RULES / "gallery-endpoint" / "region-mismatch.yaml", 0o600)
    out = run_cli("validate", str(target), "-f", "sarif", "--now", DEFAULT_NOW)
    doc = json.loads(out.stdout)
    jsonschema.Draft4Validator(schema).validate(doc)
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert not uri.startswith("/") and "\\" not in uri
    bad = json.loads(out.stdout)
    bad["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(bad)


def test_auto_format_uses_github_under_actions(tmp_path: Path):
    target = prepared(tmp_path, RULES / "url-https" / "http-reply.yaml", 0o600)
    out = run_cli("validate", str(target), "--now", DEFAULT_NOW, env={"GITHUB_ACTIONS": "true"})
    assert "::error file=" in out.stdout
    text = run_cli("validate", str(target), "--now", DEFAULT_NOW, env={"GITHUB_ACTIONS": ""})
    assert "::error" not in text.stdout and "[url-https]" in text.stdout


def test_output_file(tmp_path: Path):
    target = prepared(tmp_path, RULES / "url-https" / "http-reply.yaml", 0o600)
    report = tmp_path / "out.xml"
    out = run_cli(
        "validate", str(target), "-f", "junit", "--output", str(report), "--now", DEFAULT_NOW
    )
    assert out.exit_code == 1 and out.stdout == ""
    assert "<testsuites" in report.read_text()


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_golden_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str):
    target = prepared(tmp_path, RULES / "gallery-endpoint" / "region-mismatch.yaml", 0o600)
    monkeypatch.chdir(tmp_path)
    out = run_cli("validate", "case/region-mismatch.yaml", "-f", fmt, "--now", DEFAULT_NOW)
    golden = GOLDEN / f"validate-region-mismatch.{fmt}"
    assert out.stdout == golden.read_text(), f"regenerate {golden.name} if the change is intended"
    assert target.exists()


def test_rules_doc_is_fresh():
    from ssoctl.rules.docs import markdown

    committed = (EXAMPLE.parent.parent / "docs" / "rules.md").read_text()
    assert committed == markdown(), "run: python -m ssoctl.rules.docs > docs/rules.md"

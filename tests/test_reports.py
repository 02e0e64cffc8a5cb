"""JUnit and SARIF as the systems that read them see them (issue 14, item 3): JUnit read
back with junitparser, SARIF URIs from other working folders, fingerprints, help."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from tests.conftest import EXAMPLE, NOW, run_cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding two tenant files, one of them broken (http Reply URL)."""
    root = tmp_path / "repo with space"
    for name in ("contoso", "fabrikam"):
        shutil.copytree(EXAMPLE, root / "tenants" / name)
    broken = root / "tenants" / "fabrikam" / "tenant.yaml"
    broken.write_text(
        broken.read_text().replace("reply_urls: [https://ssoeuro", "reply_urls: [http://ssoeuro")
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def junit(*files: Path) -> JUnitXml:
    out = run_cli("validate", *map(str, files), "-f", "junit", "--now", NOW)
    return JUnitXml.fromstring(out.stdout.encode())


def counts(suite) -> tuple[int, int, int, int]:
    cases = list(suite)
    return (
        len(cases),
        sum(any(isinstance(r, Failure) for r in c.result) for c in cases),
        sum(any(isinstance(r, Error) for r in c.result) for c in cases),
        sum(any(isinstance(r, Skipped) for r in c.result) for c in cases),
    )


def test_junit_counts_match_children_on_every_element(repo: Path, tmp_path: Path) -> None:
    unreadable = tmp_path / "missing.yaml"
    schema_broken = tmp_path / "schema" / "tenant.yaml"
    schema_broken.parent.mkdir()
    schema_broken.write_text("version: 1\ntenant: {id: nope, domain: contoso.com}\n")
    report = junit(
        repo / "tenants/contoso/tenant.yaml",
        repo / "tenants/fabrikam/tenant.yaml",
        unreadable,
        schema_broken,
    )
    totals = [0, 0, 0, 0]
    for suite in report:
        tests, failures, errors, skipped = counts(suite)
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == counts(suite)
        totals = [a + b for a, b in zip(totals, (tests, failures, errors, skipped), strict=True)]
    assert [report.tests, report.failures, report.errors, report.skipped] == totals
    by_name = {suite.name: suite for suite in report}
    missing = by_name[str(unreadable)]
    assert (missing.failures, missing.errors) == (0, 1)  # an <error>, not a failure
    assert missing.skipped == missing.tests - 1
    broken = by_name[str(schema_broken)]
    assert broken.failures == 1 and broken.skipped == broken.tests - 2  # syntax, schema ran
    fabrikam = by_name[str(repo / "tenants/fabrikam/tenant.yaml")]
    assert fabrikam.failures >= 1 and fabrikam.skipped == 0  # url-https, gallery-endpoint


def sarif(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    done = subprocess.run(
        ["python3", "-m", "ssoctl", "validate", *args, "-f", "sarif", "--now", NOW],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def uris(report: Any) -> set[tuple[str, str | None]]:
    return {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["artifactLocation"].get("uriBaseId"),
        )
        for r in report["runs"][0]["results"]
    }


def test_sarif_uris_are_relative_to_the_repository_from_any_folder(repo: Path) -> None:
    expected = {("tenants/fabrikam/tenant.yaml", "%SRCROOT%")}
    target = repo / "tenants" / "fabrikam" / "tenant.yaml"
    from_root = sarif(repo, "tenants/fabrikam/tenant.yaml")
    from_inside = sarif(repo / "tenants" / "fabrikam", "tenant.yaml")
    absolute = sarif(repo / "tenants", str(target))
    for report in (from_root, from_inside, absolute):
        assert {u for u in uris(report) if "fabrikam" in u[0]} == expected


def test_sarif_root_option_and_outside_files(repo: Path, tmp_path: Path) -> None:
    target = repo / "tenants" / "fabrikam" / "tenant.yaml"
    rooted = sarif(tmp_path, str(target), "--sarif-root", str(repo / "tenants"))
    assert ("fabrikam/tenant.yaml", "%SRCROOT%") in uris(rooted)
    outside = sarif(repo, str(target), "--sarif-root", str(tmp_path / "elsewhere"))
    uri = next(iter(uris(outside)))[0]
    assert uri.startswith("file:///") and "repo%20with%20space" in uri  # percent-encoded


def test_sarif_fingerprints_survive_moved_lines(repo: Path) -> None:
    target = repo / "tenants" / "fabrikam" / "tenant.yaml"

    def prints() -> set[str]:
        report = sarif(repo, "tenants/fabrikam/tenant.yaml")
        return {r["partialFingerprints"]["ssoctlFinding/v1"] for r in report["runs"][0]["results"]}

    before = prints()
    target.write_text("# a new comment moves every line\n" + target.read_text())
    assert prints() == before and before


def test_sarif_help_without_a_site_and_with_one(repo: Path) -> None:
    import os

    rules = sarif(repo, "tenants/fabrikam/tenant.yaml")["runs"][0]["tool"]["driver"]["rules"]
    assert all("helpUri" not in r and r["help"]["markdown"] for r in rules)
    env = {**os.environ, "SSOCTL_DOCS_URL": "https://docs.example.org/ssoctl"}
    rules = sarif(repo, "tenants/fabrikam/tenant.yaml", env=env)["runs"][0]["tool"]["driver"]
    assert rules["rules"][0]["helpUri"].startswith("https://docs.example.org/ssoctl/rules/#")

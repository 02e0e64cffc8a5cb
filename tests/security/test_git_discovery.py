"""`validate` must never let git run what a pull request committed.

A pull request can commit a folder that git takes for a repository (HEAD, objects/, refs/
and a config whose core.fsmonitor is a command) and point a certificate's `key:` into it.
Before, the key-file rule ran `git check-ignore` in that folder and git ran the command.
Now git's state is read from the index and ignore files of the repository that holds the
tenant file, and no program runs. The finding itself must still be right.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, NOW, run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=cwd,
        capture_output=True,
        check=False,
    )


def make_repo(root: Path) -> Path:
    """A repository holding a copy of the example tenant; returns the work tree."""
    repo = root / "upstream"
    shutil.copytree(EXAMPLE, repo)
    (repo / "certs" / "contoso-2026.key").chmod(0o600)
    tenant = repo / "tenant.yaml"  # a real tenant: its key is not a published demo key
    lines = tenant.read_text().splitlines(keepends=True)
    tenant.write_text("".join(line for line in lines if "public_demo_key" not in line))
    assert git(repo, "init", "-q").returncode == 0
    return repo


def plant_fake_repository(repo: Path, marker: Path) -> None:
    """The attack: a folder git discovers as a repository, whose config runs a command."""
    evil = repo / "evil"
    (evil / "objects").mkdir(parents=True)
    (evil / "refs").mkdir()
    (evil / "objects" / ".keep").write_text("")
    (evil / "refs" / ".keep").write_text("")
    (evil / "HEAD").write_text("ref: refs/heads/main\n")
    (evil / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ..\n"
        f'\tfsmonitor = "touch {marker}; false"\n'
    )
    shutil.move(repo / "certs" / "contoso-2026.key", evil / "contoso-2026.key")
    tenant = repo / "tenant.yaml"
    tenant.write_text(
        tenant.read_text().replace("key: certs/contoso-2026.key", "key: evil/contoso-2026.key")
    )


def validate(tenant: Path, *extra: str) -> tuple[int, list[dict[str, object]]]:
    out = run_cli("validate", str(tenant), "--format", "json", "--now", NOW, *extra)
    document = json.loads(out.stdout)
    findings = [f for file in document["files"] for f in file["findings"]]
    return out.exit_code, findings


def key_findings(findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in findings if f["rule"] in ("key-file", "cert-file")]


def test_fsmonitor_in_a_committed_folder_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    repo = make_repo(tmp_path)
    plant_fake_repository(repo, marker)
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-qm", "attack").returncode == 0
    clone = tmp_path / "ci"
    assert git(tmp_path, "clone", "-q", str(repo), str(clone)).returncode == 0

    # The attack is live: git itself, run in that folder, runs the planted command.
    git(clone / "evil", "check-ignore", "-q", "contoso-2026.key")
    assert marker.exists(), "the fixture no longer reproduces the attack"
    marker.unlink()

    code, findings = validate(clone / "tenant.yaml")
    assert not marker.exists(), "validate let git run a command from the checked-out tree"
    # The planted key is committed to the outer repository: that is the finding.
    messages = [str(f["message"]) for f in key_findings(findings)]
    assert any("committed to git" in m for m in messages), messages
    assert code == 1


def test_no_git_process_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path)
    git(repo, "add", "-A")

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"a program was started: {args!r}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    code, findings = validate(repo / "tenant.yaml")
    assert any("committed to git" in str(f["message"]) for f in findings)
    assert code == 1


def test_tracked_key_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert git(repo, "add", "certs/contoso-2026.key").returncode == 0
    _code, findings = validate(repo / "tenant.yaml")
    errors = [f for f in key_findings(findings) if f["severity"] == "error"]
    assert len(errors) == 1
    assert "git rm --cached certs/contoso-2026.key" in str(errors[0]["message"])
    text = (repo / "tenant.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "key: certs/contoso-2026.key" in t)
    assert (errors[0]["line"], errors[0]["column"]) == (line, 10)


def test_untracked_unignored_key_is_a_warning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    _code, findings = validate(repo / "tenant.yaml")
    found = key_findings(findings)
    assert [(f["rule"], f["severity"]) for f in found] == [("key-file", "warning")]
    assert "not ignored" in str(found[0]["message"])


def test_ignored_key_is_no_finding(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / ".gitignore").write_text("*.key\n")
    _code, findings = validate(repo / "tenant.yaml")
    assert key_findings(findings) == []


def test_ignored_key_missing_in_a_fresh_clone_passes_strict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / ".gitignore").write_text("*.key\n")
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-qm", "tenant").returncode == 0
    clone = tmp_path / "ci"
    assert git(tmp_path, "clone", "-q", str(repo), str(clone)).returncode == 0
    assert not (clone / "certs" / "contoso-2026.key").exists()
    code, findings = validate(clone / "tenant.yaml", "--strict")
    assert key_findings(findings) == []
    assert code == 0, findings


def test_missing_key_not_ignored_is_still_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "certs" / "contoso-2026.key").unlink()
    _code, findings = validate(repo / "tenant.yaml")
    assert [(f["rule"], f["severity"]) for f in key_findings(findings)] == [
        ("cert-file", "warning")
    ]


def test_key_outside_the_repository_is_judged_by_mode_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    outside = tmp_path / "secrets"
    outside.mkdir()
    shutil.move(repo / "certs" / "contoso-2026.key", outside / "k.key")
    (outside / "k.key").chmod(0o600)
    tenant = repo / "tenant.yaml"
    tenant.write_text(
        tenant.read_text().replace("key: certs/contoso-2026.key", "key: ../secrets/k.key")
    )
    _code, findings = validate(tenant)
    assert key_findings(findings) == []


def test_truncated_key_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    key = repo / "certs" / "contoso-2026.key"
    key.write_bytes(key.read_bytes()[:300])
    (repo / ".gitignore").write_text("*.key\n")
    code, findings = validate(repo / "tenant.yaml")
    errors = [f for f in findings if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["cert-strength"], errors
    assert "cannot be used" in str(errors[0]["message"])
    assert code == 1


def test_a_published_demo_key_is_an_info_note(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(EXAMPLE, repo)  # examples/contoso marks its key public_demo_key
    assert git(repo, "init", "-q").returncode == 0
    assert git(repo, "add", "-A").returncode == 0
    code, findings = validate(repo / "tenant.yaml")
    assert [(f["rule"], f["severity"]) for f in key_findings(findings)] == [("key-file", "info")]
    assert code == 0

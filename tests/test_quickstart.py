"""docs/quickstart.md, followed literally (issue 21, item 7): every `sh` block, in order,
as one script in a fresh folder, from `git init` to a verified sign-in. Blocks marked
`<!-- quickstart: not run (why) -->` are the install, the serving twin and live Entra."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "quickstart.md"
BLOCK = re.compile(r"(<!-- quickstart: not run[^>]*-->\n)?```sh\n(.*?)```", re.S)


def runnable_blocks() -> list[str]:
    return [m[2] for m in BLOCK.finditer(PAGE.read_text()) if not m[1]]


def test_the_page_has_runnable_and_skipped_blocks() -> None:
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(runnable_blocks()) >= 6 and any(skip for skip, _ in blocks)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_quickstart_runs_as_written(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ssoctl"  # the ssoctl under test, whatever the venv's scripts are
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ssoctl "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    script = "set -euo pipefail\n" + "\n".join(runnable_blocks())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SSOCTL_", "GIT_"))},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "Quick Start", "GIT_AUTHOR_EMAIL": "qs@contoso.com",
        "GIT_COMMITTER_NAME": "Quick Start", "GIT_COMMITTER_EMAIL": "qs@contoso.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }  # fmt: skip
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    repo = tmp_path / "sso-contoso"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "tenant.yaml" in tracked and ".gitignore" in tracked
    assert not [f for f in tracked if f.endswith((".key", ".pfx"))], tracked
    out = done.stdout
    assert "[placeholder]" in out and "the docs' example tenant ID" in out  # validate
    assert "placeholder word ACCOUNT" in out and "[no-assignments]" not in out
    assert (repo / "response.xml").exists()
    assert re.search(r"^valid$", out, re.M), out  # assertion verify's verdict
    strict = subprocess.run(
        [str(shim), "validate", "--strict"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert strict.returncode == 1  # CI fails until the placeholders are replaced

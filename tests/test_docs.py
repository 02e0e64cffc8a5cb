"""The documentation site: the CLI reference and the pictures are generated from the
tool and must be fresh, and the site builds in strict mode (a dead link or anchor
fails). Issue 14, item 6."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def script(name: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / name)]


def test_cli_reference_is_fresh(tmp_path: Path) -> None:
    fresh = tmp_path / "cli.md"
    subprocess.run([*script("gen_cli_docs.py"), str(fresh)], cwd=ROOT, check=True)
    committed = (ROOT / "docs" / "cli.md").read_text()
    assert committed == fresh.read_text(), "run: python3 scripts/gen_cli_docs.py"
    assert committed.count("**Examples**") >= 30 and "ssoctl group add-member" in committed


def test_pictures_are_fresh(tmp_path: Path) -> None:
    images = ROOT / "docs" / "img"
    before = {name: (images / name).read_bytes() for name in ("validate.svg", "app-show.svg")}
    try:
        subprocess.run(script("gen_doc_images.py"), cwd=ROOT, check=True, capture_output=True)
        for name, data in before.items():
            assert (images / name).read_bytes() == data, "run: python3 scripts/gen_doc_images.py"
    finally:
        for name, data in before.items():
            (images / name).write_bytes(data)


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="mkdocs is not installed (.[docs])")
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        ["mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    assert (site / "cli" / "index.html").exists() and (site / "img" / "validate.svg").exists()
    assert (site / "schemas" / "app-list.schema.json").exists()

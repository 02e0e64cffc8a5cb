"""`ssoctl check-keys` (the pre-commit hook ssoctl-no-private-keys): a private key is
found by its content, whatever the file is called; a published demo key is allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ROOT, run_cli

EXAMPLE_KEY = ROOT / "examples" / "contoso" / "certs" / "contoso-2026.key"


def test_a_key_under_any_name_is_refused(tmp_path: Path) -> None:
    for name in ("notes.txt", "backup", "cert.pem.bak"):
        target = tmp_path / name
        shutil.copy(EXAMPLE_KEY, target)
        out = run_cli("check-keys", str(target))
        assert out.exit_code == 1, name
        assert f"{target}: holds a private key (BEGIN PRIVATE KEY)" in out.stderr


def test_clean_files_and_the_published_demo_key_pass(tmp_path: Path) -> None:
    clean = tmp_path / "tenant.yaml"
    clean.write_text("version: 1\n")
    out = run_cli(
        "check-keys",
        str(clean),
        str(EXAMPLE_KEY),
        str(ROOT / "examples" / "contoso" / "tenant.yaml"),
    )
    assert out.exit_code == 0, out.stderr
    assert "a published demo key (public_demo_key); allowed" in out.stderr


def test_a_copied_example_key_without_its_marking_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "contoso", tmp_path / "contoso")
    tenant = tmp_path / "contoso" / "tenant.yaml"
    tenant.write_text(tenant.read_text().replace("public_demo_key: true", "public_demo_key: false"))
    out = run_cli("check-keys", str(tmp_path / "contoso" / "certs" / "contoso-2026.key"))
    assert out.exit_code == 1


def test_links_and_missing_files_are_not_followed(tmp_path: Path) -> None:
    link = tmp_path / "link.key"
    link.symlink_to(EXAMPLE_KEY)
    out = run_cli("check-keys", str(link), str(tmp_path / "gone.key"))
    assert out.exit_code == 0

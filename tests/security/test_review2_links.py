"""Second security review, item 2: writes through symbolic links a pull request commits.

Every writer beside a tenant file refuses a link or a non-regular target and stays inside
the tenant's folder; one function in the file layer decides (files.writable). Each test
plants what a pull request could commit, runs the maintainer's routine command, and
checks the file outside is untouched and the command failed with exit 3.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import DATA, NOW, run_cli

MD = DATA / "metadata"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file the maintainer can write, outside the repository."""
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("precious\n")
    victim.chmod(0o600)
    return victim


def _untouched(victim: Path) -> None:
    assert victim.read_text() == "precious\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600


def test_metadata_import_refuses_a_linked_sp_certificate(example: Path, outside: Path) -> None:
    link = example.parent / "certs" / "sp-ringcentral.pem"
    link.symlink_to(outside)
    before = example.read_bytes()
    out = run_cli(
        "metadata", "import", str(MD / "ringcentral-euro.xml"), "--app", "ringcentral",
        "--now", NOW, tenant=example,
    )  # fmt: skip
    assert out.exit_code == 3, out.stderr
    assert "symbolic link" in out.stderr and "sp-ringcentral.pem" in out.stderr
    _untouched(outside)
    assert example.read_bytes() == before and link.is_symlink()


def test_metadata_import_never_reads_a_link_to_dev_zero(example: Path) -> None:
    link = example.parent / "certs" / "sp-ringcentral.pem"
    link.symlink_to("/dev/zero")
    out = run_cli(
        "metadata", "import", str(MD / "ringcentral-euro.xml"), "--app", "ringcentral",
        "--now", NOW, tenant=example,
    )  # fmt: skip
    assert out.exit_code == 3 and "symbolic link" in out.stderr


def test_schema_out_refuses_a_link_and_keeps_its_mode(tmp_path: Path, outside: Path) -> None:
    link = tmp_path / "tenant.schema.json"
    link.symlink_to(outside)
    out = run_cli("schema", "--out", str(link))
    assert out.exit_code == 3 and "symbolic link" in out.stderr
    _untouched(outside)


@pytest.mark.parametrize("name", [".gitignore", "tenant.schema.json"])
def test_init_refuses_a_linked_file_beside_it(tmp_path: Path, outside: Path, name: str) -> None:
    (tmp_path / name).symlink_to(outside)
    tenant = tmp_path / "tenant.yaml"
    out = run_cli(
        "init", "--tenant-id", "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11", "--domain", "c.com",
        tenant=tenant,
    )  # fmt: skip
    assert out.exit_code == 3, out.stderr
    _untouched(outside)
    assert not tenant.exists()


def test_a_linked_certs_folder_cannot_carry_a_new_key_out(example: Path, outside: Path) -> None:
    certs = example.parent / "certs"
    moved = example.parent / "certs-real"
    certs.rename(moved)
    certs.symlink_to(outside.parent, target_is_directory=True)
    # the existing certificate paths still resolve through the link for reading
    for item in moved.iterdir():
        (outside.parent / item.name).write_bytes(item.read_bytes())
        (outside.parent / item.name).chmod(item.stat().st_mode)
    before = sorted(p.name for p in outside.parent.iterdir())
    out = run_cli("cert", "new", "--name", "next", "--now", NOW, tenant=example)
    assert out.exit_code == 3, out.stderr
    assert "outside the tenant's folder" in out.stderr
    assert sorted(p.name for p in outside.parent.iterdir()) == before


def test_a_dangling_link_where_a_new_key_goes_is_refused(example: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.key"
    (example.parent / "certs" / "next.key").symlink_to(target)
    out = run_cli("cert", "new", "--name", "next", "--now", NOW, tenant=example)
    assert out.exit_code in (2, 3), out.stderr
    assert not target.exists()
    assert not (example.parent / "certs" / "next.pem").exists()


@pytest.mark.parametrize(
    "command",
    [
        ("validate", "{tenant}", "--format", "sarif", "--output", "{out}"),
        ("metadata", "export", "--app", "ringcentral", "--out", "{out}", "--now", NOW),
        ("cert", "export", "contoso-2026", "--format", "pem", "--out", "{out}"),
        ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
         "--now", NOW, "--out", "{out}"),
        ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
         "--now", NOW, "--count", "2", "--format", "base64", "--out", "{out}"),
    ],
)  # fmt: skip
def test_every_out_option_refuses_a_link(
    example: Path, outside: Path, command: tuple[str, ...]
) -> None:
    link = example.parent / "report.out"
    link.symlink_to(outside)
    args = [a.format(tenant=example, out=link) for a in command]
    out = run_cli(*args, tenant=example)
    assert out.exit_code == 3, (args, out.stdout, out.stderr)
    assert "symbolic link" in out.stderr
    _untouched(outside)


def test_an_edit_through_a_linked_tenant_file_still_works(example: Path, tmp_path: Path) -> None:
    """The tenant file itself is the one file written through a link: the person named it."""
    link = tmp_path / "linked.yaml"
    link.symlink_to(example)
    out = run_cli("user", "add", "new.person@contoso.com", tenant=link)
    assert out.exit_code == 0, out.stderr
    assert link.is_symlink() and "new.person@contoso.com" in example.read_text()


def test_the_file_layer_check_itself(tmp_path: Path) -> None:
    from ssoctl.errors import OperationError
    from ssoctl.files import writable

    root = tmp_path / "root"
    root.mkdir()
    writable(root / "new.pem", root)
    (root / "sub").mkdir()
    writable(root / "sub" / "deeper" / "new.pem", root)
    os.mkfifo(root / "fifo")
    for bad in (root / "fifo", root / "sub", tmp_path / "x.pem", root / ".." / "x.pem"):
        with pytest.raises(OperationError):
            writable(bad, root)

"""What the house move promised beyond the import contract: init is all or nothing on one
staged set of files, and the core edits are callable without the CLI."""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path

from tests.conftest import TENANT_ID, run_cli


def test_a_failed_init_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("keep me\n")
    (tmp_path / "certs").write_text("a file where the folder would go\n")
    tenant = tmp_path / "tenant.yaml"
    result = run_cli("init", "--tenant-id", TENANT_ID, "--domain", "c.com", tenant=tenant)
    assert result.exit_code == 3, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "certs"]
    assert (tmp_path / ".gitignore").read_text() == "keep me\n"


def test_init_writes_every_file_at_once(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.yaml"
    result = run_cli("init", "--tenant-id", TENANT_ID, "--domain", "c.com", tenant=tenant)
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "certs").iterdir())
    assert names[0] == "pairwise-id.key" and len(names) == 3
    assert run_cli("validate", str(tenant)).exit_code == 0


def test_a_core_edit_runs_without_the_cli(example: Path) -> None:
    from ssoctl import tenant

    new_id = lambda: str(uuid.uuid4())  # noqa: E731
    tenant.edit(example, partial(tenant.add_user, upn="x@contoso.com", new_id=new_id))
    tenant.edit(example, partial(tenant.assign, name="ringcentral", principals=["x@contoso.com"]))
    assert tenant.load(example).model.apps["ringcentral"].assignments[-1] == "x@contoso.com"
    tenant.edit(example, partial(tenant.remove_user, upn="x@contoso.com", cascade=True))
    model = tenant.load(example).model
    assert model.user("x@contoso.com") is None
    assert "x@contoso.com" not in model.apps["ringcentral"].assignments


def test_option_conflicts_are_usage_errors_before_any_file_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tenant.yaml"
    for args, words in (
        (("cert", "import", "--key", "k.pem"), "--key goes with --cert"),
        (("cert", "new", "--years", "1", "--end-date", "2030-01-01"), "not both"),
        (("assertion", "verify", "x.xml"), "--app NAME, --cert PEM"),
        (("idp", "serve", "--tls-cert", "c.pem"), "go together"),
    ):
        result = run_cli(*args, tenant=missing)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)

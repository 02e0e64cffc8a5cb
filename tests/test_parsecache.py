"""The tenant wing's parse memo (ssoctl/tenant/parsecache.py, issue 26): a second read
of the same text skips PyYAML, and nothing but exactly that text, read by exactly this
parser, in the user's own private folder, is ever taken from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from ssoctl import tenant
from ssoctl.errors import InvalidInputError
from ssoctl.tenant import parsecache
from tests.conftest import EXAMPLE


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SSOCTL_NO_CACHE", raising=False)
    return tmp_path / "cache" / "ssoctl" / "parsed"


@pytest.fixture
def tenant_file(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "contoso")
    return tmp_path / "contoso" / "tenant.yaml"


def entries(memo: Path) -> list[Path]:
    return sorted(memo.glob("*.msgpack")) if memo.is_dir() else []


def test_a_second_read_is_the_same_and_skips_pyyaml(memo: Path, tenant_file: Path) -> None:
    first = tenant.load(tenant_file)
    assert len(entries(memo)) == 1
    assert (memo.stat().st_mode & 0o777, entries(memo)[0].stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )
    assert memo.parent.stat().st_mode & 0o777 == 0o700
    second = tenant.load(tenant_file)
    assert second.model == first.model and second.doc == first.doc
    script = (
        "import sys; from pathlib import Path; from ssoctl import tenant; "
        f"tenant.load(Path({str(tenant_file)!r})); print('yaml' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(memo.parent.parent)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.strip() == "False"  # read from the memo: PyYAML never imported
    env["SSOCTL_NO_CACHE"] = "1"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.strip() == "True"


def test_a_changed_text_is_read_again(memo: Path, tenant_file: Path) -> None:
    tenant.load(tenant_file)
    text = tenant_file.read_text().replace("domain: contoso.com", "domain: fabrikam.com", 1)
    assert "fabrikam.com" in text
    tenant_file.write_text(text)
    assert tenant.load(tenant_file).model.tenant.domain == "fabrikam.com"


def test_an_entry_is_used_only_for_its_own_text_and_parser(
    memo: Path, tenant_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tenant_file.read_text()
    tenant.load(tenant_file)
    [entry] = entries(memo)
    stored_text, fingerprint, data = msgspec.msgpack.decode(entry.read_bytes())
    assert stored_text == text.encode() and parsecache.recall(text) == data
    # Another text that lands on the same entry name (a checksum collision) is not it.
    other = dict(data, tenant={**data["tenant"], "domain": "forged.example"})
    entry.write_bytes(msgspec.msgpack.encode([b"something else", fingerprint, other]))
    assert parsecache.recall(text) is None
    assert tenant.load(tenant_file).model.tenant.domain == "contoso.com"
    # Another parser (an upgrade, an edited fastread.py) does not use it either.
    monkeypatch.setattr(parsecache, "_fingerprint", lambda: "another parser")
    assert parsecache.recall(text) is None


@pytest.mark.parametrize("garbage", [b"", b"\xc1", b"\x93\x01\x02", b"x" * 100])
def test_a_corrupt_entry_is_a_miss(memo: Path, tenant_file: Path, garbage: bytes) -> None:
    tenant.load(tenant_file)
    [entry] = entries(memo)
    entry.write_bytes(garbage)
    assert parsecache.recall(tenant_file.read_text()) is None
    assert tenant.load(tenant_file).model.tenant.domain == "contoso.com"


def test_a_folder_others_can_reach_or_own_is_not_used(memo: Path, tenant_file: Path) -> None:
    text = tenant_file.read_text()
    tenant.load(tenant_file)
    memo.chmod(0o755)
    assert parsecache.recall(text) is None
    memo.chmod(0o700)
    memo.parent.chmod(0o777)
    assert parsecache.recall(text) is None
    memo.parent.chmod(0o700)
    assert parsecache.recall(text) is not None
    if os.geteuid() == 0:  # root can hand the folder to someone else
        os.chown(memo, 65534, -1)
        assert parsecache.recall(text) is None
        os.chown(memo, 0, -1)


def test_a_link_is_never_followed(memo: Path, tenant_file: Path, tmp_path: Path) -> None:
    text = tenant_file.read_text()
    tenant.load(tenant_file)
    [entry] = entries(memo)
    elsewhere = tmp_path / "elsewhere.msgpack"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert parsecache.recall(text) is None
    # A linked folder is not used either (it could point anywhere).
    shutil.rmtree(memo)
    (tmp_path / "real").mkdir(mode=0o700)
    memo.symlink_to(tmp_path / "real")
    tenant.load(tenant_file)
    assert parsecache.recall(text) is None and not list((tmp_path / "real").iterdir())


def test_what_the_gate_refuses_is_never_remembered(memo: Path, tenant_file: Path) -> None:
    tenant_file.write_text(tenant_file.read_text() + "extra: &a [1]\nmore: *a\n")
    for _ in range(2):
        with pytest.raises(InvalidInputError, match="anchor"):
            tenant.load(tenant_file)
    assert entries(memo) == []


def test_positions_of_a_remembered_text_are_the_same(memo: Path, tenant_file: Path) -> None:
    """A file that parses but breaks the model is remembered as parsed; its problems
    are located as exactly on the second read (the text is parsed again to locate)."""
    text = tenant_file.read_text().replace("domain: contoso.com", "domain: [1, 2]", 1)
    tenant_file.write_text(text)
    with pytest.raises(InvalidInputError) as first:
        tenant.load(tenant_file)
    assert len(entries(memo)) == 1
    with pytest.raises(InvalidInputError) as second:
        tenant.load(tenant_file)
    assert first.value.render() == second.value.render()
    assert first.value.problems == second.value.problems and first.value.problems


def test_off_and_pruned(memo: Path, tenant_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSOCTL_NO_CACHE", "1")
    tenant.load(tenant_file)
    assert entries(memo) == []
    monkeypatch.delenv("SSOCTL_NO_CACHE")
    monkeypatch.setattr(parsecache, "MAX_ENTRIES", 3)
    text = tenant_file.read_text()
    for n in range(5):
        tenant_file.write_text(text + f"# version {n}\n")
        tenant.load(tenant_file)
    assert len(entries(memo)) == 3


def test_an_unwritable_cache_never_fails_a_command(
    tmp_path: Path, tenant_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert tenant.load(tenant_file).model.tenant.domain == "contoso.com"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the XDG spec
    assert parsecache.folder() is None


def test_large_texts_and_the_folder_are_bounded(
    memo: Path, tenant_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tenant_file.read_text()
    monkeypatch.setattr(parsecache, "MAX_TEXT", len(text.encode()) - 1)
    tenant.load(tenant_file)
    assert entries(memo) == []  # too large to keep
    monkeypatch.setattr(parsecache, "MAX_TEXT", 10 * len(text.encode()))
    tenant.load(tenant_file)
    [one] = entries(memo)
    monkeypatch.setattr(parsecache, "MAX_TOTAL_BYTES", int(one.stat().st_size * 2.5))
    for n in range(4):
        tenant_file.write_text(text + f"# version {n}\n")
        tenant.load(tenant_file)
    assert len(entries(memo)) == 2  # the newest two fit


def test_an_empty_file_is_refused_every_time_and_not_kept(memo: Path, tenant_file: Path) -> None:
    tenant_file.write_text("# nothing but a comment\n")
    for _ in range(2):
        with pytest.raises(InvalidInputError, match="must be a YAML mapping"):
            tenant.load(tenant_file)
    assert entries(memo) == []

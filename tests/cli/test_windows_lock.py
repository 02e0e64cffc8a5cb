"""The edit path on Windows, by simulation: no fcntl, os.name "nt", and a fake kernel32
with named mutexes that behave as Windows documents them (issue 13, item 12)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ssoctl import files, tenant
from ssoctl.errors import OperationError
from ssoctl.tenant import lock
from tests.conftest import run_cli


class FakeKernel32:
    """Named mutexes shared by every thread ("process") of the test."""

    def __init__(self) -> None:
        self.owners: dict[str, int | None] = {}
        self.abandoned: set[str] = set()
        self.log: list[tuple[str, str]] = []
        self.guard = threading.Lock()

    def CreateMutexW(self, _security: Any, _initial: bool, name: str) -> str:
        with self.guard:
            self.owners.setdefault(name, None)
        self.log.append(("create", name))
        return name

    def WaitForSingleObject(self, handle: str, _timeout: int) -> int:
        me = threading.get_ident()
        with self.guard:
            if handle in self.abandoned:
                self.abandoned.discard(handle)
                self.owners[handle] = me
                return lock.WAIT_ABANDONED
            if self.owners[handle] in (None, me):
                self.owners[handle] = me
                self.log.append(("acquire", handle))
                return lock.WAIT_OBJECT_0
            return lock.WAIT_TIMEOUT

    def ReleaseMutex(self, handle: str) -> bool:
        with self.guard:
            assert self.owners[handle] == threading.get_ident()
            self.owners[handle] = None
        self.log.append(("release", handle))
        return True

    def CloseHandle(self, handle: str) -> bool:
        self.log.append(("close", handle))
        return True


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> FakeKernel32:
    kernel32 = FakeKernel32()
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` raises ImportError
    monkeypatch.setattr(lock, "_kernel32", lambda: kernel32)
    # os.name itself stays: pytest and pathlib read it too
    monkeypatch.setattr(files, "on_windows", lambda: True)
    return kernel32


def test_an_edit_takes_and_releases_the_named_mutex(windows: FakeKernel32, example: Path) -> None:
    before = set(example.parent.iterdir())
    out = run_cli("user", "set", "B.Simon@contoso.com", "--surname", "Simons", tenant=example)
    assert out.exit_code == 0, out.stderr
    assert "surname: Simons" in example.read_text()
    name = lock.mutex_name(example)
    assert [event for event, _ in windows.log] == ["create", "acquire", "release", "close"]
    assert {handle for _, handle in windows.log} == {name}
    assert set(example.parent.iterdir()) == before  # no lock file, no temp file left


def test_one_name_per_file_however_it_is_written(example: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(example)
    relative = Path(os.path.relpath(example))
    assert lock.mutex_name(example) == lock.mutex_name(link) == lock.mutex_name(relative)
    assert lock.mutex_name(example) != lock.mutex_name(tmp_path / "other.yaml")
    assert lock.mutex_name(example).startswith("Local\\ssoctl-edit-")


def test_a_held_lock_is_named_then_given_up(
    windows: FakeKernel32, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "NOTICE_AFTER", 0.1)
    held, done = threading.Event(), threading.Event()

    def other_process() -> None:
        with lock.exclusive(example):
            held.set()
            done.wait(10)

    thread = threading.Thread(target=other_process)
    thread.start()
    held.wait(5)
    heard: list[str] = []
    started = time.monotonic()
    with (
        pytest.raises(OperationError, match="another ssoctl process"),
        lock.exclusive(example, heard.append, give_up_after=0.5),
    ):
        pass
    assert 0.5 <= time.monotonic() - started < 5
    assert heard and "waiting for" in heard[0]
    done.set()
    thread.join()


def test_two_edits_at_once_lose_nothing(windows: FakeKernel32, example: Path) -> None:
    def add(upn: str) -> None:
        from ruamel.yaml.comments import CommentedMap

        def change(loaded: tenant.LoadedTenant) -> None:
            entry = CommentedMap({"upn": upn, "object_id": "5e2c8a4b-1f3d-4c6e-9a7b-0d1e2f3a4b5c"})
            entry["object_id"] = f"5e2c8a4b-1f3d-4c6e-9a7b-0d1e2f3a4b{len(upn):02d}"
            time.sleep(0.2)  # stay inside the lock, so the other edit must wait
            loaded.doc["users"].append(entry)

        tenant.edit(example, change)

    threads = [threading.Thread(target=add, args=(f"u{i}{'x' * i}@contoso.com",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = example.read_text()
    assert "u1x@contoso.com" in text and "u2xx@contoso.com" in text


def test_an_abandoned_mutex_is_taken(windows: FakeKernel32, example: Path) -> None:
    windows.abandoned.add(lock.mutex_name(example))
    windows.owners[lock.mutex_name(example)] = -1  # its holder died
    with lock.exclusive(example, give_up_after=0.5):
        pass


def test_no_lock_at_all_is_an_error_not_a_silent_edit(
    monkeypatch: pytest.MonkeyPatch, example: Path
) -> None:
    monkeypatch.setitem(sys.modules, "fcntl", None)
    before = example.read_bytes()
    out = run_cli("user", "set", "B.Simon@contoso.com", "--surname", "X", tenant=example)
    assert out.exit_code == 3 and "no file lock" in out.stderr
    assert example.read_bytes() == before


def test_the_folder_fsync_is_skipped_on_windows(
    windows: FakeKernel32, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = os.open

    def watching_open(path: Any, flags: int, *args: Any) -> int:
        opened.append(str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", watching_open)
    files.write_atomic(tmp_path / "out.txt", b"data")
    assert (tmp_path / "out.txt").read_bytes() == b"data"
    assert str(tmp_path) not in opened  # Windows cannot open a folder to fsync it

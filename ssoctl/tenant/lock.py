"""An exclusive lock for editing a tenant file, taken on the file itself.

No sidecar lock file: nothing lingers in the work tree, and a lock file that someone
replaced by a symlink cannot make ssoctl create or truncate a file elsewhere. The file is
replaced by rename on every save, so after the lock is granted its inode is compared with
the path's: if another process saved in between, the lock is taken again on the new file.

Waiting is bounded and never silent: after `NOTICE_AFTER` seconds the holder is named
(from /proc/locks where the system has it), after `GIVE_UP_AFTER` the command fails with
exit 3 and changes nothing.

Windows has no flock, and a file held open there cannot be replaced by rename, so the
lock cannot sit on the file. There it is a named kernel mutex whose name is derived from
the file's real path: no file on disk either, released by Windows if the process dies
(WAIT_ABANDONED is then a normal acquisition), and the same bounded waiting.
tests/cli/test_windows_lock.py runs that path by simulation (no fcntl, os.name "nt").
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ssoctl.errors import OperationError

NOTICE_AFTER = 1.0
GIVE_UP_AFTER = 30.0
POLL = 0.05


@contextlib.contextmanager
def exclusive(
    path: Path,
    notify: Callable[[str], None] | None = None,
    *,
    give_up_after: float = GIVE_UP_AFTER,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` (a regular file that exists) for an edit."""
    try:
        import fcntl
    except ImportError:
        with _windows_exclusive(path, notify, give_up_after):
            yield
        return
    started = time.monotonic()
    noticed = False
    while True:
        fd = _open(path)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= give_up_after:
                        raise OperationError(
                            f"{path} is locked by {holder(fd)} and was not released within "
                            f"{give_up_after:.0f} s; nothing was changed.",
                            hint="wait for that command to finish, or stop it, then retry.",
                        ) from None
                    if not noticed and waited >= NOTICE_AFTER and notify is not None:
                        notify(f"waiting for {path}: it is being edited by {holder(fd)}...")
                        noticed = True
                    time.sleep(POLL)
            if _same_file(fd, path):
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                return
            fcntl.flock(fd, fcntl.LOCK_UN)  # saved meanwhile: lock the new file
        finally:
            os.close(fd)


WAIT_OBJECT_0 = 0x0
WAIT_ABANDONED = 0x80  # the last holder died holding it: ours now, the file is intact
WAIT_TIMEOUT = 0x102


def _kernel32() -> Any:
    import ctypes

    return ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]


def mutex_name(path: Path) -> str:
    """One name per file, however the path is written (case, symlinks, relative)."""
    import hashlib

    real = os.path.normcase(os.path.realpath(path))
    return "Local\\ssoctl-edit-" + hashlib.sha256(real.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _windows_exclusive(
    path: Path, notify: Callable[[str], None] | None, give_up_after: float
) -> Iterator[None]:
    from ssoctl.files import on_windows

    if not on_windows():  # neither flock nor Windows: say so rather than not lock
        raise OperationError("this system offers no file lock ssoctl can use; nothing changed.")
    os.close(_open(path))  # the same "missing / not a regular file" errors as on POSIX
    kernel32 = _kernel32()
    handle = kernel32.CreateMutexW(None, False, mutex_name(path))
    if not handle:
        raise OperationError(f"cannot create the edit lock for {path}; nothing was changed.")
    try:
        started = time.monotonic()
        noticed = False
        while kernel32.WaitForSingleObject(handle, 0) not in (WAIT_OBJECT_0, WAIT_ABANDONED):
            waited = time.monotonic() - started
            if waited >= give_up_after:
                raise OperationError(
                    f"{path} is being edited by another ssoctl process and was not released "
                    f"within {give_up_after:.0f} s; nothing was changed.",
                    hint="wait for that command to finish, or stop it, then retry.",
                )
            if not noticed and waited >= NOTICE_AFTER and notify is not None:
                notify(f"waiting for {path}: another ssoctl process is editing it...")
                noticed = True
            time.sleep(POLL)
        try:
            yield
        finally:
            kernel32.ReleaseMutex(handle)
    finally:
        kernel32.CloseHandle(handle)


def _open(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise OperationError(
            f"tenant file {path} does not exist.",
            hint="create one with `ssoctl init --tenant-id UUID --domain DOMAIN`, "
            "or point --tenant / $SSOCTL_TENANT at it.",
        ) from None
    except OSError as exc:
        raise OperationError(f"cannot open {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OperationError(f"{path} is not a regular file.")
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def holder(fd: int) -> str:
    """Who holds the lock on the file open as `fd`: 'process 123 (ssoctl user add)' where
    /proc/locks tells, else 'another process'."""
    info = os.fstat(fd)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "another process"
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device:
            pid = fields[4]
            return f"process {pid}{_command(pid)}"
    return "another process"


def _command(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [w.decode("utf-8", "replace") for w in raw.split(b"\0") if w]
    shown = " ".join(os.path.basename(w) if i == 0 else w for i, w in enumerate(words[:4]))
    return f" ({shown})" if shown else ""

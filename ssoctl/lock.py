"""An exclusive lock for editing a tenant file, taken on the file itself.

No sidecar lock file: nothing lingers in the work tree, and a lock file that someone
replaced by a symlink cannot make ssoctl create or truncate a file elsewhere. The file is
replaced by rename on every save, so after the lock is granted its inode is compared with
the path's: if another process saved in between, the lock is taken again on the new file.

Waiting is bounded and never silent: after `NOTICE_AFTER` seconds the holder is named
(from /proc/locks where the system has it), after `GIVE_UP_AFTER` the command fails with
exit 3 and changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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
    except ImportError:  # Windows: no advisory flock; edits still write atomically
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

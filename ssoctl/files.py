"""Reading and writing the files beside a tenant file, so that a failed command leaves
every one of them as it was.

- `read_regular`: a path from a tenant file or a flag may name a FIFO, a device or a huge
  file; only a regular file of bounded size is read.
- `write_atomic`: temp file in the same folder, fsync, rename. A symlink is written
  through (its target is replaced, the link stays a link).
- `Staged`: the key, certificate and SP certificate files a command creates or replaces
  are staged, committed together just before the tenant file is written, and rolled
  back (created files removed, replaced files restored) if anything fails afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ssoctl.errors import OperationError, UsageError

MAX_SMALL_FILE = 1024 * 1024  # a certificate chain or a key is a few KB


def read_regular(path: Path, what: str, limit: int = MAX_SMALL_FILE) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or OperationError (exit 3)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on files).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OperationError(f"{what} {path} is not a regular file.")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise OperationError(f"cannot read {what} {path}: {exc.strerror}.") from None
    if len(data) > limit:
        raise OperationError(f"{what} {path} is larger than {limit:,} bytes.")
    return data


def real_target(path: Path) -> Path:
    """Where writes to `path` must go: through a symlink to its target, so that the link
    stays a link (a rename over the link would replace it with a regular file)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def on_windows() -> bool:
    """The one place that asks (tests simulate Windows by replacing it)."""
    return os.name == "nt"


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable. Some systems (Windows) cannot open a folder: skip there."""
    if on_windows():
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _write_error(path: Path, exc: OSError) -> OperationError:
    reason = exc.strerror or type(exc).__name__
    hint = None
    if exc.errno == errno.ENOSPC:
        hint = "free some disk space and run the command again; nothing was changed."
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the folder's permissions; nothing was changed."
    return OperationError(f"cannot write {path}: {reason}.", hint=hint)


def _temp_beside(path: Path, data: bytes, mode: int) -> str:
    """A fully written, fsynced temp file in `path`'s folder with `mode`; its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp made it 0600; the umask plays no part either way
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Readers see the old file or the new one, never half of one. OSError (a full disk,
    a read-only folder) becomes OperationError, and the old file is untouched."""
    target = real_target(path)
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
    try:
        tmp = _temp_beside(target, data, mode)
        try:
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise _write_error(target, exc) from None
    _fsync_folder(target.parent)


def make_private_folder(folder: Path) -> list[Path]:
    """Create `folder` (and missing parents) with mode 0700 whatever the umask; returns
    the folders created, deepest last, so a rollback can remove them."""
    created: list[Path] = []
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _write_error(path, exc) from None
        os.chmod(path, 0o700)  # the umask may have narrowed it; never widen beyond 0700
        created.append(path)
    return created


@dataclass
class _Change:
    path: Path
    data: bytes
    mode: int
    replace: bool
    before: bytes | None = None  # the replaced file's bytes, for a rollback
    before_mode: int | None = None
    done: bool = False


def _link_new(tmp: str, target: Path, change: _Change) -> None:
    """Give the complete temp file its name, failing if the name is taken. A hard link
    does both atomically; where links are not supported, an exclusive create does."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, change.mode)
        try:
            os.write(fd, change.data)
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class Staged:
    """Files to create or replace together with the tenant file."""

    changes: list[_Change] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def new(self, path: Path, data: bytes, mode: int) -> None:
        """Create `path`; refused if it exists (a key is never overwritten)."""
        if path.exists() or path.is_symlink():
            raise UsageError(
                f"{path} already exists; ssoctl never overwrites a key or certificate.",
                hint="choose another --name, or move the old file away.",
            )
        self.changes.append(_Change(path, data, mode, replace=False))

    def put(self, path: Path, data: bytes, mode: int) -> None:
        """Create or replace `path` (the old content comes back on a rollback)."""
        self.changes.append(_Change(path, data, mode, replace=True))

    def paths(self) -> list[Path]:
        return [change.path for change in self.changes]

    def commit(self) -> None:
        """Write every staged file; on any failure undo what was done and re-raise."""
        try:
            for change in self.changes:
                self.folders += make_private_folder(change.path.parent)
                self._apply(change)
        except BaseException:
            self.rollback()
            raise

    def _apply(self, change: _Change) -> None:
        target = real_target(change.path)
        try:
            if change.replace and target.exists():
                change.before = read_regular(target, "file", 64 * MAX_SMALL_FILE)
                change.before_mode = target.stat().st_mode & 0o777
            tmp = _temp_beside(target, change.data, change.mode)
            try:
                if change.replace:
                    os.replace(tmp, target)
                else:
                    _link_new(tmp, target, change)
            finally:
                with contextlib.suppress(OSError):
                    if not change.replace:
                        os.unlink(tmp)
        except FileExistsError:
            raise UsageError(
                f"{target} already exists; ssoctl never overwrites a key or certificate."
            ) from None
        except OSError as exc:
            raise _write_error(target, exc) from None
        change.done = True
        _fsync_folder(target.parent)

    def rollback(self) -> None:
        """Undo every committed change, newest first; best effort, never raises."""
        for change in reversed(self.changes):
            if not change.done:
                continue
            target = real_target(change.path)
            with contextlib.suppress(OSError, OperationError):
                if change.before is not None:
                    write_atomic(target, change.before, change.before_mode)
                else:
                    os.unlink(target)
            change.done = False
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self.folders = []


class StreamedFile:
    """A file written line by line that appears whole: the lines go to a temp file in
    the target's folder, which replaces the target on `close` (the lines so far) or is
    removed on `discard`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        target = real_target(path)
        try:
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        except OSError as exc:
            raise _write_error(target, exc) from None
        os.chmod(temp, 0o644)  # not fchmod: Windows has no fchmod before Python 3.13
        self._target = target
        self._temp = Path(temp)
        self._file = os.fdopen(handle, "wb")

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            self.discard()
            raise _write_error(self._target, exc) from None

    def close(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self._target)
        except OSError as exc:
            self.discard()
            raise _write_error(self._target, exc) from None

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._temp.unlink()

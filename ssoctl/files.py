"""Reading and writing the files beside a tenant file, so that a failed command leaves
every one of them as it was.

- `read_regular`: a path from a tenant file or a flag may name a FIFO, a device or a huge
  file; only a regular file of bounded size is read.
- `write_atomic`: temp file in the same folder, fsync, rename. It never writes through a
  symbolic link or over anything but a regular file (`writable`), and with `root` it
  stays inside that folder: a pull request can commit `certs/sp-APP.pem` or
  `tenant.schema.json` as a link to any file the maintainer can write. Only the tenant
  file itself, which the person names, is written through a link (`follow_link`).
- `Staged`: the key, certificate and SP certificate files a command creates or replaces
  are staged, committed together just before the tenant file is written, and rolled
  back (created files removed, replaced files restored) if anything fails afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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


def read_beside(path: Path, what: str, limit: int = MAX_SMALL_FILE) -> bytes | None:
    """The bytes of a file ssoctl is about to replace, or None if there is none. A
    symbolic link or anything but a regular file is refused (see `writable`), and the
    read is bounded: a link to /dev/zero must not make a command read forever."""
    writable(path)
    if not os.path.lexists(path):
        return None
    return read_regular(path, what, limit)


def writable(path: Path, root: Path | None = None) -> None:
    """Refuse to write `path` when it is a symbolic link or exists as anything but a
    regular file, or (with `root`) when its real folder lies outside `root`'s real
    folder. The one check every write beside a tenant file goes through."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OperationError(f"cannot inspect {path}: {exc.strerror}.") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise OperationError(
            f"{path} is a symbolic link; ssoctl never writes through a link, because a "
            "link committed to the repository could point at any file you can write.",
            hint="delete the link (or replace it with a regular file) and run the command "
            "again; nothing was changed.",
        )
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OperationError(
            f"{path} exists and is not a regular file; nothing was changed.",
            hint="move it away, or choose another path.",
        )
    if root is not None:
        _inside(path, root)


def _inside(path: Path, root: Path) -> None:
    """The nearest existing folder above `path`, with every link resolved, must be
    `root` (resolved) or below it: a linked `certs/` folder cannot carry a write out."""
    real_root = os.path.realpath(root)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder) and folder != os.path.dirname(folder):
        folder = os.path.dirname(folder)
    real = os.path.realpath(folder)
    if os.path.commonpath([real, real_root]) != real_root:
        raise OperationError(
            f"{path} lies outside the tenant's folder {root} (its folder is really {real}); "
            "ssoctl writes only inside it.",
            hint="keep certificates and keys in a folder beside the tenant file, and do "
            "not link that folder elsewhere.",
        )


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
    import tempfile

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


def write_atomic(
    path: Path,
    data: bytes,
    mode: int | None = None,
    *,
    root: Path | None = None,
    follow_link: bool = False,
) -> None:
    """Readers see the old file or the new one, never half of one. OSError (a full disk,
    a read-only folder) becomes OperationError, and the old file is untouched.

    A symbolic link or a non-regular file at `path` is refused, and with `root` the write
    must stay inside that folder (see `writable`). `follow_link` is for the tenant file
    alone: the person named it, and a linked tenant file is written through to its
    target, so the link stays a link."""
    target = real_target(path) if follow_link else path
    writable(target, root)
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

    root: Path | None = None  # the tenant's folder: nothing is written outside it
    changes: list[_Change] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def new(self, path: Path, data: bytes, mode: int) -> None:
        """Create `path`; refused if it exists (a key is never overwritten)."""
        writable(path, self.root)
        if path.exists() or path.is_symlink():
            raise UsageError(
                f"{path} already exists; ssoctl never overwrites a key or certificate.",
                hint="choose another --name, or move the old file away.",
            )
        self.changes.append(_Change(path, data, mode, replace=False))

    def put(self, path: Path, data: bytes, mode: int) -> None:
        """Create or replace `path` (the old content comes back on a rollback)."""
        writable(path, self.root)
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
        target = change.path
        writable(target, self.root)  # again: the tree may have changed since staging
        try:
            if change.replace:
                change.before = read_beside(target, "file", 64 * MAX_SMALL_FILE)
                if change.before is not None:
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
            target = change.path
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
        target = path
        writable(target)
        try:
            import tempfile

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

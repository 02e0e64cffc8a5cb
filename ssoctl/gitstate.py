"""Is a file committed to git, or ignored by it? Answered by reading the repository's
files (its index and its ignore files) with dulwich, never by running git.

Why not `git check-ignore`: a tenant file can come from a pull request, and so can the
folders its paths point into. Running git in such a folder lets git discover a repository
that the pull request committed (a `HEAD`, `objects/`, `refs/` and a `config` whose
`core.fsmonitor` is a command), read its configuration and run that command. Here the
repository is found only by its `.git` entry, walking up from the tenant file's folder;
git refuses to check out a path named `.git`, so content cannot plant one. Nothing in the
repository is executed: dulwich parses the index and the ignore patterns as data.

A `.git` above the checkout can still be planted by someone else (a shared /tmp, another
user's home). As git does (`safe.directory`), a repository is trusted only when its work
tree and its `.git` belong to the current user, or the user's own git configuration lists
it in `safe.directory`; otherwise the file is treated as in no repository. Every read of
git metadata is a bounded read of a regular file: a `core.excludesFile` that names
/dev/zero, or an index the size of the disk, is not read.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dulwich.ignore import IgnoreFilterManager


@dataclass(frozen=True)
class GitState:
    """Where a file stands in the repository that holds the tenant file."""

    work_tree: Path
    relative: str  # the file's path in the repository, with '/'
    tracked: bool  # in the index: committed or staged
    ignored: bool  # matched by .gitignore, info/exclude or the user's excludes file


MAX_CONFIG = 1024 * 1024  # a config or ignore file is a few KB
MAX_INDEX = 256 * 1024 * 1024  # the index of a very large repository


def _bounded(path: str | Path, limit: int) -> bytes | None:
    """A regular file's bytes, or None (missing, not regular, too large, unreadable)."""
    from ssoctl.errors import OperationError
    from ssoctl.files import read_regular

    try:
        return read_regular(Path(path), "git metadata", limit)
    except OperationError:
        return None


def work_tree(start: Path) -> Path | None:
    """The work tree that holds `start`: the nearest folder with a `.git` entry, when the
    current user may trust it (see `trusted`); else None.

    Bare-repository look-alikes (HEAD, objects/, refs/) are never taken for a repository.
    """
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate if trusted(candidate) else None
    return None


def trusted(tree: Path) -> bool:
    """Git's rule: the work tree and its `.git` are the current user's, or the user's own
    (global or system) git configuration names the tree in `safe.directory`."""
    if not hasattr(os, "geteuid"):  # Windows: no owner ids to compare
        return True
    uid = os.geteuid()
    try:
        owned = os.lstat(tree).st_uid == uid and os.lstat(tree / ".git").st_uid == uid
    except OSError:
        return False
    return owned or _listed_safe(tree)


def _listed_safe(tree: Path) -> bool:
    """`safe.directory` from the places git reads it: never the repository's own config."""
    from dulwich.config import ConfigFile

    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    places = [
        os.environ.get("GIT_CONFIG_GLOBAL") or os.path.expanduser("~/.gitconfig"),
        os.path.join(xdg, "git", "config"),
        os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig",
    ]
    wanted = {str(tree), str(tree) + "/"}
    for place in places:
        data = _bounded(place, MAX_CONFIG)
        if data is None:
            continue
        try:
            config = ConfigFile.from_file(io.BytesIO(data))
            values = list(config.get_multivar((b"safe",), b"directory"))
        except (KeyError, ValueError):
            continue
        for raw in values:
            value = raw.decode("utf-8", "replace")
            if value == "*" or os.path.expanduser(value) in wanted:
                return True
    return False


def _git_dir(tree: Path) -> Path | None:
    """The repository's control folder: `.git`, or where a `.git` file (a linked work
    tree or a submodule) points."""
    dot_git = tree / ".git"
    if dot_git.is_dir():
        return dot_git
    data = _bounded(dot_git, 4096)  # "gitdir: PATH"
    if data is None:
        return None
    text = data.decode("utf-8", "replace")
    first = text.splitlines()[0] if text else ""
    if not first.startswith("gitdir:"):
        return None
    target = Path(first[len("gitdir:") :].strip())
    target = target if target.is_absolute() else tree / target
    return target if target.is_dir() else None


def state(file: Path, tenant_folder: Path) -> GitState | None:
    """The git state of `file`, judged in the repository that holds the tenant file.

    None when the tenant file is in no repository, or `file` lies outside its work tree.
    """
    tree = work_tree(tenant_folder)
    if tree is None:
        return None
    git_dir = _git_dir(tree)
    if git_dir is None:
        return None
    resolved = file.resolve()
    try:
        relative = resolved.relative_to(tree).as_posix()
    except ValueError:
        return None
    index_file = git_dir / "index"
    tracked = relative.encode("utf-8") in _index_paths(str(index_file), _stamp(index_file))
    ignored = bool(_ignore_manager(str(tree), str(git_dir)).is_ignored(relative))
    return GitState(tree, relative, tracked, ignored)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Part of each cache key, so that a changed index is read again."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


@cache
def _index_paths(index_file: str, _stamp: tuple[int, int] | None) -> frozenset[bytes]:
    if _stamp is None:
        return frozenset()  # a repository with nothing staged yet
    import stat

    from dulwich.index import Index

    try:
        info = os.stat(index_file)
    except OSError:
        return frozenset()
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INDEX:
        return frozenset()  # not a regular file, or too large: "not known to be tracked"
    try:
        return frozenset(Index(index_file).paths())
    except Exception:  # an unreadable index means "not known to be tracked"
        return frozenset()


@cache
def _ignore_manager(tree: str, git_dir: str) -> IgnoreFilterManager:
    from dulwich.ignore import IgnoreFilter, IgnoreFilterManager, read_ignore_patterns

    global_filters = []
    for candidate in (os.path.join(git_dir, "info", "exclude"), _user_excludes(git_dir)):
        if candidate is None:
            continue
        data = _bounded(os.path.expanduser(candidate), MAX_CONFIG)
        if data is not None:
            global_filters.append(IgnoreFilter(read_ignore_patterns(io.BytesIO(data))))

    class BoundedIgnores(IgnoreFilterManager):
        """The tree's own .gitignore files are content too: read bounded, links and
        anything but regular files skipped (as dulwich's newer releases do for links)."""

        def _load_path(self, path: str) -> IgnoreFilter | None:
            if path not in self._path_filters:
                where = os.path.join(self._top_path, path, ".gitignore")
                data = None if os.path.islink(where) else _bounded(where, MAX_CONFIG)
                patterns = read_ignore_patterns(io.BytesIO(data)) if data else None
                self._path_filters[path] = (
                    IgnoreFilter(patterns, path=where) if patterns is not None else None
                )
            return self._path_filters[path]

    return BoundedIgnores(tree, global_filters, ignorecase=False)


def _user_excludes(git_dir: str) -> str | None:
    """core.excludesFile from the repository's own config (which lives in the control
    folder, never in the checked-out tree), else git's default user ignore file."""
    from dulwich.config import ConfigFile

    data = _bounded(os.path.join(git_dir, "config"), MAX_CONFIG)
    try:
        if data is not None:
            config = ConfigFile.from_file(io.BytesIO(data))
            value = config.get((b"core",), b"excludesFile")
            return value.decode("utf-8", "replace")
    except (KeyError, ValueError):
        pass
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(xdg, "git", "ignore")

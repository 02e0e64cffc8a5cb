"""Is a file committed to git, or ignored by it? Answered by reading the repository's
files (its index and its ignore files) with dulwich, never by running git.

Why not `git check-ignore`: a tenant file can come from a pull request, and so can the
folders its paths point into. Running git in such a folder lets git discover a repository
that the pull request committed (a `HEAD`, `objects/`, `refs/` and a `config` whose
`core.fsmonitor` is a command), read its configuration and run that command. Here the
repository is found only by its `.git` entry, walking up from the tenant file's folder;
git refuses to check out a path named `.git`, so content cannot plant one. Nothing in the
repository is executed: dulwich parses the index and the ignore patterns as data.
"""

from __future__ import annotations

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


def work_tree(start: Path) -> Path | None:
    """The work tree that holds `start`: the nearest folder with a `.git` entry.

    Bare-repository look-alikes (HEAD, objects/, refs/) are never taken for a repository.
    """
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git_dir(tree: Path) -> Path | None:
    """The repository's control folder: `.git`, or where a `.git` file (a linked work
    tree or a submodule) points."""
    dot_git = tree / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
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
    from dulwich.index import Index

    try:
        return frozenset(Index(index_file).paths())
    except Exception:  # an unreadable index means "not known to be tracked"
        return frozenset()


@cache
def _ignore_manager(tree: str, git_dir: str) -> IgnoreFilterManager:
    from dulwich.ignore import IgnoreFilter, IgnoreFilterManager

    global_filters = []
    for candidate in (os.path.join(git_dir, "info", "exclude"), _user_excludes(git_dir)):
        if candidate is None:
            continue
        try:
            global_filters.append(IgnoreFilter.from_path(os.path.expanduser(candidate)))
        except OSError:
            continue
    return IgnoreFilterManager(tree, global_filters, ignorecase=False)


def _user_excludes(git_dir: str) -> str | None:
    """core.excludesFile from the repository's own config (which lives in the control
    folder, never in the checked-out tree), else git's default user ignore file."""
    from dulwich.config import ConfigFile

    try:
        config = ConfigFile.from_path(os.path.join(git_dir, "config"))
        value = config.get((b"core",), b"excludesFile")
        return value.decode("utf-8", "replace")
    except (OSError, KeyError, ValueError):
        pass
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(xdg, "git", "ignore")

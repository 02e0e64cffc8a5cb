"""A memo of the reading parser: what `fastread.compose` made of a tenant file's exact
text, so that reading the same text again skips importing PyYAML and parsing.

Why: a reading command (`app list`, `app show`) is mostly start-up, and PyYAML's import
alone (~20 ms: its pure-Python reader compiles a large Unicode regex even when libyaml
does the reading) was the largest part left of `ssoctl app list` that is ssoctl's to
cut (issue 26, benchmarks/README.md).

What makes it safe to trust:

- An entry holds the whole text it was made from, and the parser's fingerprint (this
  file's format, ssoctl's version, and the size and time of every file the result
  depends on: fastread.py, textchars.py, PyYAML and libyaml's binding). It is used only
  when both are exactly equal to the text being read and the parser that would read it
  now. A checksum only names the entry; it never decides.
- Only texts the parser accepted are remembered (it runs the gate: characters, anchors,
  depth, size, duplicate keys); what the model then says of the data is decided again
  on every read, never remembered.
- The folder is the user's own (`$XDG_CACHE_HOME/ssoctl` or `~/.cache/ssoctl`, mode
  0700): one owned by someone else, open to others, or a link, is not used. Entries
  are read bounded and decoded by msgspec, which refuses malformed input.
- Any problem (a read-only home, a full disk, a corrupt entry) means "not remembered":
  the text is parsed as if there were no memo. `SSOCTL_NO_CACHE=1` turns it off.

Positions (`file:line:col` for an error) are not remembered: a hit parses the text
again the first time a position is asked for (`LazyPositions`).
"""

from __future__ import annotations

import functools
import os
import stat
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FORMAT = "ssoctl-parse-memo-1"
MAX_ENTRIES = 64  # a few tenant files, each in a few versions
MAX_TEXT = 2 * 1024 * 1024  # a 5,000-user tenant file is well under this; larger: not kept
MAX_ENTRY_BYTES = 4 * MAX_TEXT  # the text and its data
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # the whole folder, newest entries first


def folder() -> Path | None:
    """The memo's folder, or None when it is off or cannot be trusted."""
    if os.environ.get("SSOCTL_NO_CACHE") or not hasattr(os, "geteuid"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None  # the XDG spec: a relative path is invalid and ignored
    return Path(base) / "ssoctl" / "parsed"


def _trusted(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


@functools.cache
def _fingerprint() -> str:
    """The parser that reads texts in this process: a change of any file it depends on
    (an upgrade, or an edit in a checkout) makes every entry unusable. Taken once per
    process, as the parser's code is loaded once."""
    import importlib.machinery

    from ssoctl import __version__

    here = Path(__file__).resolve().parent
    parts = [FORMAT, __version__]
    files = [here / "fastread.py", here.parent / "textchars.py"]
    spec = importlib.machinery.PathFinder.find_spec("yaml")
    if spec is None or not spec.submodule_search_locations:
        return ""  # no PyYAML where it is looked for: remember nothing
    yaml_folder = Path(next(iter(spec.submodule_search_locations)))
    files += sorted(yaml_folder.glob("__init__.py")) + sorted(yaml_folder.glob("_yaml*"))
    for file in files:
        try:
            info = os.stat(file)
        except OSError:
            return ""
        parts.append(f"{file}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


def _entry_path(where: Path, text: bytes) -> Path:
    return where / f"{zlib.crc32(text):08x}-{len(text)}.msgpack"


def recall(text: str) -> Any | None:
    """The plain data the parser made of exactly `text` before, or None."""
    where = folder()
    if where is None or not _trusted(where) or not _trusted(where.parent):
        return None
    encoded = text.encode("utf-8", "surrogatepass")
    path = _entry_path(where, encoded)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                return None
            raw = handle.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_ENTRY_BYTES:
        return None
    import msgspec

    try:
        entry = msgspec.msgpack.decode(raw)
    except msgspec.DecodeError:
        return None
    if (
        not isinstance(entry, list)
        or len(entry) != 3
        or entry[0] != encoded
        or entry[1] != _fingerprint()
        or not entry[1]
    ):
        return None
    return entry[2]


def remember(text: str, data: Any) -> None:
    """Keep what the parser made of `text`. Never fails the command. An empty document
    (None) is not kept: `recall` could not tell it from a miss, and it parses at once."""
    where = folder()
    if where is None or data is None:
        return
    fingerprint = _fingerprint()
    if not fingerprint:
        return
    import msgspec

    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_TEXT:
        return
    try:
        raw = msgspec.msgpack.encode([encoded, fingerprint, data])
    except (TypeError, OverflowError, ValueError):  # an int beyond 64 bits, say
        return
    if len(raw) > MAX_ENTRY_BYTES:
        return
    try:
        # makedirs gives its mode to the last folder only: each of ours is made 0700.
        os.makedirs(where.parent, mode=0o700, exist_ok=True)
        if not os.path.isdir(where):
            os.mkdir(where, mode=0o700)
        if not _trusted(where) or not _trusted(where.parent):
            return
        path = _entry_path(where, encoded)
        temp = where / f".{path.name}.{os.getpid()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            os.replace(temp, path)  # a reader sees the old entry or the new one
        finally:
            if temp.exists():
                temp.unlink()
        _prune(where)
    except OSError:
        return


def _prune(where: Path) -> None:
    """Newest first, entries are kept while there are at most MAX_ENTRIES of them and
    MAX_TOTAL_BYTES in all; the rest go (and anything else in the folder is left)."""
    entries = []
    for item in os.scandir(where):
        if item.name.endswith(".msgpack") and item.is_file(follow_symlinks=False):
            info = item.stat(follow_symlinks=False)
            entries.append((info.st_mtime_ns, info.st_size, item.path))
    entries.sort(reverse=True)
    total = 0
    for index, (_, size, path) in enumerate(entries):
        total += size
        if index >= MAX_ENTRIES or total > MAX_TOTAL_BYTES:
            try:
                os.unlink(path)
            except OSError:
                continue


class LazyPositions:
    """Positions for a text read from the memo: parsed the first time one is asked for
    (an error to locate), with the same parser and the same result as a first read."""

    def __init__(self, text: str, filename: str) -> None:
        self.text, self.filename = text, filename
        self._positions: Any = None

    def position(self, path: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]:
        if self._positions is None:
            from ssoctl.tenant.fastread import compose

            _, self._positions = compose(self.text, self.filename)
        line, col = self._positions.position(path, at_key=at_key)
        return int(line), int(col)

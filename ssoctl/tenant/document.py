"""Load the tenant file (keeping line/col of every value) and save it safely.

Loading uses ruamel.yaml's round-trip loader, which remembers where each key and value
stands, so every schema error is reported as file:line:col plus the key path.

Saving edits that same round-trip document in place, so comments, key order and
quoting of everything a command did not touch survive. The write is atomic (temp file
in the same folder, fsync, rename; through a symlink to its target) and runs under an
exclusive lock on the file itself (see lock.py), with the file re-read under the lock:
two ssoctl processes never lose an update. If anything fails before the rename, the
tenant file and the files staged beside it are as they were.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ssoctl.errors import InvalidInputError, Location, OperationError
from ssoctl.files import Staged
from ssoctl.tenant.model import Tenant, validate

if TYPE_CHECKING:
    from ssoctl.tenant.style import FileStyle, Indent

MAX_TENANT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class SchemaProblem:
    """One schema error, located in the YAML."""

    message: str
    path: str
    line: int
    col: int


class Positions(Protocol):
    def position(self, path: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]: ...


class RoundTripPositions:
    """Positions read from ruamel.yaml's round-trip nodes."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def position(self, path: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]:
        return position(self.doc, list(path), at_key=at_key)


@dataclass
class LoadedTenant:
    """A validated tenant. `doc` is the round-trip document when loaded for an edit,
    plain data otherwise; `positions` answers line:col either way."""

    path: Path
    text: str
    doc: Any
    model: Tenant
    positions: Positions
    files: Staged = field(default_factory=Staged)  # files to write with this edit
    style: FileStyle | None = None  # the file's own style, for an edit (see style.py)
    # Values computed from this version of the file (the loaded keyring), reused while
    # the object lives: one command, or the twin until the file changes.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path written in the tenant file is relative to the file's folder."""
        return _resolved(str(self.folder), relative)

    def beside(self, relative: str) -> Path:
        """Where to write a file the tenant file names (`certs/NAME.pem`): the path as
        written, links not followed, and never outside the tenant's folder (the file
        layer refuses a link or a folder that leads out; see files.writable)."""
        import os

        joined = os.path.normpath(os.path.join(self.folder, relative))
        folder = os.path.normpath(self.folder)
        if os.path.commonpath([os.path.abspath(joined), os.path.abspath(folder)]) != (
            os.path.abspath(folder)
        ):
            raise OperationError(
                f"{relative} lies outside the tenant's folder {self.folder}; ssoctl writes "
                "only inside it.",
                hint="name certificates and keys by paths inside the tenant's folder.",
            )
        return Path(joined)

    def locate(self, *path: str | int) -> Location:
        line, col = self.positions.position(path)
        return Location(str(self.path), line, col, dotted(path))


@functools.lru_cache(maxsize=1024)
def _resolved(folder: str, relative: str) -> Path:
    """Resolving walks every component with lstat; the twin asks the same few paths per
    sign-in. A symlink retargeted while a process runs keeps its old resolution, which is
    harmless for one command and documented for the twin (restart it)."""
    return (Path(folder) / relative).resolve()


def _yaml(indent: Indent | None = None) -> Any:
    from ruamel.yaml import YAML  # only edits need the round-trip loader (start-up)

    from ssoctl.tenant.style import Indent

    indent = indent or Indent()
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.width = 4096  # never re-wrap long URLs
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return yaml


def read_text(path: Path) -> str:
    from ssoctl.files import read_regular

    if not path.exists():
        raise OperationError(
            f"tenant file {path} does not exist.",
            hint="create one with `ssoctl init --tenant-id UUID --domain DOMAIN`, "
            "or point --tenant / $SSOCTL_TENANT at it.",
        )
    try:
        data = read_regular(path, "tenant file", MAX_TENANT_BYTES)
    except OperationError as exc:
        if "larger than" in exc.message:
            raise OperationError(
                f"{path} is larger than {MAX_TENANT_BYTES:,} bytes, the most a tenant file may be.",
                hint="point --tenant at the right file.",
            ) from None
        raise
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path} is not UTF-8 text (byte {exc.start}).", hint="save the file as UTF-8."
        ) from None


def parse_yaml(text: str, filename: str) -> Any:
    """Parse YAML text into a round-trip document. Syntax and duplicate keys are errors."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from ssoctl.tenant.fastread import DUPLICATE_HINT, marked_error, syntax_error

    try:
        doc = _yaml().load(text)
    except DuplicateKeyError as exc:
        key = (exc.problem or "").split('"')[1] if '"' in (exc.problem or "") else "a key"
        raise marked_error(
            f"duplicate key {key!r}.", exc.problem_mark, filename, DUPLICATE_HINT
        ) from None
    except MarkedYAMLError as exc:
        raise syntax_error(exc, filename) from None
    except YAMLError as exc:
        raise InvalidInputError(f"YAML error: {exc}", location=Location(filename)) from None
    if not isinstance(doc, CommentedMap):
        raise _not_a_mapping(filename)
    return doc


def to_plain(node: Any) -> Any:
    """Round-trip nodes to plain dict/list/str for validation."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def position(
    doc: Any, path: tuple[str | int, ...] | list[str | int], *, at_key: bool = False
) -> tuple[int, int]:
    """1-based (line, col) of the deepest node on `path` that exists in the document.

    A scalar points at its value, a container (or, with `at_key`, the last key) at its key.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line, col = 1, 1
    node = doc
    for index, part in enumerate(path):
        if isinstance(node, CommentedMap) and part in node:
            last = index == len(path) - 1
            is_leaf = not isinstance(node[part], (CommentedMap, CommentedSeq))
            is_leaf = is_leaf and not (at_key and last)
            ln, cl = node.lc.value(part) if is_leaf else node.lc.key(part)
            line, col = ln + 1, cl + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            ln, cl = node.lc.item(part)
            line, col = ln + 1, cl + 1
            node = node[part]
        else:
            break
    return line, col


def dotted(path: tuple[str | int, ...] | list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problems(data: Any, positions: Positions) -> tuple[Tenant | None, list[SchemaProblem]]:
    """Validate plain data; every problem with its key path and position."""
    model, problems = validate(data)
    located = []
    for problem in problems:
        line, col = positions.position(problem.path, at_key=problem.at_key)
        located.append(
            SchemaProblem(problem.message + ".", dotted(problem.path) or "(top)", line, col)
        )
    return model, located


def load(path: Path) -> LoadedTenant:
    """Read, parse and validate a tenant file for reading (fast loader; see fastread.py).
    Raises InvalidInputError with all problems."""
    return load_text(read_text(path), path)


def load_text(text: str, path: Path) -> LoadedTenant:
    from ssoctl.tenant import parsecache

    data: Any = parsecache.recall(text)
    positions: Positions
    if data is not None:  # this exact text, read before by this exact parser
        positions = parsecache.LazyPositions(text, str(path))
    else:
        from ssoctl.tenant.fastread import compose

        data, positions = compose(text, str(path))
        parsecache.remember(text, data)
    if not isinstance(data, dict):
        raise _not_a_mapping(str(path))
    return _validated(text, path, data, data, positions)


def load_roundtrip(text: str, path: Path) -> LoadedTenant:
    """Load for an edit: the document keeps comments, order, quoting and the file's style,
    and each comment is owned by the entry it describes (see comments.py). The fast
    loader judges the text first (depth, alias expansion), so ruamel.yaml never sees a
    bomb; its data also confirms that reading tabs as spaces changed no value."""
    from ssoctl.tenant import style as filestyle
    from ssoctl.tenant.comments import own_comments
    from ssoctl.tenant.fastread import compose

    data, _ = compose(text, str(path))
    source, style = filestyle.split(text)
    doc = parse_yaml(source, str(path))
    if style.tabs and to_plain(doc) != data:  # a tab inside a quoted value
        source, style = filestyle.split(text, tabs=False)
        doc = parse_yaml(source, str(path))
    style = filestyle.completed(style, doc, source, "")
    refused, footer = own_comments(doc, source, lambda d: _ruamel_text(d, style.indent))
    if refused is not None:
        raise OperationError(
            f"ssoctl cannot tell which entry each comment in {path.name} belongs to "
            f"({refused}), so an edit could move or delete another entry's comment; "
            "nothing was written.",
            location=Location(str(path)),
            hint="make the edit by hand, or move comments out of flow collections ([...]) "
            "onto their own lines; then run the command again.",
        )
    style = filestyle.completed(style, doc, source, _ruamel_text(doc, style.indent) + footer)
    style = replace(style, footer=footer)
    loaded = _validated(text, path, doc, to_plain(doc), RoundTripPositions(doc))
    loaded.style = style
    return loaded


def _not_a_mapping(filename: str) -> InvalidInputError:
    return InvalidInputError(
        "the tenant file must be a YAML mapping with version, tenant, users, groups, apps.",
        location=Location(filename, 1, 1),
        hint="start from `ssoctl init` or examples/contoso/tenant.yaml.",
    )


def _validated(text: str, path: Path, doc: Any, data: Any, positions: Positions) -> LoadedTenant:
    model, problems = schema_problems(data, positions)
    if model is None:
        first = problems[0]
        raise InvalidInputError(
            f"the tenant file is not valid ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}).",
            problems=[f"{path}:{p.line}:{p.col}: {p.path}: {p.message}" for p in problems],
            location=Location(str(path), first.line, first.col),
            hint="fix each listed key; `ssoctl schema` prints the full schema.",
        )
    return LoadedTenant(
        path=path,
        text=text,
        doc=doc,
        model=model,
        positions=positions,
        files=Staged(root=path.parent),
    )


def dump(doc: Any, style: FileStyle | None = None) -> str:
    """The document as text, in the file's own style when one is given. Lines kept from
    the file must read as the same data as the document; if they ever do not, the text
    is ruamel.yaml's own (with the file's line endings)."""
    from ssoctl.tenant.comments import prune

    prune(doc)
    text = _ruamel_text(doc, style.indent if style else None)
    if style is None:
        return text
    text += style.footer
    styled = style.apply(text)
    if styled != style.apply(text, keep_lines=False) and not _same_data(styled, doc):
        return style.apply(text, keep_lines=False)
    return styled


def _same_data(text: str, doc: Any) -> bool:
    from ssoctl.tenant.fastread import compose

    try:
        data, _ = compose(text, "(edited)")
    except InvalidInputError:
        return False
    return bool(data == to_plain(doc))


def _ruamel_text(doc: Any, indent: Indent | None) -> str:
    out = io.StringIO()
    _yaml(indent).dump(doc, out)
    return out.getvalue()

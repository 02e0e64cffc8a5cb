"""Give every full-line comment in a round-trip YAML document to the entry it precedes.

ruamel.yaml stores a comment line where the scanner met it: full-line comments that
follow a value are glued to that value's end-of-line comment, however deep it sits. So
removing `- group:Sales` also removed the comment that introduces the next app, and
removing an app left its own comment above the next one. People read a comment as
belonging to what comes after it (and a trailing comment to its own line), so that is
the model here:

- a full-line comment (and the blank lines around it) belongs to the next entry in the
  file, a mapping key or a list item, the outermost one if several start on that line;
- an end-of-line comment stays with its line;
- comments before the first key are the file's header, comments after the last entry
  its footer; neither moves. The footer is kept out of the document (in the file's
  style) and written after it, so removing the last entry never takes it along.

`own_comments` re-homes the comments of a freshly loaded document accordingly. Deleting
an entry then deletes exactly its own comments, because they are stored with it.

Each re-homed line is checked against the source text, and the whole document must dump
to the same text before and after; if ruamel ever stores a comment in a way this module
does not understand, `own_comments` says why and the edit is refused (never a silent
fallback to ruamel's placement, which deletes or moves other entries' comments).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

Container = CommentedMap | CommentedSeq


class _Unexpected(Exception):
    """A comment whose position cannot be confirmed in the source text."""


@dataclass(frozen=True)
class _Line:
    """One full line of the source that is a comment or blank: its number, its text."""

    number: int
    text: str  # without the newline; "" for a blank line

    def token(self) -> CommentToken:
        if not self.text.strip():
            return CommentToken("\n", CommentMark(0))
        stripped = self.text.lstrip()
        return CommentToken(stripped + "\n", CommentMark(len(self.text) - len(stripped)))


def own_comments(
    doc: CommentedMap, text: str, dump: Callable[[Any], str]
) -> tuple[str | None, str]:
    """Re-home the comments of `doc` (loaded from `text`) to their owners, in place, and
    take the footer (comment and blank lines after the last entry) out of the document.
    Returns (why not, footer): when the result cannot be confirmed, the reason, with `doc`
    unchanged; the caller refuses the edit then, because ruamel's own placement would
    move or delete comments that belong to other entries."""
    before = dump(doc)
    saved = _snapshot(doc)
    try:
        footer = _rehome(doc, text.splitlines())
    except _Unexpected as exc:
        _restore(saved)
        return str(exc), ""
    if dump(doc) + footer != before:
        _restore(saved)
        return "re-homing the comments would change the file's text", ""
    return None, footer


def prune(doc: Any) -> None:
    """Drop the comments of mapping keys that were deleted: ruamel keeps them, and would
    give them back to a key of the same name added later."""
    for container in _containers(doc):
        if isinstance(container, CommentedMap):
            for key in [k for k in container.ca.items if k not in container]:
                del container.ca.items[key]


def _containers(node: Any) -> Iterator[Container]:
    if isinstance(node, (CommentedMap, CommentedSeq)):
        yield node
        for child in node.values() if isinstance(node, CommentedMap) else node:
            yield from _containers(child)


def _is_flow(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and bool(node.fa.flow_style())


def _entries(doc: CommentedMap) -> list[tuple[int, Container, Any]]:
    """Every mapping key and list item as (line, container, key), in document order. A
    flow collection (`[a, b]`, `{k: v}`) is one value: its items own no comment lines."""
    out: list[tuple[int, Container, Any]] = []

    def visit(node: Any) -> None:
        if _is_flow(node):
            return
        if isinstance(node, CommentedMap):
            for key, child in node.items():
                out.append((node.lc.key(key)[0], node, key))
                visit(child)
        elif isinstance(node, CommentedSeq):
            for index, child in enumerate(node):
                out.append((node.lc.item(index)[0], node, index))
                visit(child)

    visit(doc)
    out.sort(key=lambda entry: entry[0])  # stable: the outer entry stays first on a line
    return out


def _rehome(doc: CommentedMap, source: list[str]) -> str:
    """Re-home every comment line; returns the footer's text."""
    lines: dict[int, _Line] = {}
    for container in _containers(doc):
        ca = container.ca
        if _is_flow(container):
            # ruamel keeps a copy of the comment after `]` here as well as in the parent's
            # end-of-line slot, which is the one this module re-homes. A comment between
            # the brackets has no entry to belong to: refused, not guessed.
            if any(slot is not None for slots in ca.items.values() for slot in slots):
                raise _Unexpected("a comment inside a flow collection ([...] or {...})")
            continue
        if container is not doc and ca.comment:
            _take_list(ca.comment[1], source, lines)
            ca.comment[1] = None
        if container is not doc and ca.end:
            _take_list(ca.end, source, lines)
            ca.end = []
        for slots in ca.items.values():
            eol = 2 if isinstance(container, CommentedMap) else 0
            for index, slot in enumerate(slots):
                if slot is None:
                    continue
                if isinstance(slot, list):
                    _take_list(slot, source, lines)
                    slots[index] = None
                elif index == eol:
                    slots[index] = _take_eol(slot, source, lines)
                else:
                    raise _Unexpected(f"comment in slot {index}")
    entries = _entries(doc)
    if not entries:
        return ""
    starts = [entry[0] for entry in entries]
    owned: dict[tuple[int, Any], list[_Line]] = {}
    footer: list[_Line] = []
    for number in sorted(lines):
        at = bisect.bisect_right(starts, number)
        if at == len(entries):
            footer.append(lines[number])
            continue
        _, container, key = entries[at]
        owned.setdefault((id(container), key), []).append(lines[number])
    by_id = {id(entry[1]): entry[1] for entry in entries}
    for (container_id, key), own in owned.items():
        container = by_id[container_id]
        slots = container.ca.items.setdefault(key, [None, None, None, None])
        slots[1] = [line.token() for line in own]
    return "".join(line.text + "\n" for line in footer)


def _take_list(tokens: list[CommentToken] | None, source: list[str], out: dict[int, _Line]) -> None:
    """A list of full-line comment tokens (pre-comments, end comments)."""
    for token in tokens or []:
        line = token.start_mark.line
        segments = token.value.split("\n")
        if segments and segments[-1] == "":
            segments.pop()
        for offset, segment in enumerate(segments):
            _confirm(line + offset, segment, source, out)


def _take_eol(token: CommentToken, source: list[str], out: dict[int, _Line]) -> Any:
    """An end-of-line slot: keep the comment on the content line, collect the full lines
    ruamel glued after it. Returns what stays in the slot (None when nothing does)."""
    segments = token.value.split("\n")
    if segments and segments[-1] == "":
        segments.pop()
    line, column = token.start_mark.line, token.start_mark.column
    first = segments[0] if segments else ""
    on_content_line = (
        bool(first.strip()) and line < len(source) and bool(source[line][:column].strip())
    )
    if on_content_line:
        keep: Any = CommentToken(first + "\n", token.start_mark)
        base = line
    else:
        keep = None
        # the value starts with the content line's newline; the first comment in it is at
        # the token's line
        first_comment = next((i for i, s in enumerate(segments) if s.strip()), None)
        base = line - first_comment if first_comment is not None else line
        if first.strip():
            raise _Unexpected("full-line comment in an end-of-line slot without a newline")
    for offset, segment in enumerate(segments[1:], start=1):
        _confirm(base + offset, segment, source, out)
    return keep


def _confirm(number: int, segment: str, source: list[str], out: dict[int, _Line]) -> None:
    if not 0 <= number < len(source):
        raise _Unexpected(f"line {number} outside the file")
    actual = source[number]
    if segment.strip() != actual.strip() or (
        actual.strip() and not actual.lstrip().startswith("#")
    ):
        raise _Unexpected(f"line {number} is not the comment ruamel reports")
    out[number] = _Line(number, actual.rstrip("\r"))


def _snapshot(doc: CommentedMap) -> list[tuple[Container, Any, Any, dict[Any, list[Any]]]]:
    return [
        (
            c,
            list(c.ca.comment) if c.ca.comment else c.ca.comment,
            list(c.ca.end) if c.ca.end else c.ca.end,
            {k: list(v) for k, v in c.ca.items.items()},
        )
        for c in _containers(doc)
    ]


def _restore(saved: list[tuple[Container, Any, Any, dict[Any, list[Any]]]]) -> None:
    for container, comment, end, items in saved:
        container.ca.comment = comment
        container.ca.end = end
        container.ca.items.clear()
        container.ca.items.update(items)

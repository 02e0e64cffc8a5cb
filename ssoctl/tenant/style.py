"""The hand-written style of a tenant file, read before an edit and given back after it.

ruamel.yaml keeps comments, key order and quoting, but it writes its own line endings,
drops a byte order mark, uses one indentation for the whole file and refuses a tab
before a comment (which YAML and `validate` accept). An edit must change only what it
changes, so the file's own choices are detected here and re-applied to the dumped text:

- CRLF line endings stay CRLF (the first line ending decides);
- a UTF-8 byte order mark stays;
- every line the edit did not change is given back exactly as the file had it: its
  indentation, spacing, a tab before its comment. The new document is dumped, its lines
  are aligned (difflib) with a dump of the unchanged document, and each line in an
  unchanged run is replaced by the file's own line. The caller checks that the result
  still reads as the same data (tenant.dump) and falls back to ruamel's text otherwise;
- new lines use the indentation the file uses most (width, and where the `-` sits);
- a tab between a value and its comment, which ruamel.yaml's scanner refuses, is read as
  spaces of the same width, so every column stays where it was.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

BOM = "\ufeff"

# value, then whitespace containing a tab, then a comment: `key: value\t# why`
_TAB_BEFORE_COMMENT = re.compile(r"^(?P<body>.*\S)(?P<gap>[ \t]*\t[ \t]*)(?P<comment>#.*)$")


@dataclass(frozen=True)
class Indent:
    mapping: int = 2
    sequence: int = 4  # columns from the parent key to an item's content
    offset: int = 2  # columns from the parent key to the `-`


@dataclass(frozen=True)
class FileStyle:
    newline: str = "\n"
    bom: bool = False
    indent: Indent = Indent()
    original: tuple[str, ...] = ()  # the file's lines, as written (LF, no BOM)
    baseline: tuple[str, ...] = ()  # the same lines as ruamel.yaml writes them
    tabs: bool = False  # a tab before a comment was read as spaces
    # Comment and blank lines after the last entry: the file's, not any entry's, so they
    # are written after the document whatever an edit removes (see comments.py).
    footer: str = ""

    def apply(self, dumped: str, *, keep_lines: bool = True) -> str:
        """The dumped text in this file's style; `keep_lines=False` only restores line
        endings and the BOM."""
        text = dumped
        if keep_lines and self.original and len(self.original) == len(self.baseline):
            lines = text.split("\n")
            matcher = SequenceMatcher(None, self.baseline, lines, autojunk=False)
            kept: set[int] = set()
            for at_old, at_new, size in matcher.get_matching_blocks():
                lines[at_new : at_new + size] = self.original[at_old : at_old + size]
                kept.update(range(at_new, at_new + size))
            for index in set(range(len(lines))) - kept:
                lines[index] = _like_sibling(lines, index)
            text = "\n".join(lines)
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return (BOM + text) if self.bom else text


def split(text: str, *, tabs: bool = True) -> tuple[str, FileStyle]:
    """The text ruamel.yaml should parse (LF, no BOM, tabs before comments as spaces),
    and the style to give back. Column numbers are unchanged, so positions still point
    at the file as the user sees it."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    newline = "\r\n" if _first_newline(text) == "\r\n" else "\n"
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    original = tuple(text.split("\n"))
    spaced = False
    if tabs and "\t" in text:
        lines = list(original)
        for index, line in enumerate(lines):
            match = _TAB_BEFORE_COMMENT.match(line) if "\t" in line else None
            # a `#` after an open quote is inside the value (tenant.load_roundtrip also
            # checks that the data did not change)
            if match and match["body"].count('"') % 2 == 0 and match["body"].count("'") % 2 == 0:
                lines[index] = match["body"] + " " * len(match["gap"]) + match["comment"]
                spaced = True
        text = "\n".join(lines)
    return text, FileStyle(newline=newline, bom=bom, original=original, tabs=spaced)


def completed(style: FileStyle, doc: Any, source: str, baseline: str) -> FileStyle:
    """`style` with what needs the parsed document: the indentation `doc` (parsed from
    `source`) uses most, and `baseline`, the unchanged document as ruamel.yaml dumps it."""
    return replace(
        style,
        indent=detect_indent(doc, source.split("\n")),
        baseline=tuple(baseline.split("\n")),
    )


def detect_indent(doc: Any, lines: list[str]) -> Indent:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()

    def block(node: Any) -> bool:
        return not node.fa.flow_style()

    def visit(node: Any, parent_col: int | None) -> None:
        if isinstance(node, CommentedMap):
            for key, child in node.items():
                _, col = node.lc.key(key)
                if parent_col is not None and block(node) and key == next(iter(node)):
                    mappings[col - parent_col] += 1
                if isinstance(child, CommentedSeq) and block(child) and len(child):
                    item_line, item_col = child.lc.item(0)
                    dash = (
                        lines[item_line].rfind("-", 0, item_col) if item_line < len(lines) else -1
                    )
                    if dash >= col:
                        sequences[(item_col - col, dash - col)] += 1
                visit(child, col)
        elif isinstance(node, CommentedSeq):
            for index, child in enumerate(node):
                visit(child, node.lc.item(index)[1] if isinstance(child, CommentedSeq) else None)

    visit(doc, None)
    mapping = mappings.most_common(1)[0][0] if mappings else 2
    sequence, offset = sequences.most_common(1)[0][0] if sequences else (mapping + 2, mapping)
    if mapping < 1 or sequence < offset + 2:
        return Indent()
    return Indent(mapping=mapping, sequence=sequence, offset=offset)


_ITEM = re.compile(r"^(?P<dash> *-)(?P<gap> +)(?P<value>\S.*)$")


def _like_sibling(lines: list[str], index: int) -> str:
    """A new one-line list item written like the item beside it (`- x` among `- y`,
    where the file's most common style would give `-   x`)."""
    item = _ITEM.match(lines[index])
    if item is None:
        return lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if len(following) - len(following.lstrip(" ")) > len(item["dash"]) and following.strip():
        return lines[index]  # the item goes on below: its gap sets their indentation
    for other in (index - 1, index + 1):
        sibling = _ITEM.match(lines[other]) if 0 <= other < len(lines) else None
        if sibling is not None and sibling["dash"] == item["dash"]:
            return item["dash"] + sibling["gap"] + item["value"]
    return lines[index]


def _first_newline(text: str) -> str:
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"

"""Fast read-only YAML loading with the position of every key and value.

Commands that only read the tenant file (and `validate` over hundreds of files) use
libyaml's C composer through PyYAML: ~30x faster than ruamel.yaml's round-trip loader,
which stays the tool for edits (it keeps comments). Scalars are resolved as YAML 1.2's
core schema does, like ruamel.yaml, so `on`/`yes` stay strings and both loaders agree.
Duplicate keys are errors here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from ssoctl.errors import InvalidInputError, Location

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)$|0o[0-7]+$|0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {
    ".inf": float("inf"),
    "+.inf": float("inf"),
    "-.inf": float("-inf"),
    ".nan": float("nan"),
}
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[str | int, ...]


class NodePositions:
    """1-based positions from a composed node tree, same rules as the round-trip one:
    a scalar points at its value, a container (or, with `at_key`, the last key) at its key."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def position(self, path: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]:
        line, col = 1, 1
        node = self.root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if _scalar(k) == part), None)
                if pair is None:
                    break
                key, value = pair
                leaf = isinstance(value, yaml.ScalarNode) and not (at_key and last)
                mark = value.start_mark if leaf else key.start_mark
                line, col = mark.line + 1, mark.column + 1
                node = value
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                node = node.value[part]
                line, col = node.start_mark.line + 1, node.start_mark.column + 1
            else:
                break
        return line, col


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return None
    text = node.value
    if node.style in ("'", '"', "|", ">"):
        return text  # quoted or block scalars are strings
    if node.tag != "tag:yaml.org,2002:str" and not node.style:
        if text in ("", "~", "null", "Null", "NULL"):
            return None
        if text in ("true", "True", "TRUE"):
            return True
        if text in ("false", "False", "FALSE"):
            return False
        if _INT.match(text):
            return int(text, 0) if text.startswith(("0o", "0x")) else int(text)
        if text.lower() in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[text.lower()]
        if _FLOAT.match(text) and any(c.isdigit() for c in text):
            return float(text)
    return text


def _construct(node: yaml.Node, filename: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, filename)
            if isinstance(key, (dict, list)):
                raise _error("a mapping key must be a plain value", key_node, filename)
            if key in out:
                raise marked_error(
                    f"duplicate key {key!r}.", key_node.start_mark, filename, DUPLICATE_HINT
                )
            out[key] = _construct(value_node, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, filename) for item in node.value]
    return _scalar(node)


def _location(node: yaml.Node, filename: str) -> Location:
    return Location(filename, node.start_mark.line + 1, node.start_mark.column + 1)


def _error(message: str, node: yaml.Node, filename: str) -> InvalidInputError:
    return InvalidInputError(message + ".", location=_location(node, filename))


DUPLICATE_HINT = "each key may appear once in a mapping; remove or merge the repeated one."


def marked_error(message: str, mark: Any, filename: str, hint: str) -> InvalidInputError:
    """An error at a parser mark (PyYAML's or ruamel.yaml's: both are 0-based)."""
    return InvalidInputError(
        message,
        location=Location(
            filename, mark.line + 1 if mark else None, mark.column + 1 if mark else None
        ),
        hint=hint,
    )


# What a parser's context names, and how to close it.
LEFT_OPEN = {
    "flow sequence": ("a list opened with '['", "close it with ']'"),
    "flow mapping": ("a mapping opened with '{'", "close it with '}'"),
    "quoted scalar": ("a quoted value", "close the quote"),
}


def syntax_error(exc: Any, filename: str) -> InvalidInputError:
    """A MarkedYAMLError (from either YAML library) as ssoctl's error. A construct left
    open (a '[', a '{', a quote) is reported where it began, where the person can see it,
    not where the parser gave up (often past the last line)."""
    problem = exc.problem or exc.context or "invalid YAML"
    context = str(exc.context or "")
    opened = next((v for k, v in LEFT_OPEN.items() if k in context), None)
    start, end = exc.context_mark, exc.problem_mark
    if opened is not None and start is not None and (end is None or end.line > start.line):
        what, fix = opened
        return marked_error(
            f"YAML syntax error: {what} here is never closed ({problem}).",
            start,
            filename,
            f"{fix}, or write the value on one line.",
        )
    return marked_error(
        f"YAML syntax error: {problem}.",
        end or start,
        filename,
        "fix the indentation or quoting at that position.",
    )


MAX_DEPTH = 64  # a tenant file nests about 6 deep

ALIAS_HINT = (
    "write the value out in each place: a tenant file may not share nodes, because an "
    "edit of one app would silently change every other that uses the anchor."
)


def check_text(text: str, filename: str) -> None:
    """The gate in front of both YAML parsers; every tenant file and every edited text
    passes it before either parser sees it.

    - Characters the parsers (or a reviewer's diff) read differently are refused, so
      both parsers, and the person reviewing a pull request, see the same document
      (see textchars.py).
    - Anchors and aliases are refused: a shared node makes an edit of one entry change
      another (`two: {assignments: *team}`), and refusing them also ends alias bombs.
    - Nesting deeper than MAX_DEPTH is refused before anything recursive runs.
      libyaml's parser keeps its own stack, so walking its events is safe at any depth;
      its composer (and any recursive walk in Python) is not: 30,000 levels crashed the
      process and 500 raised RecursionError.
    """
    from ssoctl.textchars import first_hidden

    hidden = first_hidden(text)
    if hidden is not None:
        line, col, what = hidden
        raise InvalidInputError(
            f"the file contains {what}; a tenant file may not hold it, because YAML "
            "parsers, editors and diff viewers do not agree on what it means.",
            location=Location(filename, line, col),
            hint="delete the character (it may be invisible in your editor) or, inside a "
            'quoted value, write it as an escape such as "\\u0085".',
        )
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            anchor = getattr(event, "anchor", None)  # node events and aliases carry one
            if anchor:
                alias = isinstance(event, yaml.AliasEvent)
                raise marked_error(
                    f"{'an alias (*' if alias else 'an anchor (&'}{anchor}) is not allowed "
                    "in a tenant file.",
                    event.start_mark,
                    filename,
                    ALIAS_HINT,
                )
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise marked_error(
                        f"the YAML nests more than {MAX_DEPTH} levels deep.",
                        event.start_mark,
                        filename,
                        "a tenant file nests about 6 levels; check the brackets and indentation.",
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise syntax_error(exc, filename) from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"YAML error: {exc}", location=Location(filename)) from None


def compose(text: str, filename: str) -> tuple[Any, NodePositions]:
    """Plain data and positions; syntax errors and duplicate keys as InvalidInputError.
    Also the gate for the round-trip loader: characters, aliases and depth (check_text)."""
    check_text(text, filename)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise syntax_error(exc, filename) from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"YAML error: {exc}", location=Location(filename)) from None
    if root is None:
        return None, NodePositions(None)
    if _count(root) > MAX_NODES:
        raise InvalidInputError(
            f"the YAML has more than {MAX_NODES:,} values.",
            location=Location(filename, 1, 1),
            hint="a tenant file holds a few thousand values at most.",
        )
    return _construct(root, filename), NodePositions(root)


MAX_NODES = 200_000


def _count(node: yaml.Node) -> int:
    """Nodes after alias expansion, stopping early: an alias bomb is refused, not built."""
    total = 1
    stack: list[yaml.Node] = [node]
    while stack and total <= MAX_NODES:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
                total += 2
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
            total += len(current.value)
    return total

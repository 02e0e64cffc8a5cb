"""Small helpers to change a round-trip YAML document without disturbing the rest."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def flow_list(items: list[Any]) -> CommentedSeq:
    """A list written inline (`[a, b]`), as the examples do for short lists."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def block_list(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_block_style()
    return seq


def mapping(values: dict[str, Any]) -> CommentedMap:
    """A mapping with the None values left out, in the given order."""
    out = CommentedMap()
    for key, value in values.items():
        if value is not None:
            out[key] = value
    return out


def section(doc: CommentedMap, key: str, factory: type[CommentedMap] | type[CommentedSeq]) -> Any:
    """`doc[key]`; a missing, null or empty one is replaced by a fresh block-style container."""
    current = doc.get(key)
    if current is None or len(current) == 0:
        fresh = factory()
        fresh.fa.set_block_style()
        doc[key] = fresh
        return fresh
    return current


def remove_from_list(seq: Any, value: str, *, casefold: bool = False) -> bool:
    """Remove every occurrence of `value` from a YAML list; True if one was there."""
    if not isinstance(seq, list):
        return False
    norm = (lambda s: str(s).lower()) if casefold else str
    keep = [i for i, item in enumerate(seq) if norm(item) != norm(value)]
    if len(keep) == len(seq):
        return False
    for index in reversed(range(len(seq))):
        if index not in keep:
            del seq[index]
    return True

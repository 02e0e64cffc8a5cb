"""The edit transaction: lock, re-read, change, validate, judge, write atomically.

A change mutates the round-trip document (document.py) and may stage files beside the
tenant file (files.Staged); they are written together, and taken back together when the
judge refuses the edit or saving fails. The judge is handed in (validate.edit_judge), so
this wing never imports the rules that judge it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssoctl.errors import InvalidInputError, UsageError
from ssoctl.files import real_target, write_atomic
from ssoctl.tenant.document import LoadedTenant, dump, load_roundtrip, load_text, read_text

Edit = Callable[[LoadedTenant], Any]
Notify = Callable[[str], None]
# Judges an edited file against the one before it and raises to refuse it; the third
# argument names files a dry run would write but did not (their findings are unknown).
Judge = Callable[[LoadedTenant, LoadedTenant, Sequence[Path]], None]


def edit(
    path: Path,
    change: Edit,
    notify: Notify | None = None,
    *,
    judge: Judge | None = None,
) -> Any:
    """Apply `change` to the tenant document under a lock, validate, and save atomically.

    `change` mutates `loaded.doc` in place (round-trip nodes), may stage files beside the
    tenant file in `loaded.files`, and may return a value, which `edit` returns. Nothing
    is written if `change` raises or the result is invalid; if writing the tenant file
    fails, the staged files are rolled back. `judge(before, after, unwritten)` may refuse
    the edited file by raising (the caller hands in validate.edit_judge: this wing never
    imports the rules that judge it).
    """
    return edit_reviewed(path, change, notify=notify, judge=judge).value


@dataclass(frozen=True)
class EditOutcome:
    value: Any
    old_text: str
    new_text: str
    written: bool


def edit_reviewed(
    path: Path,
    change: Edit,
    *,
    write: bool = True,
    review: Callable[[LoadedTenant, str], None] | None = None,
    notify: Notify | None = None,
    judge: Judge | None = None,
) -> EditOutcome:
    """`edit`, with a look at the result first: `review(new_loaded, new_text)` may raise
    to refuse it; `write=False` computes everything and writes nothing (a dry run).
    `notify` hears why the edit is waiting (another process holds the lock)."""
    from ssoctl.tenant import lock

    read_text(path)  # a missing or oversized file is reported as such, before locking
    with lock.exclusive(real_target(path), notify):
        loaded = load_roundtrip(read_text(path), path)
        value = change(loaded)
        new_text = dump(loaded.doc, loaded.style)
        changed = new_text != loaded.text
        if not (changed or loaded.files.changes):
            return EditOutcome(value, loaded.text, new_text, False)
        try:
            result = load_text(new_text, path)  # the edit must leave a valid file
        except InvalidInputError as exc:
            raise UsageError(
                f"the values given would make {path.name} invalid; nothing was written.",
                # the key path, not a line of a file that was never written
                problems=[re.sub(r"^.*?:\d+:\d+: ", "", p) for p in exc.problems],
                hint="correct the values named above.",
            ) from None
        if review is not None:
            review(result, new_text)
        if not write:  # a dry run: the staged files are not there for the rules to read
            if judge is not None:
                judge(loaded, result, loaded.files.paths())
            return EditOutcome(value, loaded.text, new_text, False)
        # The rules judge the files beside the tenant file too, so they are written first
        # and taken back if the edit is refused or saving fails.
        loaded.files.commit()
        try:
            if judge is not None:
                judge(loaded, result, ())
            if changed:
                write_atomic(path, new_text.encode("utf-8"), follow_link=True)
        except BaseException:
            loaded.files.rollback()
            raise
        return EditOutcome(value, loaded.text, new_text, write and changed)

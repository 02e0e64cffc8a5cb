"""Progress for long work, on stderr, only when a person is watching (stderr is a
terminal). Piped and CI runs see nothing, so their output stays exactly the data."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def wanted() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`. A rich progress bar (a counter when `total` is None) while the
    block runs and stderr is a terminal; a no-op otherwise, or when `total` is 0."""
    if not wanted() or total == 0:

        def nothing(n: int) -> None:
            pass

        yield nothing
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        if total is not None
        else [
            SpinnerColumn(),
            TextColumn("{task.description}: {task.completed}"),
            TimeElapsedColumn(),
        ]
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance

"""Plain column tables for list commands.

Deliberately not rich: `app list` is on the start-up budget (benchmarks/bench_startup.py) and
rich's table machinery costs ~30 ms to import; lists also stay easy to grep and cut.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ssoctl.textchars import shown


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    cells = [list(headers), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        text = "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        lines.append(text.upper() if index == 0 else text)
    sys.stdout.write(shown("\n".join(lines) + "\n"))

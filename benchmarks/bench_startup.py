"""Start-up budget: `ssoctl --version` and `ssoctl app list` against `import typer`.

Run: python benchmarks/bench_startup.py [--runs N]
Prints the median wall time of each command and its ratio to the reference measured in
the same run (python -c "import typer"). Budget: --version <= 1.3x, app list <= 2.0x.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "contoso" / "tenant.yaml"
BUDGETS = {"ssoctl --version": 1.3, "ssoctl app list": 2.0}


def median_seconds(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("ssoctl")
    ssoctl = [exe] if exe else [sys.executable, "-m", "ssoctl"]
    commands = {
        "python -c 'import typer' (reference)": [sys.executable, "-c", "import typer"],
        "ssoctl --version": [*ssoctl, "--version"],
        "ssoctl app list": [*ssoctl, "-t", str(EXAMPLE), "app", "list"],
    }
    for argv in commands.values():  # warm the file cache and .pyc files
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    times = {name: median_seconds(argv, args.runs) for name, argv in commands.items()}
    reference = next(iter(times.values()))
    failed = False
    for name, seconds in times.items():
        ratio = seconds / reference
        budget = BUDGETS.get(name)
        verdict = "" if budget is None else ("ok" if ratio <= budget else "OVER BUDGET")
        if budget is not None and ratio > budget:
            failed = True
        limit = f"(budget {budget}x)" if budget else ""
        print(f"{name:<42} {seconds * 1000:7.1f} ms  {ratio:5.2f}x {limit} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

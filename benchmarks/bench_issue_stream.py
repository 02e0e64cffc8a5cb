"""Memory budget of `assertion issue --count`: responses are written as they are made.

Run: python benchmarks/bench_issue_stream.py [--count 20000]
Prints the peak RSS of `--count N` and its ratio to `--count 1` measured in the same
run (the reference: one response, same process setup). Budget: <= 1.5x, i.e. memory
does not grow with N (before streaming, 20,000 responses reached 509 MB). Also prints
the time per response.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.5
NOW = "2027-01-15T10:00:00Z"


def peak_rss_mb(argv: list[str]) -> tuple[float, float]:
    """Peak RSS (MB) and wall time (s) of one child process, alone in its own fork."""
    script = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(peak, time.perf_counter() - start)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], check=True, capture_output=True, text=True
    )
    kilobytes, seconds = done.stdout.split()
    return int(kilobytes) / 1024, float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "examples" / "contoso", work / "contoso")
        for key in (work / "contoso" / "certs").glob("*.key"):
            os.chmod(key, 0o600)
        base = [sys.executable, "-m", "ssoctl", "-t", str(work / "contoso" / "tenant.yaml"),
                "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
                "--now", NOW]  # fmt: skip
        one, _ = peak_rss_mb([*base, "--out", str(work / "one.xml")])
        many, seconds = peak_rss_mb(
            [*base, "--count", str(args.count), "--out", str(work / "many.jsonl")]
        )
        lines = sum(1 for _ in (work / "many.jsonl").open())
    ratio = many / one
    verdict = "ok" if ratio <= BUDGET and lines == args.count else "OVER BUDGET"
    print(f"--count 1 (reference)       peak {one:7.1f} MB   1.00x")
    print(
        f"--count {args.count:<6}            peak {many:7.1f} MB   {ratio:.2f}x "
        f"(budget {BUDGET}x) {verdict}; {lines} lines, {seconds / args.count * 1000:.2f} ms each"
    )
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())

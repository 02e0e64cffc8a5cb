"""`assertion issue --count N` streams: each response is written as it is made, --format
is honoured, and Ctrl-C keeps what was written (issue 13, item 7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import NOW, run_cli

ISSUE = ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com")


@pytest.mark.parametrize(("fmt", "summary"), [(None, False), ("base64", False), ("json", True)])
def test_count_writes_json_lines(example: Path, fmt: str | None, summary: bool) -> None:
    args = (*ISSUE, "--now", NOW, "--count", "3", *(("--format", fmt) if fmt else ()))
    out = run_cli(*args, tenant=example)
    assert out.exit_code == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3 and len({line["id"] for line in lines}) == 3
    assert all(("summary" in line) is summary and line["SAMLResponse"] for line in lines)


@pytest.mark.parametrize("fmt", ["html", "xml"])
def test_count_with_a_one_document_format_is_a_usage_error(example: Path, fmt: str) -> None:
    out = run_cli(*ISSUE, "--count", "2", "--format", fmt, tenant=example)
    assert out.exit_code == 2 and "JSON lines" in out.stderr


def test_progress_only_on_a_terminal(example: Path) -> None:
    out = run_cli(*ISSUE, "--now", NOW, "--count", "5", tenant=example)
    assert out.stderr.strip() == "wrote 5 responses"  # no bar when stderr is not a terminal


def test_ctrl_c_keeps_what_was_written(example: Path, tmp_path: Path) -> None:
    target = tmp_path / "responses.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "-t", str(example), *ISSUE, "--now", NOW,
         "--count", "1000000", "--out", str(target)],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    temps: list[Path] = []
    while time.monotonic() < deadline and not any(p.stat().st_size > 20_000 for p in temps):
        time.sleep(0.2)
        temps = list(tmp_path.glob(".responses.jsonl.*"))
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    kept = target.read_text().splitlines()
    assert kept and all(json.loads(line)["SAMLResponse"] for line in kept)
    assert f"kept the {len(kept)} of 1000000 responses" in stderr
    assert not list(tmp_path.glob(".responses.jsonl.*"))  # no temp file left behind
    assert os.stat(target).st_mode & 0o777 == 0o644


def run_with_terminal_stderr(args: list[str], stdout: Path) -> str:
    """Run ssoctl with stderr on a pseudo-terminal (as a person sees it); its text."""
    import pty

    leader, follower = pty.openpty()
    with stdout.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ssoctl", *args], stdout=sink, stderr=follower
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=120)
    os.close(leader)
    return seen.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "lines.jsonl"
    args = ["-t", str(example), *ISSUE, "--now", NOW, "--count", "3000"]
    seen = run_with_terminal_stderr(args, out)
    assert "issuing responses" in seen and "wrote 3000 responses" in seen
    assert len(out.read_text().splitlines()) == 3000  # the data stays clean


def test_validate_many_files_shows_progress_on_a_terminal(example: Path, tmp_path: Path) -> None:
    seen = run_with_terminal_stderr(
        ["validate", *[str(example)] * 40, "--now", NOW], tmp_path / "report.txt"
    )
    assert "validating" in seen


def test_metadata_inspect_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    from tests.conftest import DATA

    out = tmp_path / "summary.json"
    seen = run_with_terminal_stderr(
        ["metadata", "inspect", str(DATA / "metadata" / "aggregate.xml"), "-f", "json"], out
    )
    assert "reading entities" in seen
    assert json.loads(out.read_text())["total_entities"] >= 2  # stdout stays the data


def test_each_json_line_summarizes_its_own_response(example: Path) -> None:
    """--count summarizes the first Response and copies that summary with each next one's
    IDs (issue 26): every line must still say exactly what its own XML says."""
    import base64

    from ssoctl.cli.assertion_cmd import _summary

    args = ["--user", "B.Simon@contoso.com", "--count", "4", "--format", "json"]
    out = run_cli("assertion", "issue", "--app", "ringcentral", *args, tenant=example)
    assert out.exit_code == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4 and len({line["id"] for line in lines}) == 4
    for line in lines:
        own = _summary(base64.b64decode(line["SAMLResponse"]))
        assert line["summary"] == json.loads(json.dumps(own)), line["id"]

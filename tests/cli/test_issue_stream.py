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


def _wait_until_partly_written(folder: Path) -> None:
    """Until the temp file beside responses.jsonl holds some lines (or 60 s pass)."""
    deadline = time.monotonic() + 60
    temps: list[Path] = []
    while time.monotonic() < deadline and not any(p.stat().st_size > 20_000 for p in temps):
        time.sleep(0.2)
        temps = list(folder.glob(".responses.jsonl.*"))


def test_ctrl_c_keeps_what_was_written(example: Path, tmp_path: Path) -> None:
    target = tmp_path / "responses.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "-t", str(example), *ISSUE, "--now", NOW,
         "--count", "1000000", "--out", str(target)],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_until_partly_written(tmp_path)
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

    from ssoctl.saml.summary import summary_of

    args = ["--user", "B.Simon@contoso.com", "--count", "4", "--format", "json"]
    out = run_cli("assertion", "issue", "--app", "ringcentral", *args, tenant=example)
    assert out.exit_code == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4 and len({line["id"] for line in lines}) == 4
    for line in lines:
        own = summary_of(base64.b64decode(line["SAMLResponse"]))
        assert line["summary"] == json.loads(json.dumps(own)), line["id"]


# --jobs: the lines of a long run made by forked workers (issue 26). Run as processes:
# workers are forked only from a process without threads, which pytest may not be.

RUN_CLI = "import sys; from ssoctl.cli.main import run; sys.argv[0] = 'ssoctl'; run()"


def _ssoctl(*args: str, script: str = RUN_CLI) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, timeout=300, check=False
    )


def test_jobs_lines_are_whole_distinct_and_each_verifies(example: Path, tmp_path: Path) -> None:
    import base64

    from ssoctl.saml.summary import summary_of

    count = 500  # not a multiple of the chunk: the last chunk is short
    done = _ssoctl("-t", str(example), *ISSUE, "--now", NOW, "--count", str(count),
                   "--format", "json", "--jobs", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().strip() == f"wrote {count} responses"
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == count and len({line["id"] for line in lines}) == count
    for line in lines:
        own = summary_of(base64.b64decode(line["SAMLResponse"]))
        assert line["summary"] == json.loads(json.dumps(own)), line["id"]
    for line in (lines[0], lines[count // 2], lines[-1]):
        response = tmp_path / "response.xml"
        response.write_bytes(base64.b64decode(line["SAMLResponse"]))
        out = run_cli("assertion", "verify", str(response), "--app", "ringcentral", "--at",
                      NOW, "-f", "json", tenant=example)  # fmt: skip
        assert out.exit_code == 0 and json.loads(out.stdout)["valid"], out.stdout


WORKER_PIDS = """
import multiprocessing, os, sys, threading
from ssoctl import bulk
bulk._LineMaker.line = lambda self: f"{os.getpid()}\\n".encode()
batch = bulk.Batch(issued=None, version=1, summaries=False)
count, jobs = int(sys.argv[1]), int(sys.argv[2])
with bulk.lines(batch, count, jobs) as lines:
    made = [int(line) for line in lines]
chunks = [made[i : i + bulk.CHUNK] for i in range(0, len(made), bulk.CHUNK)]
whole = all(len(set(chunk)) == 1 for chunk in chunks)  # a chunk is one worker's, uncut
# Nothing outlives the block: a pool thread left running races the interpreter's exit
# hook for its wake-up pipe (Python 3.10 printed "Bad file descriptor" after success).
left = threading.active_count() - 1 + len(multiprocessing.active_children())
print(os.getpid(), len(made), len(set(made)), os.getpid() in made, whole, left)
"""


def test_jobs_fork_workers_and_keep_every_line() -> None:
    """The machinery itself: each line says which process made it."""
    done = _ssoctl("1000", "2", script=WORKER_PIDS)
    assert done.returncode == 0, done.stderr
    _parent, made, makers, parent_made_one, whole, left = done.stdout.split()
    assert (int(made), int(makers), parent_made_one, whole) == (1000, 2, b"False", b"True")
    assert (int(left), done.stderr) == (0, b"")  # no pool thread, no worker left behind
    short = _ssoctl("20", "2", script=WORKER_PIDS)  # too short to pay for workers
    _parent, made, makers, parent_made_one, _, _ = short.stdout.split()
    assert (int(made), int(makers), parent_made_one) == (20, 1, b"True")
    one = _ssoctl("1000", "1", script=WORKER_PIDS)
    assert one.stdout.split()[2:4] == [b"1", b"True"]


def test_planned_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    from ssoctl import bulk

    monkeypatch.setattr(bulk, "can_fork", lambda: True)
    assert bulk.planned_jobs(10_000, 4) == 4
    assert bulk.planned_jobs(10_000, 1) == 0
    assert bulk.planned_jobs(2 * bulk.MIN_PER_JOB, 8) == 2  # at least MIN_PER_JOB each
    assert bulk.planned_jobs(bulk.MIN_PER_JOB, 8) == 0
    monkeypatch.setattr(bulk, "can_fork", lambda: False)  # threads, or not Linux
    assert bulk.planned_jobs(10_000, 4) == 0


def test_can_fork_refuses_a_process_with_threads() -> None:
    import threading

    from ssoctl import bulk

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        assert not bulk.can_fork()
    finally:
        stop.set()
        helper.join()


WORKER_DIES = """
import os, sys
from ssoctl import bulk
from ssoctl.cli.main import run
parent = os.getpid()
real = bulk._LineMaker.line
def line(self):
    if os.getpid() != parent:
        os._exit(9)  # a worker killed mid-run (the OOM killer, say)
    return real(self)
bulk._LineMaker.line = line
sys.argv[0] = "ssoctl"
run()
"""


def test_a_worker_that_dies_is_a_clear_error(example: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    done = _ssoctl("-t", str(example), *ISSUE, "--now", NOW, "--count", "1000", "--jobs",
                   "2", "--out", str(target), script=WORKER_DIES)  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 3, stderr
    assert "worker process" in stderr and "--jobs 1" in stderr and "Traceback" not in stderr
    assert not target.exists() and not list(tmp_path.glob(".out.jsonl.*"))  # nothing half-made


def _processes_naming(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_ctrl_c_with_jobs_keeps_what_was_written_and_stops_the_workers(
    example: Path, tmp_path: Path
) -> None:
    target = tmp_path / "responses.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "-t", str(example), *ISSUE, "--now", NOW,
         "--count", "1000000", "--jobs", "2", "--out", str(target)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )  # fmt: skip
    _wait_until_partly_written(tmp_path)
    workers = [pid for pid in _processes_naming(str(target)) if pid != process.pid]
    assert len(workers) == 2  # forked: they carry the parent's command line
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole group gets it
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    kept = target.read_text().splitlines()
    assert kept and all(json.loads(line)["SAMLResponse"] for line in kept)
    assert f"kept the {len(kept)} of 1000000 responses" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_naming(str(target)):
        time.sleep(0.1)
    assert not _processes_naming(str(target))  # no worker left behind

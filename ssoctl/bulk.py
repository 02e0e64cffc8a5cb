"""Many Responses of one sign-in, as JSON lines, on every usable core
(`ssoctl assertion issue --count N`).

The sign-in is resolved once (`signin.Issue`: the spec, the parsed key, the case); each
line is one more Response of it with IDs of its own. Its RSA signature is most of a
line's cost, and one process makes one signature at a time. So with more than one job,
the lines are made by worker processes forked from this one: they inherit the resolved
sign-in and the parsed key from memory (nothing secret is pickled or written anywhere;
a worker receives only how many lines to make and returns finished lines), and this
process writes the chunks in the order it handed them out. At most two chunks per
worker are in flight, so a slow reader holds back the workers instead of filling
memory (`benchmarks/bench_issue_stream.py`).

Forking is the only way workers start: a spawned worker would have to be sent the key.
So jobs run only where fork is the platform's way (Linux), and never in a process that
already runs threads (forking one can deadlock the child); otherwise, and for short
runs, the lines are made here, one after the other, as they always were.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from ssoctl import outputs
from ssoctl.saml import bindings

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ssoctl.signin import Issue

CHUNK = 48  # lines per task: ~40 ms of work, so a task's overhead is noise
MIN_PER_JOB = 4 * CHUNK  # fewer lines than this per worker are made faster here
DEFAULT_MAX_JOBS = 8  # each worker holds a copy of the process (~50 MB)


@dataclass(frozen=True)
class Batch:
    """What every line of one run shares."""

    issued: Issue
    version: int  # the output format's version (cli.common.OUTPUT_VERSION)
    summaries: bool  # --format json: each line carries the summary of its Response


def new_id() -> str:
    """A SAML ID as Entra writes them: `_` and a random UUID (uuid4 reads the OS's
    random source, so forked workers never repeat each other)."""
    return f"_{uuid.uuid4()}"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def default_jobs() -> int:
    return max(1, min(usable_cores(), DEFAULT_MAX_JOBS))


def can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def planned_jobs(count: int, jobs: int) -> int:
    """How many workers a run of `count` lines uses: none (0, made here) when one job is
    asked for, forking is not possible, or the run is too short to pay for starting them."""
    jobs = min(jobs, count // MIN_PER_JOB)
    return jobs if jobs > 1 and can_fork() else 0


class _Summaries:
    """The summary of each line of one run. Every Response of the run is the same sign-in
    (one resolved spec: the same NameID, claims, audience and instants); only its IDs
    differ. So the first one is summarized from the tree its bytes were serialized from,
    and the next ones copy it with their own IDs. A Response whose bytes were changed
    after serialization (a negative case) has no tree: it is parsed and summarized on
    its own."""

    def __init__(self) -> None:
        self.first: dict[str, Any] | None = None

    def of(self, xml_bytes: bytes, tree: Any, response_id: str, assertion_id: str) -> Any:
        from ssoctl.saml.summary import summary_of

        if tree is None:
            return summary_of(xml_bytes)
        if self.first is None:
            self.first = summary_of(xml_bytes, tree)
            return self.first
        return {**self.first, "response_id": response_id, "assertion_id": assertion_id}


class _LineMaker:
    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.summaries = _Summaries() if batch.summaries else None

    def line(self) -> bytes:
        issued = self.batch.issued
        xml_bytes, response_id, assertion_id, tree = issued.response_and_tree(new_id)
        document: dict[str, Any] = {
            "version": self.batch.version,
            "id": response_id,
            "acs": issued.spec.destination,
            "SAMLResponse": bindings.encode_post(xml_bytes),
        }
        if issued.relay_state:
            document["RelayState"] = issued.relay_state
        if self.summaries is not None:
            document["summary"] = self.summaries.of(xml_bytes, tree, response_id, assertion_id)
        # The documented keys in their order (outputs.IssuedLine), encoded in one C pass.
        shaped = msgspec.convert(document, outputs.IssuedLine, str_keys=True)
        return msgspec.json.encode(shaped) + b"\n"


# A worker's line maker: set in this process right before the workers are forked, so
# each worker starts with it (and the parsed key inside it) already in memory.
_WORKER: _LineMaker | None = None


def _worker_start() -> None:
    import signal

    # Ctrl-C at a terminal reaches the whole process group; the parent alone decides
    # what happens (it keeps what was written and stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _make_chunk(size: int) -> list[bytes]:
    assert _WORKER is not None, "a worker is forked after _WORKER is set"
    return [_WORKER.line() for _ in range(size)]


@contextmanager
def lines(batch: Batch, count: int, jobs: int | None = None) -> Iterator[Iterator[bytes]]:
    """The `count` lines, made as they are read, by `jobs` processes (None: the default,
    one per usable core). Workers (if any, see `planned_jobs`) are forked on entering,
    before the caller starts threads of its own (a progress bar), and stopped on
    leaving, however the caller leaves."""
    workers = planned_jobs(count, jobs or default_jobs())
    if workers == 0:
        maker = _LineMaker(batch)
        yield (maker.line() for _ in range(count))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER
    _WORKER = _LineMaker(batch)
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start
    )
    try:
        sizes = [CHUNK] * (count // CHUNK) + ([count % CHUNK] if count % CHUNK else [])
        # With fork, every worker is forked at the first submit, before the pool starts
        # a thread (concurrent.futures: `_safe_to_dynamically_spawn_children` is False).
        first = [pool.submit(_make_chunk, size) for size in sizes[: 2 * workers]]
        yield _in_order(pool, deque(first), sizes[2 * workers :])
    finally:
        _WORKER = None
        # Wait for the pool's manager thread: left running, it can close its wake-up
        # pipe while the interpreter's exit hook writes to it (Python 3.10 then prints
        # "Exception ignored ... Bad file descriptor" after a run that succeeded). The
        # wait is short: queued chunks are cancelled, so at most the chunks being made.
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(
    pool: Any, in_flight: deque[Future[list[bytes]]], waiting: list[int]
) -> Iterator[bytes]:
    """Each chunk's lines in the order the chunks were submitted, one more chunk
    submitted as each one is taken (so at most two per worker are ever held)."""
    from concurrent.futures.process import BrokenProcessPool

    from ssoctl.errors import OperationError

    queued = iter(waiting)
    while in_flight:
        try:
            chunk = in_flight.popleft().result()
        except BrokenProcessPool:
            raise OperationError(
                "a worker process making the Responses ended before its work was done "
                "(killed, or out of memory).",
                hint="rerun with fewer jobs (--jobs 1 makes them all in this process).",
            ) from None
        size = next(queued, None)
        if size is not None:
            in_flight.append(pool.submit(_make_chunk, size))
        yield from chunk

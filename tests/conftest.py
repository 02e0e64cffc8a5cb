from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "contoso"
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
TENANT_ID = "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11"
# An instant inside the example certificate's validity, for reproducible output.
NOW = "2027-01-15T10:00:00Z"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_cli(
    *args: str,
    tenant: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> Outcome:
    from ssoctl.cli.main import app

    argv = (["--tenant", str(tenant)] if tenant else []) + list(args)
    result = CliRunner().invoke(app, argv, env=env, input=input, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


@pytest.fixture(scope="session", autouse=True)
def _parse_memo_in_a_private_folder(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tenant wing's parse memo (tenant/parsecache.py) lives in $XDG_CACHE_HOME: the
    suite, and every ssoctl process it starts, use a folder of its own, never the
    user's ~/.cache."""
    import os

    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session", autouse=True)
def _no_tls_keys_left_behind():
    """Tests that serve TLS in-process call `server.self_signed` directly, so nothing of
    `idp serve`'s own cleanup runs for them: remove the private folders they made, which
    hold a key for Entra's login hosts (the CLI's cleanup is tested in test_serve_cli)."""
    import tempfile

    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("ssoctl-twin-*"))
    yield
    for folder in set(temp.glob("ssoctl-twin-*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of examples/contoso; returns its tenant.yaml."""
    target = tmp_path / "contoso"
    shutil.copytree(EXAMPLE, target)
    (target / "certs" / "contoso-2026.key").chmod(0o600)
    return target / "tenant.yaml"


@pytest.fixture
def cli():
    return run_cli


def stop_process(proc: Any, sig: int, timeout: float = 60) -> str:
    """Signal a server started with `stderr=PIPE, text=True` and return the rest of its
    stderr. Read through the same text buffer that `readline()` used: `communicate()`
    reads the pipe underneath and loses what that buffer already holds."""
    import subprocess

    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return str(proc.stderr.read())

"""Each command imports only what it uses (issue 26): a library a command never calls
costs every run of it its import time. Each case runs the command in a fresh process
and lists the heavy libraries it loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

PROBE = """
import sys
from ssoctl.cli.main import run
sys.argv = ["ssoctl", *sys.argv[1:]]
try:
    run()
except SystemExit as exit:
    assert not exit.code, exit.code
sys.stdout.flush()
print("\\nloaded:", " ".join(sorted(name for name in sys.modules if "." not in name)))
"""

NETWORK = {"httpx", "httpcore", "msal"}  # for URLs and Graph only
EDITING = {"ruamel"}  # comment-keeping writes only


def loaded(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(done.stdout.rpartition("\nloaded:")[2].split())


def test_inspecting_a_local_file_loads_no_network_code():
    # It imported fetch.py (and with it httpx and httpcore) for the size cap alone.
    assert not loaded("metadata", "inspect", str(DATA / "metadata" / "aggregate.xml")) & (
        NETWORK | EDITING
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("app", "list"),
        ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com"),
    ],
)
def test_reading_commands_load_no_network_or_editing_code(example: Path, argv: tuple[str, ...]):
    assert not loaded("-t", str(example), *argv) & (NETWORK | EDITING)


def test_version_loads_no_library_beyond_the_command_line():
    assert not loaded("--version") & {"lxml", "cryptography", "signxml", "yaml", "rich"}

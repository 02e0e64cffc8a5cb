"""`ssoctl ... | head` ends quietly (exit 0, nothing on stderr), as other CLIs do: a
reader that went away is not a bug (it was exit 70, or a silent exit 1 from rich)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOW


@pytest.mark.parametrize(
    "command",
    [
        ["app", "show", "ringcentral"],
        ["assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
         "--count", "2000", "--now", NOW],
        ["metadata", "export", "--app", "ringcentral"],
        ["schema"],
    ],
    ids=["rich-table", "json-lines", "xml", "json"],
)  # fmt: skip
def test_closed_pipe_is_a_quiet_success(example: Path, command: list[str]) -> None:
    ssoctl = shlex.join([sys.executable, "-m", "ssoctl", "-t", str(example), *command])
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {ssoctl} | head -c 20 > /dev/null"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""

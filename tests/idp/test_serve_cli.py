"""`ssoctl idp serve` as a process: binds, serves over real sockets (TLS with
--self-signed), warns when not on loopback, stops cleanly on Ctrl-C, never serves keys."""

from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TENANT_ID, stop_process


def start(tenant: Path, *args: str) -> tuple[subprocess.Popen[str], str, str]:
    """The process, its base URL, and what it printed up to announcing it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "-t", str(tenant), "idp", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        match = re.search(r"on (https?://[^/]+)/", line)
        if match:
            return proc, match[1], "".join(lines)
    proc.kill()
    raise AssertionError("".join(lines))


def stop(proc: subprocess.Popen[str]) -> str:
    err = stop_process(proc, signal.SIGINT)
    assert proc.returncode == 0, err
    return err


def get(url: str) -> tuple[int, str]:
    context = ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serves_tls_and_stops_on_ctrl_c(example: Path) -> None:
    proc, base, _head = start(example, "--self-signed")
    try:
        assert base.startswith("https://127.0.0.1:")
        status, body = get(f"{base}/")
        assert status == 200 and "Pick an account" in body
        metadata = f"{base}/{TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml"
        status, body = get(f"{metadata}?appid=bb64ead1-81d6-47eb-998a-094603b3f753")
        assert status == 200 and "EntityDescriptor" in body
        for path in ("/certs/contoso-2026.key", "/tenant.yaml", "/%2e%2e/certs/contoso-2026.key"):
            status, body = get(f"{base}{path}")
            assert status == 404 and "PRIVATE KEY" not in body
    finally:
        err = stop(proc)
    assert "stopping the twin" in err and "Traceback" not in err


def test_warns_loudly_off_loopback(example: Path) -> None:
    proc, _base, head = start(example, "--host", "0.0.0.0")
    stop(proc)
    assert "WARNING: binding 0.0.0.0, not loopback" in head


def test_broken_tenant_file_stops_serve_with_a_located_error(example: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    shutil.copy(example, broken)
    broken.write_text(broken.read_text() + "\nbroken: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ssoctl", "-t", str(broken), "idp", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1 and "broken.yaml:" in proc.stderr


@pytest.mark.parametrize("args", [("--tls-cert", "x.pem"), ("--self-signed", "--tls-key", "k")])
def test_tls_options_are_checked(example: Path, args: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ssoctl", "-t", str(example), "idp", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_self_signed_key_is_removed_on_every_stop(example: Path, sig: int) -> None:
    """The self-signed key is for Entra's login hosts: it must not outlive the twin, and
    SIGTERM (systemd, docker, CI runners) stops it as cleanly as Ctrl-C."""
    proc, _base, head = start(example, "--self-signed")
    cert = Path(re.search(r"login hosts: (\S+)", head)[1])
    key = cert.parent / "tls.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert cert.parent.stat().st_mode & 0o777 == 0o700
    err = stop_process(proc, sig)
    assert proc.returncode == 0, err
    assert "stopping the twin" in err and "Traceback" not in err
    assert not cert.parent.exists()


def test_a_port_in_use_leaves_no_key_behind(example: Path) -> None:
    import socket
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("ssoctl-twin-*"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ssoctl", "-t", str(example), "idp", "serve", "--port",
             str(port), "--self-signed"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert set(Path(tempfile.gettempdir()).glob("ssoctl-twin-*")) == before

"""Refusal budget: what hostile input costs ssoctl before it is refused.

Run: python benchmarks/bench_hostile.py [--drip]
Each case runs the whole command in a fresh process and reads that process's own peak
RSS (wait4) and wall time. The reference, measured in the same run, is the same command
on a small valid input; the ratio shows what the hostile bytes add. Budgets (security
issue): every refusal <= 2 s and <= 300 MB peak RSS; any fetch <= 150 MB. `--drip` adds
the dripping server, which must stop at the 30 s fetch deadline (slow by design).

The twin (`idp serve`, a process on loopback) is measured too: a real sign-in while 300
slowloris connections hold their request heads open (budget: under 1 s, reference: the
same sign-in on a quiet server), and the server's memory while 10 clients at once send
13 KB SAMLRequests that inflate as far as deflate allows (budget: 30 MB over its
resting RSS; before the 64 KB cap, each such request cost about 25 MB).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "contoso"
NOW = "2027-01-15T10:00:00Z"


# A small launcher reports its child's peak RSS: a child forked from this (larger)
# process would count this process's pages in its own peak.
LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen([sys.executable, "-m", "ssoctl", *sys.argv[1:]],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024)
"""


def measure(args: list[str]) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of one ssoctl process."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def gzip_of_zeros(size: int, layers: int) -> bytes:
    """'<' and `size` zero bytes, gzipped `layers` times, without holding them in memory."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [inner.compress(b"<")]
    block = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        parts.append(inner.compress(block))
    parts.append(inner.flush())
    data = b"".join(parts)
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def serve(body: bytes, headers: dict[str, str]) -> str:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def loop() -> None:
        while True:
            conn, _ = listener.accept()
            conn.recv(65536)
            head = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            conn.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/md"


def drip_server() -> str:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def loop() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        n = 0
        while True:
            try:
                conn.sendall(f"X-{n}: x\r\n".encode())
            except OSError:
                return
            n += 1
            time.sleep(2)

    threading.Thread(target=loop, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/md"


def cases(work: Path, drip: bool) -> list[tuple[str, list[str], list[str], float]]:
    """(name, hostile command, reference command, memory budget MB)."""
    tenant = work / "contoso" / "tenant.yaml"
    shutil.copytree(EXAMPLE, tenant.parent)
    (tenant.parent / "certs" / "contoso-2026.key").chmod(0o600)
    pem = str(tenant.parent / "certs" / "contoso-2026.pem")
    small = subprocess.run(
        [sys.executable, "-m", "ssoctl", "-t", str(tenant), "assertion", "issue",
         "--app", "ringcentral", "--user", "B.Simon@contoso.com", "--now", NOW],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    (work / "ok.xml").write_bytes(small)
    (work / "tiny.xml").write_bytes(b"<r>" + b"<a/>" * 2_600_000 + b"</r>")  # ~10 MB
    with (work / "attrs.xml").open("wb") as handle:
        handle.write(b"<r ")
        for i in range(1_000_000):
            handle.write(b' a%d=""' % i)
        handle.write(b"/>")
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    (work / "aggregate.xml").write_bytes(
        f'<md:EntitiesDescriptor xmlns:md="{md}">'.encode()
        + b"<md:EntityDescriptor entityID='e'/>" * 10
        + b"<x/>" * 5_000_000
        + b"</md:EntitiesDescriptor>"
    )  # ~20 MB of tiny elements
    exported = subprocess.run(
        [sys.executable, "-m", "ssoctl", "-t", str(tenant), "metadata", "export", "--app",
         "ringcentral", "--now", NOW],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    (work / "md-ok.xml").write_bytes(exported)
    head = "version: 1\ntenant: {id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11, domain: c.com}\n"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    (work / "bomb.yaml").write_text(head + bomb)
    (work / "deep.yaml").write_text(head + "users: " + "[" * 30000 + "]" * 30000 + "\n")
    nested = gzip_of_zeros(200 << 20, 2)
    single = gzip_of_zeros(1 << 30, 1)
    verify = ["assertion", "verify", "--cert", pem, "--at", NOW]
    out = [
        ("10 MB Response of tiny elements", [*verify, str(work / "tiny.xml")],
         [*verify, str(work / "ok.xml")], 300.0),
        ("Response with 1,000,000 attributes", [*verify, str(work / "attrs.xml")],
         [*verify, str(work / "ok.xml")], 300.0),
        ("20 MB aggregate, inspect --cert",
         ["metadata", "inspect", str(work / "aggregate.xml"), "--cert", pem],
         ["metadata", "inspect", str(work / "md-ok.xml"), "--cert", pem], 300.0),
        ("20 MB aggregate, streamed inspect", ["metadata", "inspect", str(work / "aggregate.xml")],
         ["metadata", "inspect", str(work / "md-ok.xml")], 300.0),
        ("YAML alias bomb, user add", ["-t", str(work / "bomb.yaml"), "user", "add", "x@c.com"],
         ["-t", str(tenant), "user", "list"], 300.0),
        ("YAML 30,000 deep, validate", ["validate", str(work / "deep.yaml")],
         ["validate", str(tenant), "--now", NOW], 300.0),
        ("fetch: gzip, gzip (200 MB inside)",
         ["metadata", "inspect", serve(nested, {"Content-Encoding": "gzip, gzip"}), "--allow-http"],
         ["metadata", "inspect", str(work / "md-ok.xml")], 150.0),
        ("fetch: one gzip layer, 1 GB inside",
         ["metadata", "inspect", serve(single, {"Content-Encoding": "gzip"}), "--allow-http"],
         ["metadata", "inspect", str(work / "md-ok.xml")], 150.0),
    ]  # fmt: skip
    if drip:
        out.append(
            ("fetch: header every 2 s (30 s deadline)",
             ["metadata", "inspect", drip_server(), "--allow-http"],
             ["metadata", "inspect", str(work / "md-ok.xml")], 150.0)
        )  # fmt: skip
    return out


def _twin(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    tenant = work / "twin" / "tenant.yaml"
    shutil.copytree(EXAMPLE, tenant.parent)
    (tenant.parent / "certs" / "contoso-2026.key").chmod(0o600)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "-t", str(tenant), "idp", "serve", "--port", str(port),
         "--processes", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return server, port


def _sign_in(port: int) -> float:
    """Seconds for a whole sign-in as a browser makes it: picker, pick, AuthnRequest."""
    import http.client
    import re
    from urllib.parse import quote

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_serve import TENANT_ID, request_query

    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/_twin/pick")
    page = conn.getresponse()
    token = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())
    csrf = page.getheader("Set-Cookie", "").split(";")[0]
    body = f"upn=B.Simon%40contoso.com&csrf={quote(token[1] if token else '')}"
    conn.request("POST", "/_twin/pick", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf})  # fmt: skip
    picked = conn.getresponse()
    picked.read()
    session = picked.getheader("Set-Cookie", "").split(";")[0]
    conn.request("GET", f"/{TENANT_ID}/saml2?{request_query(1)}",
                 headers={"Cookie": f"{session}; {csrf}"})  # fmt: skip
    signed = conn.getresponse().read()
    conn.close()
    if b"SAMLResponse" not in signed:
        return float("inf")
    return time.perf_counter() - started


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def twin_cases(work: Path) -> list[tuple[str, str, str, bool]]:
    """(case, measured, reference, ok) for the twin's HTTP-level attacks."""
    import base64
    from urllib.parse import quote

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_serve import TENANT_ID

    out = []
    server, port = _twin(work)
    try:
        quiet = min(_sign_in(port) for _ in range(3))
        slow = []
        for _ in range(300):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-a: ")
            slow.append(conn)
        loaded = _sign_in(port)
        for conn in slow:
            conn.close()
        out.append(("twin: sign-in under 300 slowloris", f"{loaded:.3f} s", f"{quiet:.3f} s",
                    loaded < 1.0))  # fmt: skip
        resting = _rss_mb(server.pid)
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = deflater.compress(b"<a>" + b" " * 13_000_000) + deflater.flush()
        value = quote(base64.b64encode(bomb[:9_000]).decode(), safe="")
        peak = resting

        def inflate() -> None:
            nonlocal peak
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(f"GET /{TENANT_ID}/saml2?SAMLRequest={value} HTTP/1.1\r\nHost: localhost\r\n"
                      "Connection: close\r\n\r\n".encode())  # fmt: skip
            while c.recv(65536):
                peak = max(peak, _rss_mb(server.pid))
            c.close()

        for _ in range(5):
            threads = [threading.Thread(target=inflate) for _ in range(10)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        out.append(("twin: 10 concurrent inflating requests", f"{peak - resting:+.1f} MB",
                    f"{resting:.0f} MB resting", peak - resting <= 30))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drip", action="store_true", help="include the 30 s drip case")
    options = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        table: list[tuple[str, int, float, float, float, float, float, bool]] = []
        for name, hostile, reference, budget_mb in cases(work, options.drip):
            code, seconds, peak = measure(hostile)
            _rcode, ref_seconds, ref_peak = measure(reference)
            time_budget = 35.0 if "deadline" in name else 2.0
            ok = code not in (0, 70) and code > 0 and seconds <= time_budget and peak <= budget_mb
            failed += not ok
            table.append((name, code, seconds, ref_seconds, peak, ref_peak, budget_mb, ok))
        twin = twin_cases(work)
    show: Callable[[str], None] = print
    show(f"{'case':<42} {'exit':>4} {'s':>6} {'ref s':>6} {'x':>5} {'MB':>6} {'ref MB':>6}  budget")
    for name, code, s, rs, mb, rmb, budget, ok in table:
        limit = "35 s" if "deadline" in name else "2 s"
        show(
            f"{name:<42} {code:>4} {s:>6.2f} {rs:>6.2f} {s / rs:>5.1f} {mb:>6.0f} {rmb:>6.0f}  "
            f"<= {limit}, <= {budget:.0f} MB {'ok' if ok else 'OVER'}"
        )
    for case, measured, against, fine in twin:
        failed += not fine
        show(f"{case:<42} {measured:>12} (reference {against})  {'ok' if fine else 'OVER'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

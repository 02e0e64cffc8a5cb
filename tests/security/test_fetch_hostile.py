"""Hostile metadata servers on 127.0.0.1, over real sockets (no MockTransport: the bugs
lived in the socket path). Each must end in a FetchError with a readable message."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import pytest

from ssoctl.fetch import FetchError, fetch
from tests.conftest import run_cli

Serve = Callable[[socket.socket], None]


@pytest.fixture
def server() -> Iterator[Callable[[Serve], str]]:
    """Start a raw TCP server whose connection handler is given; returns its base URL."""
    listeners: list[socket.socket] = []

    def start(handle: Serve) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listeners.append(listener)

        def loop() -> None:
            while True:
                try:
                    conn, _addr = listener.accept()
                except OSError:
                    return
                threading.Thread(target=_guarded, args=(handle, conn), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in listeners:
        listener.close()


def _guarded(handle: Serve, conn: socket.socket) -> None:
    try:
        conn.recv(65536)
        handle(conn)
    except OSError:
        pass
    finally:
        conn.close()


def respond(headers: dict[str, str], body: bytes, status: str = "200 OK") -> Serve:
    def handle(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    return handle


def drip(prefix: bytes, pause: float) -> Serve:
    """Send `prefix` one byte at a time, then keep dripping header lines forever."""

    def handle(conn: socket.socket) -> None:
        for byte in prefix:
            conn.sendall(bytes([byte]))
            time.sleep(pause)
        n = 0
        while True:
            conn.sendall(f"X-Drip-{n}: x\r\n".encode())
            n += 1
            time.sleep(pause)

    return handle


def test_nested_content_encoding_is_refused(server: Callable[[Serve], str]) -> None:
    inner = gzip.compress(b"<" + b"\0" * 50_000_000, compresslevel=9)
    body = gzip.compress(inner, compresslevel=9)
    base = server(respond({"Content-Encoding": "gzip, gzip"}, body))
    with pytest.raises(FetchError, match="nested or unknown"):
        fetch(f"{base}/md", allow_http=True)


def test_unknown_content_encoding_is_refused(server: Callable[[Serve], str]) -> None:
    base = server(respond({"Content-Encoding": "br"}, b"<x/>"))
    with pytest.raises(FetchError, match="nested or unknown"):
        fetch(f"{base}/md", allow_http=True)


def test_gzip_bomb_stops_at_the_decoded_cap(server: Callable[[Serve], str]) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    body = compressor.compress(b"<")
    for _ in range(1024):  # 1 GB inside, about 1 MB on the wire
        body += compressor.compress(zeros)
    body += compressor.flush()
    base = server(respond({"Content-Encoding": "gzip"}, body))
    with pytest.raises(FetchError, match="more than 10,485,760 bytes"):
        fetch(f"{base}/md", allow_http=True)


def test_gzip_body_is_decoded(server: Callable[[Serve], str]) -> None:
    xml = b'<?xml version="1.0"?><md:EntityDescriptor xmlns:md="x" entityID="e"/>'
    base = server(respond({"Content-Encoding": "gzip"}, gzip.compress(xml)))
    assert fetch(f"{base}/md", allow_http=True).content == xml


@pytest.mark.parametrize(
    "prefix",
    [b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"],
    ids=["status-line", "headers"],
)
def test_dripping_server_hits_the_one_deadline(
    server: Callable[[Serve], str], prefix: bytes
) -> None:
    base = server(drip(prefix, 0.2))
    started = time.monotonic()
    with pytest.raises(FetchError, match="took more than 2 s"):
        fetch(f"{base}/md", allow_http=True, total_timeout=2.0)
    # Not a performance assertion: without the deadline this fetch never ends at all.
    assert time.monotonic() - started < 30


def test_dripping_body_hits_the_deadline(server: Callable[[Serve], str]) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<")
        while True:
            conn.sendall(b"x")
            time.sleep(0.2)

    base = server(handle)
    with pytest.raises(FetchError, match="took more than 2 s"):
        fetch(f"{base}/md", allow_http=True, total_timeout=2.0)


def test_redirect_without_location_says_so(server: Callable[[Serve], str]) -> None:
    base = server(respond({}, b"", status="302 Found"))
    with pytest.raises(FetchError, match="without a Location"):
        fetch(f"{base}/md", allow_http=True)


def test_redirect_to_a_file_url_says_so(server: Callable[[Serve], str]) -> None:
    base = server(respond({"Location": "file:///etc/passwd"}, b"", status="302 Found"))
    with pytest.raises(FetchError, match="not a web URL"):
        fetch(f"{base}/md", allow_http=True)


def test_cli_bomb_is_exit_3_and_readable(server: Callable[[Serve], str]) -> None:
    body = gzip.compress(gzip.compress(b"<" + b"\0" * 10_000_000))
    base = server(respond({"Content-Encoding": "gzip, gzip"}, body))
    out = run_cli("metadata", "inspect", f"{base}/md", "--allow-http")
    assert out.exit_code == 3
    assert "nested or unknown" in out.stderr and "Traceback" not in out.stderr

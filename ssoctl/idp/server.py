"""Serve the twin with the standard library's threaded WSGI server, over TLS when asked.

TLS handshakes happen in the connection's own thread (never in the accept loop), and
every connection has a socket timeout, so one slow client cannot stall the others.
`self_signed` makes a certificate for Entra's login hosts, so a browser started with
`--host-resolver-rules="MAP login.microsoftonline.com:443 127.0.0.1:PORT"` reaches the
twin at the URLs in the metadata `ssoctl metadata export` writes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import socketserver
import ssl
import tempfile
from pathlib import Path
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from ssoctl.endpoints import CLOUDS

CONNECTION_TIMEOUT = 30.0
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _KeepAliveServerHandler(ServerHandler):
    """HTTP/1.1 responses (every reply has a Content-Length), so a browser keeps its
    connection: wsgiref alone answers HTTP/1.0 and closes after each request.

    The process environment is not copied into each request's WSGI environ (wsgiref's
    default): it costs a dict copy per request, and it would put variables such as
    SSOCTL_KEY_PASSPHRASE in reach of the application. Status line, headers and body go
    out in one write."""

    http_version = "1.1"
    os_environ: dict[str, str] = {}  # noqa: RUF012 - replaces wsgiref's class attribute

    def _write(self, data: bytes) -> None:
        self._pending = [*getattr(self, "_pending", []), data]

    def _flush(self) -> None:
        pending = getattr(self, "_pending", [])
        if pending:
            self.stdout.write(b"".join(pending))
            self._pending = []
        self.stdout.flush()


class _QuietHandler(WSGIRequestHandler):
    timeout = CONNECTION_TIMEOUT
    protocol_version = "HTTP/1.1"
    MAX_REQUESTS = 1000  # per connection, then it is closed

    def handle(self) -> None:
        """wsgiref's handler runs one request per connection; this one serves requests on
        the connection until the client closes it, asks to, or times out."""
        for _ in range(self.MAX_REQUESTS):
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or len(self.raw_requestline) > 65536:
                return
            if not self.parse_request():
                return
            handler = _KeepAliveServerHandler(
                self.rfile,
                self.wfile,  # type: ignore[arg-type]  # a socket file: IO[bytes] in practice
                self.get_stderr(),
                self.get_environ(),
                multithread=True,
            )
            handler.request_handler = self  # type: ignore[attr-defined]
            handler.run(self.server.get_app())  # type: ignore[attr-defined]
            if self.close_connection:
                return
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests go to --log-json; stderr stays for what the person must see


class TwinServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # Headers and body may go out in separate writes; without TCP_NODELAY, Nagle's
        # algorithm and the client's delayed ACK stall each kept-alive reply by ~40 ms.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        conn.settimeout(CONNECTION_TIMEOUT)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-handshake or mid-request is not our error


def make_server(host: str, port: int, app: Any, tls: ssl.SSLContext | None) -> TwinServer:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    TwinServer.address_family = family
    server = TwinServer((host, port), _QuietHandler)
    server.tls = tls
    server.set_app(app)
    return server


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


def self_signed(now: dt.datetime) -> tuple[Path, Path]:
    """A TLS certificate for Entra's login hosts (every cloud) and localhost, valid 30
    days, written to a private temporary folder: (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    hosts = [*sorted({c["login_host"] for c in CLOUDS.values()}), "localhost"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ssoctl twin (local testing only)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    *(x509.DNSName(h) for h in hosts),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="ssoctl-twin-"))
    os.chmod(folder, 0o700)
    cert_path, key_path = folder / "tls.pem", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path

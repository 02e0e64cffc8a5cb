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
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from ssoctl.endpoints import CLOUDS

CONNECTION_TIMEOUT = 30.0
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _QuietHandler(WSGIRequestHandler):
    timeout = CONNECTION_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests go to --log-json; stderr stays for what the person must see


class TwinServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
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

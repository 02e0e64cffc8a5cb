"""Serve the twin over HTTP/1.1 (TLS when asked) with Hypercorn, a hardened server.

The twin faces the browser, and through a tunnel or a proxy possibly the web, so its
HTTP layer is not ssoctl's own code: the standard library's wsgiref, used before, says
it is not for this, and the review showed why (request smuggling through an undrained
body, one thread per slow connection). Hypercorn, on asyncio with the h11 parser, gives:

- a deadline for each request head, not for each read: a connection that has not sent a
  complete request line and headers HEADER_DEADLINE seconds after it opened (or after the
  previous reply) is closed, however slowly it trickles bytes (slowloris);
- connections that cost a coroutine, not a thread; the application (signing, CPU-bound)
  runs inline on the event loop (see asgi.py), and `processes` forked servers share the
  listening socket to use more than one core; the soft limit on open files is raised to
  the hard one, so hundreds of slow connections cannot lock out a real sign-in;
- request-line and header caps (MAX_HEAD), a body cap (MAX_BODY; larger bodies are
  refused and the connection closed, never read as the next request), chunked bodies,
  and a strict parser that refuses ambiguous framing (Content-Length with chunked).

`self_signed` makes a certificate for Entra's login hosts, so a browser started with
`--host-resolver-rules="MAP login.microsoftonline.com:443 127.0.0.1:PORT"` reaches the
twin at the URLs in the metadata `ssoctl metadata export` writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ssoctl.endpoints import CLOUDS
from ssoctl.errors import OperationError

HEADER_DEADLINE = 5.0  # seconds to send a complete request head
READ_TIMEOUT = 10.0  # seconds of silence while a request body arrives
TLS_HANDSHAKE_DEADLINE = 5.0
MAX_HEAD = 16 * 1024  # request line and headers; a deflated AuthnRequest is a few KB
MAX_BODY = 1024 * 1024  # a POSTed AuthnRequest or a picked user: a few KB
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything is announced (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise OperationError(
            f"cannot listen on {host}:{port}: {exc.strerror}.",
            hint="choose another --port (0 picks a free one), or stop what uses it.",
        ) from None
    sock.set_inheritable(True)
    return sock


def serve(
    app: Callable[..., Any],
    sock: socket.socket,
    tls: tuple[Path, Path] | None,
    *,
    stop: threading.Event | None = None,
    processes: int = 1,
) -> None:
    """Serve `app` (WSGI) on `sock` until SIGINT or SIGTERM (or, in a thread, until
    `stop` is set), then stop gracefully."""
    import asyncio

    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    from ssoctl.idp.asgi import Inline

    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # Hypercorn owns (and closes) it from here
    if tls is not None:
        config.certfile, config.keyfile = str(tls[0]), str(tls[1])
    config.alpn_protocols = ["http/1.1"]  # the twin speaks what Entra's SAML flows need
    config.keep_alive_timeout = HEADER_DEADLINE  # counts until a complete request head
    config.read_timeout = int(READ_TIMEOUT)
    config.ssl_handshake_timeout = TLS_HANDSHAKE_DEADLINE
    config.h11_max_incomplete_size = MAX_HEAD
    config.wsgi_max_body_size = MAX_BODY
    config.graceful_timeout = 2.0
    config.backlog = 1024
    config.accesslog = None  # requests go to --log-json; stderr stays for the person
    config.loglevel = "ERROR"
    _raise_open_file_limit()

    async def main(parent: int | None) -> None:
        trigger = partial(_stopped, stop, parent)
        inline: Any = Inline(app, MAX_BODY)  # an ASGI callable; hypercorn's types are narrower
        await hypercorn_serve(inline, config, mode="asgi", shutdown_trigger=trigger)

    children = []
    if processes > 1 and hasattr(os, "fork") and stop is None:
        parent = os.getpid()
        for _ in range(processes - 1):
            child = os.fork()
            if child == 0:  # a worker: serves until told to stop, or its parent is gone
                try:
                    asyncio.run(main(parent))
                finally:
                    os._exit(0)
            children.append(child)
    try:
        asyncio.run(main(None))
    finally:
        for child in children:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            with contextlib.suppress(OSError):
                os.waitpid(child, 0)


def sigterm_as_ctrl_c() -> None:
    """SIGTERM (systemd, docker, CI runners) stops the server as cleanly as Ctrl-C, also
    before the event loop takes the signals over: it raises KeyboardInterrupt, which the
    command turns into a clean stop (the self-signed key removed, the log closed)."""

    def interrupt(_number: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


async def _stopped(stop: threading.Event | None, parent: int | None) -> None:
    """Returns when the server should stop: SIGINT or SIGTERM (in the main thread), `stop`
    set (a server in a thread), or the parent process gone (a worker process)."""
    import asyncio

    signalled = asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, signalled.set)
    while not signalled.is_set():
        if (stop is not None and stop.is_set()) or (parent is not None and os.getppid() != parent):
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(signalled.wait(), 0.1)


def _raise_open_file_limit() -> None:
    """Each connection holds a file descriptor; the usual soft limit (1,024, or 256 on
    some systems) is what slow connections exhaust first. Raise it to the hard limit."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def served_hosts(host: str, extra: list[str]) -> frozenset[str]:
    """The Host names the twin answers to: the bound address, the loopback names, Entra's
    login hosts (which a browser reaches through --host-resolver-rules), and any the
    person adds. Anything else is a name some web page had rebound to this address."""
    names = {host, *LOOPBACK, *(c["login_host"] for c in CLOUDS.values()), *extra}
    return frozenset(name.lower().strip("[]") for name in names)


def check_tls_files(cert_file: Path, key_file: Path) -> None:
    """Load the pair once, so a wrong file is a clear error before anything is served."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert_file), str(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise OperationError(
            f"cannot use {cert_file} and {key_file} for TLS: {exc}.",
            hint="give a PEM certificate and its unencrypted PEM key, or use --self-signed.",
        ) from None


def self_signed(now: dt.datetime, hosts: list[str] | None = None) -> tuple[Path, Path]:
    """A TLS certificate for `hosts` (default: Entra's login hosts in every cloud) and
    localhost, valid 30 days, written to a private temporary folder: (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    names = hosts if hosts is not None else sorted({c["login_host"] for c in CLOUDS.values()})
    hosts = [*names, "localhost"]
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


def discard_self_signed(tls: tuple[Path, Path]) -> None:
    """Remove what `self_signed` wrote: its key is for Entra's login hosts (or an app's),
    and must not outlive the server, whatever stopped it."""
    import shutil

    shutil.rmtree(tls[0].parent, ignore_errors=True)

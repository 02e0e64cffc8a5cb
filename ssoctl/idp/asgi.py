"""The twin's WSGI application behind Hypercorn's ASGI interface, called once per request.

Hypercorn's own WSGI wrapper runs the application in a thread and hands every piece of
the reply back to the event loop (three cross-thread round trips per request). The twin's
work is signing, which holds the GIL, so those threads add no parallelism, only
hand-offs: measured with benchmarks/bench_serve.py, they cost more than the signing
itself. Here the whole request is read on the event loop (bounded by MAX_BODY), the
application runs once, and its reply goes out in one send.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Inline:
    """An ASGI application calling `app` (WSGI) inline, for small, CPU-bound replies."""

    def __init__(self, app: WSGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.max_body:
                # The rest is never read: the parser closes the connection after this
                # reply, so no byte of the body is taken for the next request.
                await send(_start(413, [("Content-Length", "0"), ("Connection", "close")]))
                await send({"type": "http.response.body", "body": b""})
                return
            if not message.get("more_body"):
                break
        status, headers, chunks = self._call(environ(scope, bytes(body)))
        await send(_start(status, headers))
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    def _call(self, env: dict[str, Any]) -> tuple[int, list[tuple[str, str]], list[bytes]]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> Any:
            started[:] = [int(status.split(" ", 1)[0]), headers]
            return None

        result = self.app(env, start_response)
        try:
            chunks = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return started[0], started[1], chunks


def _start(status: int, headers: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }


def environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope (PEP 3333, as Hypercorn's wrapper builds it;
    repeated headers are joined with commas)."""
    server = scope.get("server") or ("localhost", 80)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        env["REMOTE_ADDR"] = scope["client"][0]
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1")
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        env[key] = f"{env[key]},{value}" if key in env else value
    return env

"""A small real SP on python3-saml (strict mode), configured only from the IdP metadata
`ssoctl metadata export` writes. It protects /private, starts SP-initiated sign-in with
the page first asked for as RelayState, accepts IdP-initiated Responses, and does single
logout. Served on 127.0.0.1 by the standard library, reached as http://localhost:PORT."""

from __future__ import annotations

import html
import secrets
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class PythonSP:
    def __init__(self, port: int, idp_metadata: Path) -> None:
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        self.port = port
        self.base = f"http://localhost:{port}"
        self.entity_id = f"{self.base}/metadata"
        idp = OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata.read_bytes())["idp"]
        self.settings: dict[str, Any] = {
            "strict": True,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {
                    "url": f"{self.base}/acs",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "singleLogoutService": {
                    "url": f"{self.base}/sls",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            },
            "idp": idp,
            "security": {"wantAssertionsSigned": True, "wantMessagesSigned": False},
        }
        self.pending: set[str] = set()  # AuthnRequest IDs this SP sent
        self.sessions: dict[str, dict[str, Any]] = {}
        self.last_error: str | None = None
        self._server: _Server | None = None

    def reload_metadata(self, idp_metadata: Path) -> None:
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        self.settings["idp"] = OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata.read_bytes())[
            "idp"
        ]

    # -- WSGI ----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        from onelogin.saml2.auth import OneLogin_Saml2_Auth

        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        body = b""
        if environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = {
            "https": "off",
            "http_host": environ.get("HTTP_HOST", f"localhost:{self.port}"),
            "script_name": path,
            "get_data": {k: v[0] for k, v in parse_qs(query).items()},
            "post_data": {k: v[0] for k, v in parse_qs(body.decode()).items()},
        }
        auth = OneLogin_Saml2_Auth(request, self.settings)
        cookie = _cookie(environ.get("HTTP_COOKIE"), "sp_session")
        session = self.sessions.get(cookie or "")
        if path == "/acs":
            auth.process_response(request_id=None)
            in_response_to = auth.get_last_response_in_response_to()
            errors = auth.get_errors()
            if in_response_to is not None and in_response_to not in self.pending:
                errors.append(f"unknown InResponseTo {in_response_to}")
            if errors or not auth.is_authenticated():
                self.last_error = f"{errors} {auth.get_last_error_reason()}"
                return _page(start, "403 Forbidden", f"SP refused the Response: {self.last_error}")
            self.pending.discard(in_response_to or "")
            token = secrets.token_hex(16)
            self.sessions[token] = {
                "name_id": auth.get_nameid(),
                "attributes": auth.get_attributes(),
                "session_index": auth.get_session_index(),
            }
            relay = request["post_data"].get("RelayState") or "/private"
            target = relay if relay.startswith("/") else "/private"
            return _redirect(start, target, f"sp_session={token}; Path=/; HttpOnly")
        if path.startswith("/private"):
            if session is None:
                target = path + (f"?{query}" if query else "")
                url = auth.login(return_to=target)
                self.pending.add(auth.get_last_request_id())
                return _redirect(start, url)
            attributes = "".join(
                f"<li>{html.escape(k)}: {html.escape(', '.join(v))}</li>"
                for k, v in session["attributes"].items()
            )
            return _page(
                start,
                "200 OK",
                f"Python SP: signed in as <span id='user'>{html.escape(session['name_id'])}</span>"
                f" at <span id='page'>{html.escape(path + ('?' + query if query else ''))}</span>"
                f"<ul>{attributes}</ul><a id='logout' href='/logout'>Sign out</a>",
            )
        if path == "/logout" and session is not None:
            url = auth.logout(
                return_to=f"{self.base}/signed-out",
                name_id=session["name_id"],
                session_index=session["session_index"],
            )
            return _redirect(start, url)
        if path == "/sls":
            auth.process_slo(keep_local_session=True)
            errors = auth.get_errors()
            if errors:
                why = auth.get_last_error_reason()
                if "invalid_logout_response" in errors:  # process_slo keeps no reason: ask
                    from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response

                    check = OneLogin_Saml2_Logout_Response(
                        auth.get_settings(), request["get_data"]["SAMLResponse"]
                    )
                    check.is_valid(request)
                    why = check.get_error()
                reason = html.escape(f"{errors} {why}")
                return _page(
                    start, "403 Forbidden", f"<span id='slo-refused'>SLO refused: {reason}</span>"
                )
            if cookie:
                self.sessions.pop(cookie, None)
            return _page(
                start, "200 OK", "<span id='signed-out'>Signed out of the Python SP</span>"
            )
        return _page(start, "404 Not Found", "not here")

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1", self.port, self, server_class=_Server, handler_class=_Quiet
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _page(start: Callable[..., Any], status: str, body: str) -> list[bytes]:
    data = f"<!DOCTYPE html><html><body>{body}</body></html>".encode()
    start(
        status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _redirect(start: Callable[..., Any], location: str, cookie: str | None = None) -> list[bytes]:
    headers = [("Location", location), ("Content-Length", "0")]
    if cookie:
        headers.append(("Set-Cookie", cookie))
    start("303 See Other", headers)
    return [b""]

"""The test SP for one app (WSGI): `/` starts an SP-initiated sign-in (an AuthnRequest
over Redirect to the app's IdP: the twin or real Entra, at the same URL), the ACS checks
the POSTed Response with exactly `assertion verify --app`'s trust and expectations
(signin.expectations_for and saml.verify: one core call) and shows the verdict,
`/metadata` serves the SP's metadata, `/logout` starts single logout."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from ssoctl.errors import SsoctlError
from ssoctl.sp.pages import message_page, result_page

MAX_PENDING = 1000
PENDING_FOR = dt.timedelta(minutes=10)


@dataclass
class SpOptions:
    app: str
    base_url: str  # https://localhost:8444, or the app's own host with --as-app
    acs_path: str  # /acs, or the Reply URL's path with --as-app
    as_app: bool = False
    log: IO[str] | None = None
    allowed_hosts: frozenset[str] = frozenset()
    decryption_key: Any = None  # xmlenc.load_key: for encrypted assertions
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}{self.acs_path}"


class LocalSP:
    """The WSGI application. `state` gives the tenant file, reloaded when it changes."""

    def __init__(self, state: Any, options: SpOptions) -> None:
        self.state = state
        self.options = options
        self._pending: dict[str, dt.datetime] = {}  # AuthnRequest IDs sent, and when
        self._last: dict[str, Any] | None = None  # the last accepted sign-in, for logout
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        status, headers, body = self.handle(environ)
        start_response(
            status,
            [
                ("Content-Length", str(len(body))),
                *headers,
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0].strip("[]").lower()
        if self.options.allowed_hosts and host not in self.options.allowed_hosts:
            return "421 Misdirected Request", [], b""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO") or "/"
        html = [("Content-Type", "text/html; charset=utf-8")]
        try:
            if method == "POST" and path == self.options.acs_path:
                return "200 OK", html, self._acs(environ)
            if method == "GET" and (path == "/" or path == self._sign_on_path()):
                return "302 Found", [("Location", self._start(environ))], b""
            if method == "GET" and path == "/metadata":
                return (
                    "200 OK",
                    [("Content-Type", "application/samlmetadata+xml")],
                    self._metadata(),
                )
            if method == "GET" and path == "/logout":
                return self._logout()
            if method == "GET" and path == "/slo":
                return self._slo(environ.get("QUERY_STRING", ""))
        except SsoctlError as exc:
            return "400 Bad Request", html, message_page("Refused", exc.render())
        return "404 Not Found", html, message_page("Not found", f"{method} {path}")

    # -- sign-in ------------------------------------------------------------------------

    def _model(self) -> Any:
        return self.state.current()

    def _sign_on_path(self) -> str | None:
        """The app's Sign-on URL path when it points at this SP: a My Apps tile (or the
        twin's launch) opens it, and the SP-initiated sign-in starts there too."""
        entry = self._model().model.apps[self.options.app]
        if not entry.sign_on_url:
            return None
        here, there = urlsplit(self.options.base_url), urlsplit(entry.sign_on_url)
        if (here.scheme, here.hostname, here.port) != (there.scheme, there.hostname, there.port):
            return None
        return there.path or "/"

    def _start(self, environ: dict[str, Any]) -> str:
        from ssoctl.endpoints import idp_endpoints
        from ssoctl.saml import bindings
        from ssoctl.saml.sprequests import authn_request

        loaded = self._model()
        model = loaded.model
        entry = model.apps[self.options.app]
        now = self.options.clock()
        request_id = f"_{uuid.uuid4()}"
        with self._lock:
            self._pending = {k: v for k, v in self._pending.items() if now - v < PENDING_FOR}
            if len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[request_id] = now
        idp = idp_endpoints(str(model.tenant.id), model.tenant.cloud)
        acs = self.options.acs_url if self.options.acs_url in entry.reply_urls else None
        xml = authn_request(
            request_id=request_id,
            issuer=entry.identifiers[0] if entry.identifiers else "",
            destination=idp.login_url,
            acs_url=acs,
            now=now,
        )
        query = parse_qs(environ.get("QUERY_STRING", ""))
        relay = (query.get("RelayState") or [entry.relay_state or ""])[0] or None
        return bindings.redirect_url(idp.login_url, "SAMLRequest", xml, relay)

    def _acs(self, environ: dict[str, Any]) -> bytes:
        from ssoctl.idp.server import MAX_BODY

        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        raw = (form.get("SAMLResponse") or [""])[0]
        if not raw:
            return message_page("Refused", "the POST has no SAMLResponse.")
        result = self.check(raw, (form.get("RelayState") or [None])[0])
        self._log(result)
        if result["valid"]:
            self._last = {
                "name_id": result["name_id"],
                "format": result["name_id_format"],
                "session_index": result["session_index"],
            }
        return result_page(result, as_app=self.options.as_app)

    def check(self, saml_response: str, relay_state: str | None) -> dict[str, Any]:
        """The verdict on one POSTed Response, as a plain dict (the page and the log)."""
        from lxml import etree

        from ssoctl.saml import bindings, xml
        from ssoctl.saml.verify import verify_response
        from ssoctl.signin import expectations_for
        from ssoctl.tenant import gallery

        loaded = self._model()
        app = self.options.app
        entry = loaded.model.apps[app]
        decoded = bindings.decode(saml_response, "the POSTed SAMLResponse")
        root = xml.parse(decoded.xml, "the POSTed SAMLResponse")
        now = self.options.clock()
        answered = root.get("InResponseTo")
        with self._lock:
            sent = answered is not None and self._pending.pop(answered, None) is not None
        # An answer to a request this SP never sent (or sent long ago) must fail the
        # InResponseTo check, not pass as IdP-initiated.
        expected = answered if sent else ("(no request of this SP)" if answered else None)
        outcome = verify_response(
            root,
            expectations_for(
                loaded,
                app,
                at=now,
                in_response_to=expected,
                decryption_key=self.options.decryption_key,
            ),
        )
        summary = outcome.summary or {}
        attributes: dict[str, list[str]] = dict(summary.get("attributes") or {})
        template = gallery.get(entry.template)
        requirements = [
            {
                "claim": claim,
                "met": any(v for v in attributes.get(claim, [])),
                "why": f"{template.display_name} requires it ({source})",
            }
            for claim, source in template.required_claims.items()
        ]
        session = root.find(".//{urn:oasis:names:tc:SAML:2.0:assertion}AuthnStatement")
        etree.indent(root)
        return {
            "time": now.isoformat(),
            "app": app,
            "template": template.display_name,
            "valid": outcome.valid and all(r["met"] for r in requirements),
            "checks": [{"check": c.name, "ok": c.ok, "reason": c.reason} for c in outcome.checks],
            "name_id": summary.get("name_id"),
            "name_id_format": summary.get("name_id_format"),
            "attributes": attributes,
            "requirements": requirements,
            "relay_state": relay_state,
            "session_index": session.get("SessionIndex") if session is not None else None,
            "xml": etree.tostring(root, encoding="unicode"),
        }

    def _log(self, result: dict[str, Any]) -> None:
        if self.options.log is not None:
            self.options.log.write(json.dumps(result, ensure_ascii=False) + "\n")
            self.options.log.flush()

    # -- metadata and logout ---------------------------------------------------------------

    def _metadata(self) -> bytes:
        from ssoctl.saml.sprequests import sp_metadata

        entry = self._model().model.apps[self.options.app]
        return sp_metadata(
            entity_id=entry.identifiers[0] if entry.identifiers else self.options.base_url,
            acs_url=self.options.acs_url,
            logout_url=f"{self.options.base_url}/slo",
        )

    def _logout(self) -> tuple[str, list[tuple[str, str]], bytes]:
        from ssoctl.endpoints import idp_endpoints
        from ssoctl.saml import bindings
        from ssoctl.saml.sprequests import logout_request

        html = [("Content-Type", "text/html; charset=utf-8")]
        if self._last is None:
            return "200 OK", html, message_page("Not signed in", "No sign-in to end.")
        loaded = self._model()
        model = loaded.model
        entry = model.apps[self.options.app]
        idp = idp_endpoints(str(model.tenant.id), model.tenant.cloud)
        xml = logout_request(
            request_id=f"_{uuid.uuid4()}",
            issuer=entry.identifiers[0] if entry.identifiers else "",
            destination=idp.logout_url,
            name_id=str(self._last["name_id"]),
            name_id_format=self._last["format"],
            session_index=self._last["session_index"],
            now=self.options.clock(),
        )
        self._last = None
        return (
            "302 Found",
            [("Location", bindings.redirect_url(idp.logout_url, "SAMLRequest", xml))],
            b"",
        )

    def _slo(self, query: str) -> tuple[str, list[tuple[str, str]], bytes]:
        """The SP's Logout URL. A LogoutRequest (Entra telling every participant when
        another one signs out) ends this SP's session and is answered; a LogoutResponse
        ends the logout this SP started, and the page shows whose Issuer it carried."""
        from ssoctl.endpoints import idp_endpoints
        from ssoctl.saml import bindings, xml
        from ssoctl.saml.error_response import logout_response
        from ssoctl.saml.xml import tag, text_of

        html = [("Content-Type", "text/html; charset=utf-8")]
        if "SAMLRequest=" not in query and "SAMLResponse=" not in query:
            return "400 Bad Request", html, message_page("Refused", "No SAML message.")
        decoded = bindings.decode(query, "the logout message")
        root = xml.parse(decoded.xml, "the logout message")
        model = self._model().model
        idp = idp_endpoints(str(model.tenant.id), model.tenant.cloud)
        issuer = text_of(root.find(tag("saml", "Issuer")))
        self._last = None
        if root.tag == tag("samlp", "LogoutRequest"):
            entry = model.apps[self.options.app]
            answer = logout_response(
                entry.identifiers[0] if entry.identifiers else self.options.base_url,
                idp.logout_url,
                root.get("ID"),
                self.options.clock(),
                f"_{uuid.uuid4()}",
            )
            location = bindings.redirect_url(idp.logout_url, "SAMLResponse", answer)
            self._log({"logout_request": root.get("ID"), "issuer": issuer})
            return "302 Found", [("Location", location)], b""
        if root.tag != tag("samlp", "LogoutResponse"):
            return "400 Bad Request", html, message_page("Refused", "Not a logout message.")
        self._log({"logout_response": root.get("InResponseTo"), "issuer": issuer})
        return (
            "200 OK",
            html,
            message_page(
                "Signed out",
                f"The IdP answered the logout request; this SP's session ended. Its Issuer "
                f"was {issuer}: Entra's LogoutResponses carry {idp.logout_issuer}, not the "
                f"entity ID {idp.entity_id}, so the SP you test must accept that one.",
            ),
        )


def base_of(url: str) -> tuple[str, str]:
    """(scheme://host[:port], path) of a Reply URL, for --as-app."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/"

"""The twin as a WSGI application, at Entra's own paths.

    /{tid}/saml2                        SSO (HTTP-Redirect and HTTP-POST AuthnRequests),
                                        SLO (HTTP-Redirect LogoutRequests)
    /{tid}/federationmetadata/2007-06/federationmetadata.xml?appid=…
                                        the app's signed App Federation Metadata
    /                                   My Apps for the signed-in test user
    /signin/{AppName}/{appId}?tenantId=…
                                        the My Apps direct link
    /_twin/pick, /_twin/signout, /_twin/launch/{app}
                                        the twin's own pages (the user picker stands in
                                        for Entra's sign-in: no passwords)

Requests are checked by the same core as `assertion issue --request`; a refusal is an
Entra-style error page with its AADSTS code (or, with error_mode "saml" and a registered
ACS, a SAML error Response). Nothing malformed produces a 500 or a traceback.

What a web page elsewhere can make the browser do is bounded:
- a request whose Host is not one the twin serves (a name rebound to 127.0.0.1) gets an
  empty 421, so no page can read a signed Response out of the twin (DNS rebinding);
- picking a user and launching an app take a POST from the twin's own form: a token
  bound to this browser (session.py), an Origin that is the twin's, and no cross-site
  Sec-Fetch-Site (login CSRF). A direct link opened from elsewhere shows a button.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs, urlencode

from ssoctl.endpoints import idp_endpoints
from ssoctl.errors import EntraRefusal, SsoctlError
from ssoctl.idp import pages
from ssoctl.idp.server import served_hosts
from ssoctl.idp.session import Session, SessionCodec
from ssoctl.idp.state import TenantState
from ssoctl.tenant import LoadedTenant, PassphraseSource, local_app_id

MAX_QUERY = 32 * 1024  # a deflated AuthnRequest is a few KB
MAX_BODY = 1024 * 1024  # the HTTP layer refuses larger bodies first (server.MAX_BODY)
MAX_HEAD = 16 * 1024  # all request headers together (server.MAX_HEAD)
# A real AuthnRequest or LogoutRequest is a few KB once inflated; this bounds what each
# request may cost in memory (one request at a time per server process).
MAX_INFLATED = 64 * 1024
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "form-action http: https:; base-uri 'none'; frame-ancestors 'none'"
)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Headers = list[tuple[str, str]]


@dataclass
class Reply:
    status: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: Headers = field(default_factory=list)


@dataclass
class RequestLog:
    """One JSON line of --log-json: what came in, each check, what was sent."""

    method: str
    path: str
    request: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, Any] | None = None
    error: str | None = None
    csrf: str = field(default="", repr=False)  # this browser's form token; never logged

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append({"check": name, "ok": ok, "detail": detail})


class Refused(Exception):
    """A refusal to show as Entra's error page (or a SAML error Response)."""

    def __init__(
        self,
        code: str | None,
        text: str,
        *,
        status: str = "400 Bad Request",
        acs: str | None = None,
        request_id: str | None = None,
        relay_state: str | None = None,
    ) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.status = status
        self.acs = acs
        self.request_id = request_id
        self.relay_state = relay_state


@dataclass
class TwinOptions:
    error_mode: str = "page"  # page | saml
    secure_cookies: bool = False
    passphrase: PassphraseSource = lambda _path: None
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    log: IO[str] | None = None
    # Host names answered; others get a 421. `idp serve` adds its bound address.
    allowed_hosts: frozenset[str] = field(default_factory=lambda: served_hosts("127.0.0.1", []))


class Twin:
    """The WSGI callable."""

    def __init__(self, state: TenantState, options: TwinOptions | None = None) -> None:
        self.state = state
        self.options = options or TwinOptions()
        self.codec = SessionCodec()
        self._log_lock = threading.Lock()

    # -- WSGI ----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/"))
        log = RequestLog(method, path)
        refused = self._refused_before_dispatch(environ)
        if refused is not None:
            status, why, extra = refused
            log.error = why
            self._write_log(log, status)
            start_response(status, [("Content-Length", "0"), *extra])
            return [b""]
        cookie = environ.get("HTTP_COOKIE")
        nonce = self.codec.csrf_nonce(cookie)
        fresh_nonce = nonce is None
        if nonce is None:
            import secrets

            nonce = secrets.token_urlsafe(32)
        log.csrf = self.codec.csrf_token(nonce)
        reply = self._reply(environ, method, path, log)
        self._write_log(log, reply.status)
        if fresh_nonce:
            reply.headers.append(
                ("Set-Cookie", self.codec.csrf_cookie(nonce, self.options.secure_cookies))
            )
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", CSP),
            ("Referrer-Policy", "no-referrer"),
            *reply.headers,
        ]
        start_response(reply.status, headers)
        return [reply.body] if method != "HEAD" else [b""]

    def _refused_before_dispatch(
        self, environ: dict[str, Any]
    ) -> tuple[str, str, list[tuple[str, str]]] | None:
        """(status, why, headers) of a request answered with an empty reply before the
        twin looks at it, or None. Both framings are a smuggling attempt: RFC 9112 6.3
        says refuse and close, so nothing after it is read from the connection. The
        parser caps a head that arrives in pieces; this caps any head. A Host the twin
        does not serve is a name rebound to this address (DNS rebinding)."""
        if "HTTP_TRANSFER_ENCODING" in environ and environ.get("CONTENT_LENGTH"):
            why = "Content-Length with Transfer-Encoding"
            return "400 Bad Request", why, [("Connection", "close")]
        head = sum(len(k) + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))
        if head > MAX_HEAD:
            return "431 Request Header Fields Too Large", f"request headers of {head} bytes", []
        if not self._host_served(environ):
            host = str(environ.get("HTTP_HOST", ""))[:100]
            return "421 Misdirected Request", f"host not served: {host}", []
        return None

    def _reply(self, environ: dict[str, Any], method: str, path: str, log: RequestLog) -> Reply:
        """Always a reply: a refusal whose own answer fails (a SAML error Response to an
        ACS that cannot take one) falls back to the error page, and a bug is a plain 500."""
        try:
            try:
                return self._dispatch(environ, method, path, log)
            except Refused as refusal:
                log.error = refusal.code or refusal.text[:200]
                return self._refusal(refusal, log)
            except SsoctlError as exc:  # malformed input, unreadable key...: never a 500
                log.error = exc.message[:200]
                return self._refusal(Refused(getattr(exc, "code", None), exc.message), log)
        except Exception as exc:  # a bug: a plain page, never a traceback
            log.error = f"internal error: {type(exc).__name__}"
            return Reply(
                "500 Internal Server Error",
                pages.message(
                    "Internal error", "The twin hit a bug; see its log.", tenant="", banner=None
                ).encode(),
            )

    def _host_served(self, environ: dict[str, Any]) -> bool:
        """The Host header names this twin (DNS rebinding gets nothing)."""
        host = str(environ.get("HTTP_HOST") or "").strip().lower()
        if host.startswith("["):  # [::1]:8443
            name = host[1:].partition("]")[0]
        else:
            name = host.rpartition(":")[0] if host.count(":") == 1 else host
        return bool(name) and name in self.options.allowed_hosts

    def _same_origin(self, environ: dict[str, Any]) -> bool:
        """A POST to the twin's own pages must come from the twin's own page: no
        cross-site Sec-Fetch-Site, and an Origin (when sent) that names a served host."""
        if environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in ("same-origin", "none"):
            return False
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or origin == "null":
            # "null": the twin's pages set Referrer-Policy no-referrer, so a browser sends
            # Origin: null even for its own form; the token decides then.
            return True
        from urllib.parse import urlsplit

        host = (urlsplit(str(origin)).hostname or "").lower()
        return host in self.options.allowed_hosts

    def _form_checked(self, environ: dict[str, Any], form: dict[str, str]) -> None:
        if not self._same_origin(environ) or not self.codec.csrf_valid(
            environ.get("HTTP_COOKIE"), form.get("csrf")
        ):
            raise Refused(
                None,
                "This form did not come from the twin's own page (its token is missing or "
                "stale, or another site sent it). Open the twin's page and try again.",
                status="403 Forbidden",
            )

    def _dispatch(self, environ: dict[str, Any], method: str, path: str, log: RequestLog) -> Reply:
        query = str(environ.get("QUERY_STRING", ""))
        if len(query) > MAX_QUERY:
            raise Refused(
                None, "The request's query string is too long.", status="414 URI Too Long"
            )
        loaded = self.state.current()
        tid = str(loaded.model.tenant.id)
        session = self.codec.load(environ.get("HTTP_COOKIE"))
        form = self._form(environ) if method == "POST" else {}
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path == "/":
            return self._my_apps(loaded, session, log)
        if path == "/_twin/pick":
            if method == "POST":
                self._form_checked(environ, form)
                return self._picked(loaded, form, log)
            return self._picker(loaded, {}, None, log)
        if path == "/_twin/signout":
            return self._redirect("/", Session())
        if path.startswith("/_twin/launch/"):
            app = path.removeprefix("/_twin/launch/")
            if method == "POST":
                self._form_checked(environ, form)
                return self._launch(loaded, session, app, log)
            return self._confirm_launch(loaded, session, app, log)
        match = re.fullmatch(r"/signin/([^/]+)/([^/]+)", path)
        if match:
            return self._direct_link(loaded, session, match[1], match[2], log)
        lowered = path.lower()
        if lowered == f"/{tid}/saml2":
            return self._saml2(loaded, session, method, query, form, log)
        if lowered == f"/{tid}/federationmetadata/2007-06/federationmetadata.xml":
            return self._metadata(loaded, params.get("appid"), log)
        if re.fullmatch(r"/[0-9a-f-]{36}/(saml2|federationmetadata/.*)", lowered):
            raise Refused(
                "AADSTS90002",
                f"AADSTS90002: Tenant '{path.split('/')[1]}' not found. This twin serves "
                f"tenant {tid} only.",
                status="404 Not Found",
            )
        return Reply("404 Not Found", self._html_message("Not found", f"No page at {path}."))

    # -- sign-in -------------------------------------------------------------------------

    def _saml2(
        self,
        loaded: LoadedTenant,
        session: Session,
        method: str,
        query: str,
        form: dict[str, str],
        log: RequestLog,
    ) -> Reply:

        if method == "GET":
            raw = query
        elif method == "POST":
            raw = urlencode({k: v for k, v in form.items() if k in ("SAMLRequest", "RelayState")})
        else:
            raise Refused(
                "AADSTS75003",
                "AADSTS75003: The request was sent with a binding Entra does not accept here; "
                "use HTTP-Redirect or HTTP-POST.",
                status="405 Method Not Allowed",
            )
        if "SAMLResponse=" in raw and "SAMLRequest=" not in raw:
            return self._logout_answer(loaded, session, raw, log)
        if "SAMLRequest=" not in raw:
            raise Refused(
                "AADSTS750054",
                "AADSTS750054: SAMLRequest or SAMLResponse must be present as query string "
                "parameters in HTTP request for SAML Redirect binding.",
            )
        decoded, root = saml_message(raw)
        local = etree_localname(root)
        if local == "LogoutRequest":
            return self._logout(loaded, session, root, decoded.relay_state, log)
        return self._authn_request(loaded, session, root, raw, decoded.relay_state, log)

    def _authn_request(
        self,
        loaded: LoadedTenant,
        session: Session,
        root: Any,
        raw: str,
        relay_state: str | None,
        log: RequestLog,
    ) -> Reply:
        from ssoctl.saml import authnrequest

        try:
            request = authnrequest.read(root)
        except SsoctlError as exc:  # another message than an AuthnRequest
            raise Refused("AADSTS75005", f"{AADSTS75005} ({exc.message})") from None
        log.request = {
            "id": request.id,
            "issuer": request.issuer,
            "acs": request.acs_url,
            "protocol_binding": request.protocol_binding,
            "name_id_policy": request.name_id_format,
            "requested_authn_context": list(request.requested_contexts),
            "relay_state": relay_state,
        }
        app = self._app_for_issuer(loaded, request.issuer)
        if app is None:
            log.check("identifier", False, str(request.issuer))
            raise Refused(
                "AADSTS700016",
                f"AADSTS700016: Application with identifier '{request.issuer}' was not found in "
                f"the directory '{loaded.model.tenant.domain}'. This can happen if the "
                "application has not been installed by the administrator of the tenant or "
                "consented to by any user in the tenant. (Entra may show AADSTS65005 for the "
                "same problem.)",
            )
        log.check("identifier", True, app)
        entry = loaded.model.apps[app]
        try:
            # Entra's texts name the Application ID; without a recorded one the twin's own
            # is labelled, so that nobody pastes it as Entra's.
            shown_id = (
                str(entry.app_id)
                if entry.app_id
                else f"{self._app_id(loaded, app)} (the twin's local ID, not Entra's: the app "
                "has no app_id in the tenant file)"
            )
            checked = authnrequest.check(
                root, list(entry.identifiers), list(entry.reply_urls), shown_id
            )
        except EntraRefusal as refusal:
            log.check("request", False, refusal.code)
            raise Refused(refusal.code, refusal.entra_text or refusal.message) from None
        log.check("request", True, "as `ssoctl assertion issue --request` checks it")
        if session.upn is None:
            return self._picker(
                loaded, {"SAMLRequest_query": raw, "RelayState": relay_state or ""}, app, log
            )
        return self._respond(loaded, session, app, checked, relay_state, log)

    def _respond(
        self,
        loaded: LoadedTenant,
        session: Session,
        app: str,
        request: Any,
        relay_state: str | None,
        log: RequestLog,
    ) -> Reply:
        """Issue the signed Response for the session's user and auto-post it to the ACS."""
        from ssoctl.saml import bindings
        from ssoctl.saml.html import post_form
        from ssoctl.signin import SignInRequest, issue
        from ssoctl.tenant import pairwise_secret

        assert session.upn is not None
        now = self.options.clock()
        acs = (request.acs_url if request is not None else None) or (
            loaded.model.apps[app].reply_urls[0] if loaded.model.apps[app].reply_urls else None
        )
        ask = SignInRequest(
            app=app,
            upn=session.upn,
            now=now,
            request=request,
            request_relay_state=relay_state,
            pairwise_secret=lambda: pairwise_secret(loaded),
        )
        try:
            issued = issue(loaded, ask, self.options.passphrase)
        except EntraRefusal as refusal:
            log.check("sign-in", False, refusal.code)
            raise Refused(
                refusal.code,
                refusal.entra_text or refusal.message,
                acs=acs,
                request_id=request.id if request is not None else None,
                relay_state=relay_state,
            ) from None
        log.check("sign-in", True, session.upn)
        data, response_id, assertion_id = issued.response_with_ids(lambda: f"_{uuid.uuid4()}")
        spec = issued.spec
        log.sent = {
            "response_id": response_id,
            "acs": spec.destination,
            "user": session.upn,
            "name_id": spec.name_id,
            "relay_state": issued.relay_state,
            "in_response_to": spec.in_response_to,
            "encrypted": issued.encrypt_for is not None,  # for the app's token encryption
            # e.g. that a local test key signed it, as Entra's key stays in Entra
            "warnings": list(issued.warnings),
        }
        html = post_form(spec.destination, bindings.encode_post(data), issued.relay_state)
        name_ids = {**session.name_ids, app: [spec.name_id, spec.name_id_format, assertion_id]}
        signed_in = Session(session.upn, sorted({*session.apps, app}), name_ids)
        return Reply("200 OK", html.encode(), headers=[self._cookie(signed_in)])

    # -- My Apps, the picker, launching --------------------------------------------------

    def _my_apps(self, loaded: LoadedTenant, session: Session, log: RequestLog) -> Reply:
        if session.upn is None or loaded.model.user(session.upn) is None:
            return self._picker(loaded, {}, None, log)
        model = loaded.model
        tiles = []
        for name in model.apps_for(session.upn):
            tiles.append(
                pages.Tile(
                    app=name,
                    display_name=app_title(model, name),
                    launch=f"/_twin/launch/{name}",
                    kind="SP-initiated: opens the app"
                    if model.apps[name].sign_on_url
                    else "IdP-initiated: signs you in",
                )
            )
        body = pages.my_apps(
            session.upn, tiles, tenant=self._tenant(loaded), banner=self.state.error, csrf=log.csrf
        )
        return Reply("200 OK", body.encode())

    def _picker(
        self, loaded: LoadedTenant, hidden: dict[str, str], app: str | None, log: RequestLog
    ) -> Reply:
        model = loaded.model
        users = [
            pages.UserChoice(
                u.upn, u.display_name or u.upn, [app_title(model, a) for a in model.apps_for(u.upn)]
            )
            for u in model.users
        ]
        body = pages.picker(
            users,
            {**hidden, "csrf": log.csrf},
            tenant=self._tenant(loaded),
            banner=self.state.error,
            app=app,
        )
        return Reply("200 OK", body.encode())

    def _picked(self, loaded: LoadedTenant, form: dict[str, str], log: RequestLog) -> Reply:
        upn = form.get("upn", "")
        user = loaded.model.user(upn)
        if user is None:
            raise Refused(
                "AADSTS50034",
                f"AADSTS50034: The user account {upn} does not exist in the "
                f"{loaded.model.tenant.domain} directory.",
            )
        session = Session(user.upn, [])
        log.check("pick", True, user.upn)
        if form.get("SAMLRequest_query"):
            raw = form["SAMLRequest_query"]
            if len(raw) > MAX_QUERY:
                raise Refused(None, "The pending request is too long.")
            decoded, root = saml_message(raw)
            return self._authn_request(loaded, session, root, raw, decoded.relay_state, log)
        if form.get("launch"):
            return self._launch(loaded, session, form["launch"], log)
        return self._redirect("/", session)

    def _launch(self, loaded: LoadedTenant, session: Session, app: str, log: RequestLog) -> Reply:
        """A My Apps tile or "Test this application": an app with a Sign-on URL is opened
        there (the SP starts an SP-initiated sign-in); otherwise an IdP-initiated Response
        is posted, with the app's Relay State."""
        entry = loaded.model.apps.get(app)
        if entry is None:
            return Reply("404 Not Found", self._html_message("Not found", f"No app {app!r}."))
        if session.upn is None:
            return self._picker(loaded, {"launch": app}, app, log)
        log.request = {"launch": app, "sign_on_url": entry.sign_on_url}
        if entry.sign_on_url:
            log.sent = {"redirect": entry.sign_on_url}
            return self._redirect(entry.sign_on_url, session)
        return self._respond(loaded, session, app, None, None, log)

    def _confirm_launch(
        self, loaded: LoadedTenant, session: Session, app: str, log: RequestLog
    ) -> Reply:
        """A launch URL or direct link followed from elsewhere (a GET): a button on the
        twin's own page starts the sign-in, never the link itself (login CSRF)."""
        entry = loaded.model.apps.get(app)
        if entry is None:
            return Reply("404 Not Found", self._html_message("Not found", f"No app {app!r}."))
        if session.upn is None:
            return self._picker(loaded, {"launch": app}, app, log)
        body = pages.launch(
            app, app, session.upn, tenant=self._tenant(loaded), banner=self.state.error,
            csrf=log.csrf,
        )  # fmt: skip
        return Reply("200 OK", body.encode())

    def _direct_link(
        self, loaded: LoadedTenant, session: Session, name: str, app_id: str, log: RequestLog
    ) -> Reply:
        app = next(
            (
                a
                for a in loaded.model.apps
                if self._app_id(loaded, a) == app_id.lower() or a == name
            ),
            None,
        )
        if app is None:
            return Reply("404 Not Found", self._html_message("Not found", "No such app."))
        return self._confirm_launch(loaded, session, app, log)

    # -- metadata and logout -------------------------------------------------------------

    def _metadata(self, loaded: LoadedTenant, app_id: str | None, log: RequestLog) -> Reply:
        from ssoctl.federation import app_metadata

        app = next(
            (a for a in loaded.model.apps if app_id and self._app_id(loaded, a) == app_id.lower()),
            None,
        )
        log.request = {"metadata_appid": app_id}
        if app is None:
            known = ", ".join(f"{a} ({self._app_id(loaded, a)})" for a in loaded.model.apps)
            raise Refused(
                None,
                "The twin serves App Federation Metadata per app (?appid=APPLICATION-ID); "
                "Entra never publishes an app's certificates in the tenant-wide metadata. "
                f"Apps: {known}.",
                status="404 Not Found",
            )
        made = app_metadata(loaded, app, self.options.clock(), passphrase=self.options.passphrase)
        log.sent = {"metadata": app, "certificates": [e.name for e in made.certificates]}
        return Reply("200 OK", made.xml, content_type="application/samlmetadata+xml")

    def _logout(
        self,
        loaded: LoadedTenant,
        session: Session,
        root: Any,
        relay_state: str | None,
        log: RequestLog,
    ) -> Reply:
        """A participant's LogoutRequest: tell every other app of this session that has a
        Logout URL (front channel, one after the other), then answer the participant."""
        from ssoctl.idp import logout

        request = logout.read(root)
        log.request = {"logout": request.id, "issuer": request.issuer, "name_id": request.name_id}
        app = self._app_for_issuer(loaded, request.issuer)
        if app is None:
            raise Refused(
                "AADSTS700016",
                f"AADSTS700016: Application with identifier '{request.issuer}' was not found "
                f"in the directory '{loaded.model.tenant.domain}'.",
            )
        apps = loaded.model.apps
        others = [a for a in session.apps if a != app and a in apps]
        to_tell = [a for a in others if apps[a].logout_url and a in session.name_ids]
        if len(to_tell) < len(others):
            log.check("single-logout", True, "not told (no Logout URL): "
                      + ", ".join(a for a in others if a not in to_tell))  # fmt: skip
        pending = {
            "app": app,
            "id": request.id,
            "relay": relay_state,
            "todo": to_tell,
            "out": None,
            "partial": False,
        }
        return self._next_logout(loaded, Session(None, [], session.name_ids, pending), log)

    def _next_logout(self, loaded: LoadedTenant, session: Session, log: RequestLog) -> Reply:
        """The next LogoutRequest of a single logout under way, or, when every participant
        has answered, the LogoutResponse to the app that asked."""
        from ssoctl.idp import logout
        from ssoctl.saml.error_response import logout_response
        from ssoctl.saml.sprequests import logout_request
        from ssoctl.signin import app_signer

        pending = dict(session.logout or {})
        now = self.options.clock()
        idp = idp_endpoints(str(loaded.model.tenant.id), loaded.model.tenant.cloud)
        todo = [a for a in pending.get("todo", []) if a in loaded.model.apps]
        if todo:
            participant, rest = todo[0], todo[1:]
            target = loaded.model.apps[participant]
            name_id, name_id_format, session_index = session.name_ids[participant]
            request_id = f"_{uuid.uuid4()}"
            xml_bytes = logout_request(
                request_id=request_id,
                issuer=idp.logout_issuer,  # UNCONFIRMED for requests: as its responses
                destination=str(target.logout_url),
                name_id=name_id,
                name_id_format=name_id_format,
                session_index=session_index,
                now=now,
            )
            signer = app_signer(loaded, participant, now, self.options.passphrase)
            url = logout.signed_redirect(
                str(target.logout_url), xml_bytes, None, signer.key, parameter="SAMLRequest"
            )
            log.sent = {"logout_request": target.logout_url, "app": participant, "id": request_id}
            pending.update(todo=rest, out=request_id, out_app=participant)
            return self._redirect(url, Session(None, [], session.name_ids, pending))
        ended = Session()  # the twin's session for this browser ends
        app = str(pending.get("app", ""))
        entry = loaded.model.apps.get(app)
        if entry is None or not entry.logout_url:
            log.sent = {"logout": "session ended; the app has no Logout URL"}
            body = self._html_message(
                "Signed out",
                f"You signed out of the twin. {app} has no Logout URL, so no LogoutResponse "
                f"was sent (`ssoctl app set {app} --logout-url URL`).",
            )
            return Reply("200 OK", body, headers=[self._cookie(ended)])
        xml_bytes = logout_response(
            idp.logout_issuer,  # Entra's, not the entity ID: an SP may refuse it
            entry.logout_url,
            str(pending.get("id", "")),
            now,
            f"_{uuid.uuid4()}",
            partial=bool(pending.get("partial")),
        )
        signer = app_signer(loaded, app, now, self.options.passphrase)
        relay = pending.get("relay")
        url = logout.signed_redirect(
            entry.logout_url, xml_bytes, relay if isinstance(relay, str) else None, signer.key
        )
        log.sent = {"logout_response": entry.logout_url, "in_response_to": pending.get("id")}
        return self._redirect(url, ended)

    def _logout_answer(
        self, loaded: LoadedTenant, session: Session, raw: str, log: RequestLog
    ) -> Reply:
        """A participant's LogoutResponse to the LogoutRequest the twin sent it."""
        from ssoctl.idp import logout

        _, root = saml_message(raw)
        try:
            answer = logout.read_answer(root)
        except SsoctlError as exc:
            raise Refused("AADSTS75005", f"{AADSTS75005} ({exc.message})") from None
        log.request = {"logout_response": answer.in_response_to, "issuer": answer.issuer}
        pending = session.logout
        if not pending or not answer.in_response_to or answer.in_response_to != pending.get("out"):
            raise Refused(
                None,
                "No single logout is waiting for this LogoutResponse (its InResponseTo "
                f"{answer.in_response_to!r} names no LogoutRequest this twin sent this browser).",
            )
        log.check("single-logout", answer.success, str(pending.get("out_app")))
        partial = bool(pending.get("partial")) or not answer.success
        updated = {**pending, "out": None, "partial": partial}
        return self._next_logout(loaded, Session(None, [], session.name_ids, updated), log)

    # -- helpers -------------------------------------------------------------------------

    def _app_id(self, loaded: LoadedTenant, app: str) -> str:
        """Entra's Application ID when recorded, else the twin's local one (uuid5)."""
        entry = loaded.model.apps[app]
        return str(entry.app_id) if entry.app_id else local_app_id(str(loaded.model.tenant.id), app)

    def _app_for_issuer(self, loaded: LoadedTenant, issuer: str | None) -> str | None:
        for name, entry in loaded.model.apps.items():
            if issuer is not None and issuer in entry.identifiers:
                return name
        return None

    def _form(self, environ: dict[str, Any]) -> dict[str, str]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise Refused(None, "The request body is too large.", status="413 Content Too Large")
        # Read what came, not what Content-Length claims: a chunked body has none.
        body = environ["wsgi.input"].read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise Refused(None, "The request body is too large.", status="413 Content Too Large")
        text = body.decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def _cookie(self, session: Session) -> tuple[str, str]:
        return ("Set-Cookie", self.codec.set_cookie(session, self.options.secure_cookies))

    def _redirect(self, location: str, session: Session | None = None) -> Reply:
        headers: Headers = [("Location", location)]
        if session is not None:
            headers.append(self._cookie(session))
        return Reply("303 See Other", b"", headers=headers)

    def _tenant(self, loaded: LoadedTenant) -> str:
        return f"{loaded.model.tenant.domain} ({loaded.model.tenant.id})"

    def _html_message(self, title: str, text: str) -> bytes:
        loaded = self.state.current()
        return pages.message(
            title, text, tenant=self._tenant(loaded), banner=self.state.error
        ).encode()

    def _refusal(self, refusal: Refused, log: RequestLog) -> Reply:
        if self.options.error_mode == "saml" and refusal.acs and refusal.code:
            try:
                return self._saml_error(refusal, log)
            except Exception as exc:  # an ACS that cannot take the Response: the page
                log.error = f"{refusal.code}; no SAML error Response: {type(exc).__name__}"
        now = self.options.clock()
        details = pages.ErrorDetails(
            code=refusal.code,
            text=refusal.text,
            request_id=str(uuid.uuid4()),
            correlation_id=str(uuid.uuid4()),
            timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        loaded = self.state.current()
        body = pages.error(details, tenant=self._tenant(loaded), banner=self.state.error)
        return Reply(refusal.status, body.encode())

    def _saml_error(self, refusal: Refused, log: RequestLog) -> Reply:
        """A SAML Response carrying the refusal (Requester status), posted to the ACS the
        request named, which the app registers (checked before any such refusal)."""
        from ssoctl.saml import bindings
        from ssoctl.saml.error_response import error_response
        from ssoctl.saml.html import post_form

        loaded = self.state.current()
        issuer = idp_endpoints(str(loaded.model.tenant.id), loaded.model.tenant.cloud).entity_id
        assert refusal.acs is not None
        xml_bytes = error_response(
            issuer, refusal.acs, refusal.request_id, refusal.text, self.options.clock(),
            f"_{uuid.uuid4()}",
        )  # fmt: skip
        log.sent = {"saml_error": refusal.code, "acs": refusal.acs}
        html = post_form(refusal.acs, bindings.encode_post(xml_bytes), refusal.relay_state)
        return Reply("200 OK", html.encode())

    def _write_log(self, log: RequestLog, status: str) -> None:
        if self.options.log is None:
            return
        line = json.dumps(
            {
                "time": self.options.clock().isoformat(),
                "method": log.method,
                "path": log.path,
                "status": int(status.split()[0]),
                "request": log.request,
                "checks": log.checks,
                "sent": log.sent,
                "error": log.error,
            },
            ensure_ascii=False,
        )
        with self._log_lock:
            self.options.log.write(line + "\n")
            self.options.log.flush()


# Entra's code for a request that is not a SAML 2.0 message (shared/docs/entra-saml.md,
# "More codes": bad Base64, bad deflate, not XML, wrong root).
AADSTS75005 = "AADSTS75005: The request is not a valid Saml2 protocol message."


def saml_message(raw: str) -> tuple[Any, Any]:
    """The SAMLRequest of a query string or form, decoded and parsed; AADSTS75005 (as
    Entra answers) when it is not Base64, not deflated, or not XML."""
    from ssoctl.saml import bindings, xml

    try:
        decoded = bindings.decode(raw, "the SAMLRequest", max_inflated=MAX_INFLATED)
        return decoded, xml.parse(decoded.xml, "the SAMLRequest")
    except SsoctlError as exc:
        raise Refused("AADSTS75005", f"{AADSTS75005} ({exc.message})") from None


def app_title(model: Any, name: str) -> str:
    """How My Apps and the picker name an app: the gallery's display name (Mitel Connect),
    or the app's own name for a custom app."""
    from ssoctl.tenant import gallery

    template = gallery.templates().get(model.apps[name].template)
    return template.display_name if template is not None and template.name != "custom" else name


def etree_localname(root: Any) -> str:
    from lxml import etree

    return str(etree.QName(root).localname)

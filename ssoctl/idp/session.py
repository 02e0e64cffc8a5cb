"""The twin's session: which test user is signed in, kept in a cookie signed with a key
made for this run (HMAC-SHA256 from the standard library). A forged or altered cookie is
simply no session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

COOKIE = "ssoctl_twin"
CSRF_COOKIE = "ssoctl_twin_csrf"
MAX_COOKIE = 4096


@dataclass
class Session:
    upn: str | None = None
    apps: list[str] = field(default_factory=list)  # apps signed in to, for single logout
    # Per app signed in to: [NameID, its Format, SessionIndex], what a LogoutRequest to
    # that app must name.
    name_ids: dict[str, list[str]] = field(default_factory=dict)
    # A single logout under way (idp.app): the app that asked, its request's ID and
    # RelayState, the participants still to tell, the LogoutRequest out now, and
    # whether a participant failed to sign out.
    logout: dict[str, Any] | None = None


class SessionCodec:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(
            hmac.new(self._key, payload, hashlib.sha256).digest()
        ).decode()

    def dump(self, session: Session) -> str:
        payload = json.dumps(
            {
                "upn": session.upn,
                "apps": session.apps,
                "name_ids": session.name_ids,
                "logout": session.logout,
            },
            separators=(",", ":"),
        )
        encoded = base64.urlsafe_b64encode(payload.encode()).decode()
        return f"{encoded}.{self._mac(payload.encode())}"

    def load(self, cookie_header: str | None) -> Session:
        value = _cookie(cookie_header, COOKIE)
        if not value or len(value) > MAX_COOKIE or "." not in value:
            return Session()
        encoded, mac = value.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(encoded.encode())
        except (ValueError, TypeError):
            return Session()
        if not hmac.compare_digest(mac, self._mac(payload)):
            return Session()
        try:
            data = json.loads(payload)
        except ValueError:
            return Session()
        if not isinstance(data, dict):
            return Session()
        upn, apps = data.get("upn"), data.get("apps")
        name_ids, logout = data.get("name_ids"), data.get("logout")
        return Session(
            upn if isinstance(upn, str) else None,
            [a for a in apps if isinstance(a, str)] if isinstance(apps, list) else [],
            {
                app: ids
                for app, ids in (name_ids.items() if isinstance(name_ids, dict) else ())
                if isinstance(ids, list) and len(ids) == 3 and all(isinstance(i, str) for i in ids)
            },
            logout if isinstance(logout, dict) else None,
        )

    # -- login CSRF: the twin's own forms carry a token bound to this browser -------------
    # A random nonce lives in its own cookie; each form carries HMAC(key, nonce). A page
    # elsewhere can make the browser POST, but can neither read the form nor set the
    # cookie, so it cannot pick a user or launch an app for the person.

    def csrf_nonce(self, cookie_header: str | None) -> str | None:
        value = _cookie(cookie_header, CSRF_COOKIE)
        if value and len(value) == 43 and all(c.isalnum() or c in "-_" for c in value):
            return value
        return None

    def csrf_token(self, nonce: str) -> str:
        return self._mac(b"csrf|" + nonce.encode())

    def csrf_valid(self, cookie_header: str | None, token: str | None) -> bool:
        nonce = self.csrf_nonce(cookie_header)
        return bool(nonce and token) and hmac.compare_digest(
            self.csrf_token(nonce or ""), token or ""
        )

    @staticmethod
    def csrf_cookie(nonce: str, secure: bool) -> str:
        return f"{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax" + (
            "; Secure" if secure else ""
        )

    def set_cookie(self, session: Session, secure: bool) -> str:
        attributes = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        if session.upn is None and session.logout is None:
            return f"{COOKIE}=; Max-Age=0; {attributes}"
        return f"{COOKIE}={self.dump(session)}; {attributes}"


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return None

"""The twin's HTML pages: the user picker, My Apps, Entra-style error pages. Every value
from the tenant file or a request is escaped; the pages load nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

STYLE = """
body{font-family:Segoe UI,Helvetica,Arial,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
header{background:#0067b8;color:#fff;padding:12px 24px;font-size:18px}
header small{opacity:.8;margin-left:12px}
main{max-width:880px;margin:24px auto;background:#fff;padding:24px 32px;box-shadow:0 2px 6px #0002}
h1{font-weight:600;font-size:22px}
.banner{background:#fde7e9;border-left:4px solid #a80000;padding:8px 12px;margin-bottom:16px}
.tiles{display:flex;flex-wrap:wrap;gap:16px}
.tile{width:180px;height:110px;border:1px solid #ddd;border-radius:4px;padding:12px;
      display:flex;flex-direction:column;justify-content:space-between}
.tile button,.user button,.launch button{background:#0067b8;color:#fff;border:0;
      padding:6px 12px;cursor:pointer}
.user{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #eee;
      padding:10px 0}
.muted{color:#666;font-size:13px}
.error-code{font-family:Consolas,monospace;background:#f6f6f6;padding:12px;white-space:pre-wrap}
dl.details{display:grid;grid-template-columns:140px auto;font-size:13px;color:#444}
"""


def _page(title: str, body: str, banner: str | None, tenant: str) -> str:
    warning = f'<div class="banner">{escape(banner)}</div>' if banner else ""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header>Microsoft Entra ID <small>ssoctl twin of {escape(tenant)}: local testing "
        "only</small></header>"
        f"<main>{warning}{body}</main></body></html>\n"
    )


@dataclass(frozen=True)
class UserChoice:
    upn: str
    display_name: str
    apps: list[str]


def picker(
    users: Iterable[UserChoice],
    hidden: dict[str, str],
    *,
    tenant: str,
    banner: str | None,
    app: str | None,
) -> str:
    """Pick an account: the twin's stand-in for Entra's sign-in (no passwords)."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v, quote=True)}">'
        for k, v in hidden.items()
    )
    rows = "".join(
        '<form class="user" method="post" action="/_twin/pick">'
        f'<div><strong>{escape(u.display_name)}</strong><br><span class="muted">{escape(u.upn)}'
        f" — apps: {escape(', '.join(u.apps) or 'none assigned')}</span></div>"
        f'<input type="hidden" name="upn" value="{escape(u.upn, quote=True)}">{fields}'
        f'<button type="submit">Sign in as {escape(u.upn)}</button></form>'
        for u in users
    )
    where = f" to continue to {escape(app)}" if app else ""
    body = f"<h1>Pick an account{where}</h1>{rows or '<p>The tenant file has no users.</p>'}"
    return _page("Sign in to your account", body, banner, tenant)


@dataclass(frozen=True)
class Tile:
    app: str
    display_name: str
    launch: str  # URL of the twin's launch endpoint
    kind: str  # "SP-initiated (opens the app)" or "IdP-initiated (signs you in)"


def _csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(csrf, quote=True)}">'


def my_apps(upn: str, tiles: Iterable[Tile], *, tenant: str, banner: str | None, csrf: str) -> str:
    cards = "".join(
        '<form class="tile" method="post" action="'
        + escape(t.launch, quote=True)
        + '">'
        + _csrf_field(csrf)
        + f"<div><strong>{escape(t.display_name)}</strong><br>"
        f'<span class="muted">{escape(t.app)}: {escape(t.kind)}</span></div>'
        f'<button type="submit">Open</button></form>'
        for t in tiles
    )
    body = (
        f"<h1>My Apps</h1><p>Signed in as <strong>{escape(upn)}</strong> "
        '(<a href="/_twin/pick">switch user</a>, <a href="/_twin/signout">sign out</a>)</p>'
        f'<div class="tiles">{cards or "<p>No apps are assigned to this user.</p>"}</div>'
    )
    return _page("My Apps", body, banner, tenant)


def launch(
    app: str, display_name: str, upn: str, *, tenant: str, banner: str | None, csrf: str
) -> str:
    """A direct link (or a launch URL) opened from elsewhere: the sign-in starts only when
    the person presses the button, so another page cannot start it for them."""
    body = (
        f"<h1>Open {escape(display_name)}</h1>"
        f"<p>Signed in as <strong>{escape(upn)}</strong>.</p>"
        f'<form class="launch" method="post" action="/_twin/launch/{escape(app, quote=True)}">'
        f'{_csrf_field(csrf)}<button type="submit">Continue to {escape(display_name)}</button>'
        "</form>"
    )
    return _page(f"Open {display_name}", body, banner, tenant)


@dataclass(frozen=True)
class ErrorDetails:
    code: str | None
    text: str
    request_id: str
    correlation_id: str
    timestamp: str


def error(details: ErrorDetails, *, tenant: str, banner: str | None) -> str:
    """Entra's sign-in error page: the message with its AADSTS code, and the identifiers
    an admin pastes into a support ticket."""
    body = (
        "<h1>Sorry, but we're having trouble signing you in.</h1>"
        f'<div class="error-code">{escape(details.text)}</div>'
        '<h2 style="font-size:15px">Troubleshooting details</h2><dl class="details">'
        f"<dt>Request Id</dt><dd>{escape(details.request_id)}</dd>"
        f"<dt>Correlation Id</dt><dd>{escape(details.correlation_id)}</dd>"
        f"<dt>Timestamp</dt><dd>{escape(details.timestamp)}</dd>"
        + (f"<dt>Error code</dt><dd>{escape(details.code)}</dd>" if details.code else "")
        + "</dl>"
    )
    return _page("Sign in error", body, banner, tenant)


def message(title: str, text: str, *, tenant: str, banner: str | None) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", banner, tenant)

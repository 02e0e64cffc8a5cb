"""The pages `sp serve` shows a person: pure functions of a verdict, every value escaped
(a Response is hostile: its NameID or an attribute could hold markup)."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}.ok{color:#1a7f37}.bad{color:#cf222e}"
    ".skip{color:#6e7781}pre{background:#f6f8fa;padding:1rem;overflow:auto;white-space:pre-wrap}"
    ".warn{background:#fff8c5;padding:.6rem;border:1px solid #d4a72c}"
)
BEARER_WARNING = (
    "A Response captured here is a live bearer credential for the real SP until it expires "
    "(NotOnOrAfter). It is kept only where --log-json says, with mode 0600."
)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    ).encode()


def result_page(result: dict[str, Any], *, as_app: bool) -> bytes:
    """The verdict, each check and its reason, the NameID and attributes, the template's
    requirements, and the decoded XML."""
    verdict = "accepted" if result["valid"] else "REFUSED"
    klass = "ok" if result["valid"] else "bad"
    rows = []
    for check in result["checks"]:
        state = {True: ("ok", "ok"), False: ("bad", "FAIL"), None: ("skip", "skipped")}[check["ok"]]
        rows.append(
            f'<tr><td>{escape(check["check"])}</td><td class="{state[0]}">{state[1]}</td>'
            f"<td>{escape(check['reason'])}</td></tr>"
        )
    attributes = "".join(
        f"<tr><td>{escape(name)}</td><td>{'<br>'.join(escape(v) for v in values)}</td></tr>"
        for name, values in result["attributes"].items()
    )
    required = (
        "".join(
            f'<tr><td>{escape(r["claim"])}</td><td class="{"ok" if r["met"] else "bad"}">'
            f"{'present' if r['met'] else 'MISSING'}</td><td>{escape(r['why'])}</td></tr>"
            for r in result["requirements"]
        )
        or '<tr><td colspan="3">none</td></tr>'
    )
    warning = f'<p class="warn">{escape(BEARER_WARNING)}</p>' if as_app else ""
    body = f"""<h1>ssoctl test SP: <span class="{klass}">{verdict}</span></h1>
<p>App <b>{escape(result["app"])}</b> ({escape(result["template"])}). This page is ssoctl's
check of the Response, with the trust and expectations of
<code>ssoctl assertion verify --app {escape(result["app"])}</code>. No real SP saw it.</p>
{warning}
<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>reason</th></tr>{"".join(rows)}</table>
<h2>Subject</h2><p>NameID <code>{escape(str(result["name_id"]))}</code>
(format <code>{escape(str(result["name_id_format"]))}</code>) ·
RelayState <code>{escape(str(result["relay_state"] or "(none)"))}</code></p>
<h2>Attributes</h2><table><tr><th>name</th><th>values</th></tr>{attributes}</table>
<h2>What the app's template requires</h2>
<table><tr><th>claim</th><th></th><th>why</th></tr>{required}</table>
<p><a href="/">Sign in again</a> · <a href="/logout">Sign out (single logout)</a></p>
<h2>The Response, decoded</h2><pre>{escape(result["xml"])}</pre>"""
    return _page(f"ssoctl test SP: {verdict}", body)


def message_page(title: str, text: str) -> bytes:
    return _page(
        title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href='/'>Sign in</a></p>"
    )

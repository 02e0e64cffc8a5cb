"""URL checks shared by `app add`, `metadata import` and the validation rules.

Entra's rules for Reply URLs (shared/docs/entra-saml.md, Basic SAML Configuration):
https only (http only for localhost), case-sensitive, at most 256 characters, no
`! $ ' ( ) , ;`; wildcards are discouraged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_REPLY_URL_LENGTH = 256
MAX_REPLY_URLS = 256
FORBIDDEN_CHARACTERS = "!$'(),;"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})  # as urlsplit().hostname gives them


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def has_uri_scheme(value: str) -> bool:
    """RFC 3986 section 3.1: a URI starts with ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    and a colon. Entra adds `spn:` to an Identifier only when it has none
    (`saml2:ringcentral:prod` is a URI)."""
    return _SCHEME.match(value) is not None


def audience_for(identifier: str) -> str:
    """The Audience Entra writes for an Identifier."""
    return identifier if has_uri_scheme(identifier) else f"spn:{identifier}"


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def https_problem(url: str) -> str | None:
    """Why `url` is not an acceptable https URL, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url!r} is not a URL"
    if parts.scheme == "https" and parts.netloc:
        return None
    if parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS:
        return None
    if parts.scheme == "http":
        return f"{url!r} uses http; Entra requires https (http only for localhost)"
    return f"{url!r} is not an absolute https URL"


@dataclass(frozen=True)
class UrlProblem:
    """One way a Reply URL breaks Entra's rules, with the fix for that cause."""

    text: str
    fix: str
    discouraged: bool = False  # Entra accepts it but advises against it: a warning

    def __str__(self) -> str:
        return self.text


def format_problems(url: str) -> list[UrlProblem]:
    """Entra's Reply URL format rules, beyond the scheme. `app add`, `app set`, `metadata
    import` and the url-format rule all judge with this one function."""
    found = []
    if url != url.strip():
        found.append(UrlProblem(f"{url!r} has surrounding whitespace", "remove the spaces"))
    if len(url) > MAX_REPLY_URL_LENGTH:
        found.append(
            UrlProblem(
                f"{url[:40]!r}... is {len(url)} characters; the limit is 256",
                "use the SP's shorter ACS URL",
            )
        )
    bad = sorted({c for c in url if c in FORBIDDEN_CHARACTERS})
    if bad:
        found.append(
            UrlProblem(
                f"{url!r} contains {' '.join(bad)}, which Entra does not allow",
                "percent-encode or remove those characters",
            )
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return [*found, UrlProblem(f"{url!r} is not a URL", "give the SP's full https ACS URL")]
    if parts.fragment or url.endswith("#"):
        found.append(
            UrlProblem(
                f"{url!r} has a fragment (#...), which a Reply URL cannot carry",
                "remove the '#' and what follows it",
            )
        )
    if "*" in url:
        found.append(
            UrlProblem(
                f"{url!r} contains a wildcard; Entra discourages wildcards in Reply URLs",
                "give the exact Reply URL the SP posts to",
                discouraged=True,
            )
        )
    if parts.scheme == "https" and port == 443:
        found.append(UrlProblem(f"{url!r} names port 443 explicitly", "drop ':443'"))
    return found

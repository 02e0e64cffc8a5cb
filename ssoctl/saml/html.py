"""The self-submitting HTML form of the HTTP-POST binding, like Entra's "Test this
application": opening it posts SAMLResponse (and RelayState) to the ACS. Every value is
escaped."""

from __future__ import annotations

from html import escape

from ssoctl.errors import InvalidInputError
from ssoctl.urls import https_problem


def post_form(acs: str, saml_response: str, relay_state: str | None = None) -> str:
    """The auto-submitting form. Its target must be https (http on localhost only): a
    hand-edited `javascript:` or `data:` Reply URL would otherwise run in the browser."""
    problem = https_problem(acs)
    if problem is not None:
        raise InvalidInputError(
            f"refusing to write a sign-in form that posts to {acs!r}: {problem}.",
            hint="fix the app's reply_urls in the tenant file (`ssoctl validate` shows it).",
        )
    relay = (
        f'<input type="hidden" name="RelayState" value="{escape(relay_state, quote=True)}"/>'
        if relay_state
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>ssoctl test sign-in</title>'
        '</head>\n<body onload="document.forms[0].submit()">\n'
        f'<form method="post" action="{escape(acs, quote=True)}">\n'
        f'<input type="hidden" name="SAMLResponse" value="{escape(saml_response, quote=True)}"/>'
        f'{relay}\n<noscript><button type="submit">Continue to the app</button></noscript>\n'
        "</form>\n</body></html>\n"
    )

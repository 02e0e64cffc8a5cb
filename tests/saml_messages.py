"""SAML messages as the tests send them."""

from __future__ import annotations

import base64
import zlib


def redirect_value(xml: str) -> str:
    """A message as the HTTP-Redirect binding carries it: raw DEFLATE, then Base64
    (not yet URL-encoded)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(deflater.compress(xml.encode()) + deflater.flush()).decode()

"""HTTP-Redirect (deflate + Base64 in a query string) and HTTP-POST (Base64) encodings.

Decoding takes what people paste when a sign-in fails: a Redirect URL or its query
string, a Base64 value from a POST form (`SAMLResponse=...` too), or raw XML. Inflation
is capped in size (`max_inflated`: the twin allows 64 KB for an AuthnRequest) and in
ratio (MAX_RATIO), so a deflate bomb cannot exhaust memory.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from ssoctl.saml.xml import MAX_BYTES, HostileXMLError


@dataclass(frozen=True)
class Decoded:
    xml: bytes
    binding: str  # redirect | post | xml
    parameter: str | None  # SAMLRequest | SAMLResponse
    relay_state: str | None = None


# Real SAML messages deflate 2-5 times; deflate's own worst case is about 1,032 times.
MAX_RATIO = 100


def decode(text: str | bytes, source: str = "input", *, max_inflated: int = MAX_BYTES) -> Decoded:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    stripped = raw.strip().lstrip("\ufeff").strip()  # a UTF-8 byte order mark is legal XML
    if stripped.startswith("<"):
        return Decoded(stripped.encode("utf-8"), "xml", None)
    query = urlsplit(stripped).query if "://" in stripped else stripped.lstrip("?")
    if "SAMLRequest=" in query or "SAMLResponse=" in query:
        params = parse_qs(query, keep_blank_values=True)
        name = "SAMLRequest" if "SAMLRequest" in params else "SAMLResponse"
        value = params[name][0]
        relay = params.get("RelayState", [None])[0]
        payload = _b64(value, source)
        inflated = _inflate(payload, max_inflated)
        if inflated is not None:
            return Decoded(inflated, "redirect", name, relay)
        return Decoded(payload, "post", name, relay)
    payload = _b64(stripped, source)
    if payload.lstrip().startswith(b"<"):
        return Decoded(payload, "post", None)
    inflated = _inflate(payload, max_inflated)
    if inflated is None:
        raise HostileXMLError(
            f"{source} is neither XML, Base64 XML, nor deflated Base64 XML.",
            hint="paste the SAMLRequest/SAMLResponse value or the whole URL.",
        )
    return Decoded(inflated, "redirect", None)


def _b64(value: str, source: str) -> bytes:
    compact = "".join(value.split())
    if len(compact) > MAX_BYTES * 4 // 3 + 4:
        raise HostileXMLError(f"{source} is larger than {MAX_BYTES:,} bytes once decoded.")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise HostileXMLError(
            f"{source} is not valid Base64.", hint="copy the whole value, without truncation."
        ) from None


def _inflate(data: bytes, limit: int) -> bytes | None:
    """Inflate at most `limit` bytes (and MAX_RATIO times the input); None when `data` is
    not deflate at all."""
    inflater = zlib.decompressobj(-15)
    cap = min(limit, max(len(data), 1) * MAX_RATIO)
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        return None
    if len(out) > cap or inflater.unconsumed_tail:
        if cap < limit:
            raise HostileXMLError(
                f"the deflated message inflates more than {MAX_RATIO} times its size; "
                "a real SAML message inflates a few times."
            )
        raise HostileXMLError(f"the deflated message inflates beyond {limit:,} bytes.")
    return out


def encode_post(xml: bytes) -> str:
    return base64.b64encode(xml).decode("ascii")


def encode_redirect(xml: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode("ascii")


def redirect_url(endpoint: str, parameter: str, xml: bytes, relay_state: str | None = None) -> str:
    query = f"{parameter}={quote(encode_redirect(xml), safe='')}"
    if relay_state:
        query += f"&RelayState={quote(relay_state, safe='')}"
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

"""Property-based tests for everything that decodes outside input: for any input, the
result is a value or ssoctl's own error (a located message and an exit code), never any
other exception. Hypothesis searches for the input that breaks that."""

from __future__ import annotations

import base64
import contextlib
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssoctl.errors import SsoctlError

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# XML-ish text: markup characters are far more likely than in uniform text.
xmlish = st.text(
    alphabet=st.sampled_from(list("<>/=\"'&;!?[]-: abcxmlns#\n\tDOCTYPEENTITY%\x00\ufeff")),
    max_size=300,
)
SAMPLE = (
    b'<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
    b' ID="_1"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x'
    b"</saml:Issuer></samlp:Response>"
)


def mutations() -> st.SearchStrategy[bytes]:
    """A real message with bytes flipped, cut or inserted."""
    return st.builds(
        lambda cut, junk, at: SAMPLE[:at] + junk + SAMPLE[at + cut :],
        st.integers(0, 20),
        st.binary(max_size=20),
        st.integers(0, len(SAMPLE)),
    )


@FAST
@given(st.one_of(st.binary(max_size=400), xmlish.map(str.encode), mutations()))
def test_hardened_parser_returns_or_refuses(data: bytes) -> None:
    from ssoctl.saml import xml

    with contextlib.suppress(SsoctlError):
        xml.parse(data, "input")


@FAST
@given(st.one_of(st.binary(max_size=400), mutations()))
def test_streaming_parser_returns_or_refuses(data: bytes) -> None:
    from ssoctl.saml import spmetadata

    with contextlib.suppress(SsoctlError):
        spmetadata.read(data, "input")


def _encodings(raw: bytes) -> list[str]:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = deflater.compress(raw) + deflater.flush()
    b64 = base64.b64encode(raw).decode()
    red = base64.b64encode(deflated).decode()
    return [b64, red, f"SAMLResponse={b64}", f"https://sp/acs?SAMLRequest={red}&RelayState=x"]


@FAST
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).flatmap(lambda raw: st.sampled_from(_encodings(raw))),
        mutations().flatmap(lambda raw: st.sampled_from(_encodings(raw))),
    )
)
def test_bindings_decoder_returns_or_refuses(text: str) -> None:
    from ssoctl.saml import bindings, xml

    try:
        decoded = bindings.decode(text, "input")
        xml.parse(decoded.xml, "input")
    except SsoctlError:
        pass


yamlish = st.text(
    alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\n\t ,?%@`0123456789\ufeff\x00")),
    max_size=200,
)
HEAD = "version: 1\ntenant: {id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11, domain: c.com}\n"


@FAST
@given(st.one_of(yamlish, yamlish.map(lambda t: HEAD + t)))
def test_both_yaml_loaders_return_or_refuse(text: str) -> None:
    from ssoctl import tenant

    for load in (tenant.load_text, tenant.load_roundtrip):
        with contextlib.suppress(SsoctlError):
            load(text, Path("tenant.yaml"))


url_parts = st.sampled_from(
    ["https://", "http://", "localhost", "127.0.0.1", "[", "]", "::1", ":", "@", "/", "?",
     "#", "%", "*", "443", "99999", "-1", "a", ".", "\x00", " ", "\u0661", "file:", "\\"]
)  # fmt: skip
urlish = st.lists(url_parts, max_size=12).map("".join)


@FAST
@given(st.one_of(st.text(max_size=300), urlish))
def test_url_rules_never_raise(url: str) -> None:
    from ssoctl import urls
    from ssoctl.fetch import check_url

    assert isinstance(urls.format_problems(url), list)
    problem = urls.https_problem(url)
    assert problem is None or isinstance(problem, str)
    with contextlib.suppress(SsoctlError):
        check_url(url, allow_http=True)


@FAST
@given(st.text(max_size=60))
def test_instants_parse_or_say_none(value: str) -> None:
    from ssoctl.instants import parse_instant

    moment = parse_instant(value)
    assert moment is None or moment.tzinfo is not None

"""metadata inspect / import: fixtures, refusals, the hostile corpus (exit 3 and the
tenant file byte-identical), fetching through httpx.MockTransport and a real local
server, and the round trip export -> import -> assertion issue."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ssoctl.errors import OperationError, UsageError
from ssoctl.fetch import FetchError, fetch
from tests.conftest import DATA, NOW, run_cli

MD = DATA / "metadata"


def imported(tenant: Path, source: str, *args: str, app: str = "mitel-connect"):
    return run_cli("metadata", "import", source, "--app", app, "--now", NOW, *args, tenant=tenant)


def test_inspect_aggregate_json():
    out = run_cli("metadata", "inspect", str(MD / "aggregate.xml"), "-f", "json")
    doc = json.loads(out.stdout)
    assert out.exit_code == 0
    assert doc["root"] == "EntitiesDescriptor" and doc["total_entities"] == 4
    assert doc["valid_until"] == "2099-01-01T00:00:00Z" and doc["cache_duration"] == "PT6H"
    assert doc["signature"] == "absent"
    roles = {e["entity_id"]: e["roles"] for e in doc["entities"]}
    assert roles["https://idp.example.org/idp"] == ["IDPSSODescriptor"]
    sp = next(e for e in doc["entities"] if e["entity_id"] == "https://sp-two.example.net/saml")
    assert sp["acs"][0]["location"] == "https://sp-two.example.net/saml/acs"
    assert len(sp["keys"][0]["thumbprint_sha1"]) == 40 and sp["keys"][0]["not_after"]


def test_inspect_signature_states():
    signed = str(MD / "signed.xml")
    present = json.loads(run_cli("metadata", "inspect", signed, "-f", "json").stdout)
    assert present["signature"] == "present (not checked)"
    ok = run_cli("metadata", "inspect", signed, "--cert", str(MD / "signed.pem"), "-f", "json")
    assert json.loads(ok.stdout)["signature"] == "verified"
    wrong = run_cli(
        "metadata", "inspect", signed, "--cert", str(DATA / "rules/certs/next.pem"), "-f", "json"
    )
    assert wrong.exit_code == 1 and json.loads(wrong.stdout)["signature"].startswith("invalid")


def test_import_ringcentral_sets_fields_and_keeps_comments(example: Path):
    before = example.read_text()
    out = imported(example, str(MD / "ringcentral-euro.xml"), app="ringcentral")
    assert out.exit_code == 0, out.stderr
    after = example.read_text()
    assert "sp_certificate: certs/sp-ringcentral.pem" in after
    for line in before.splitlines():
        if line.strip().startswith("#"):
            assert line in after
    assert (
        (example.parent / "certs" / "sp-ringcentral.pem")
        .read_text()
        .startswith("-----BEGIN CERTIFICATE-----")
    )


def test_import_two_acs_orders_by_default_then_index(example: Path):
    out = imported(example, str(MD / "two-acs.xml"), "--force")
    assert out.exit_code == 0, out.stderr
    shown = json.loads(run_cli("app", "show", "mitel-connect", "-f", "json", tenant=example).stdout)
    basic = shown["entra_basic_saml_configuration"]
    assert basic["reply_url"] == [
        "https://app.example.com/saml/acs",
        "https://app.example.com/saml/acs-legacy",
    ]
    assert basic["identifier"] == ["https://app.example.com/saml/metadata"]
    assert basic["logout_url"] == "https://app.example.com/saml/logout"


def test_import_cloudlink_passes_gallery_rules(example: Path):
    out = imported(example, str(MD / "mitel-cloudlink.xml"))
    assert out.exit_code == 0, out.stderr
    assert "acme-0042/acs" in example.read_text()


def test_dry_run_writes_nothing(example: Path):
    before = example.read_bytes()
    out = imported(example, str(MD / "mitel-cloudlink.xml"), "--dry-run")
    assert (
        out.exit_code == 0
        and "+    identifiers: [https://authentication.api.mitel.io" in out.stdout
    )
    assert example.read_bytes() == before
    assert not (example.parent / "certs" / "sp-mitel-connect.pem").exists()


@pytest.mark.parametrize(
    ("fixture", "app", "code", "text"),
    [
        ("ringcentral-us.xml", "ringcentral", 1, "us region value"),  # another region
        ("http-acs.xml", "mitel-connect", 1, "https"),
        ("expired.xml", "mitel-connect", 1, "expired"),
        ("aggregate.xml", "ringcentral", 2, "https://sp-two.example.net/saml"),
        ("idp-only.xml", "ringcentral", 3, "no SP"),
    ],
)
def test_import_refusals_leave_file_identical(
    example: Path, fixture: str, app: str, code: int, text: str
):
    before = example.read_bytes()
    out = imported(example, str(MD / fixture), app=app)
    assert out.exit_code == code, out.stderr
    assert text in out.stderr
    assert example.read_bytes() == before
    assert not (example.parent / "certs" / f"sp-{app}.pem").exists()


def test_force_accepts_gallery_violation_but_not_expiry(example: Path):
    assert (
        imported(example, str(MD / "ringcentral-us.xml"), "--force", app="ringcentral").exit_code
        == 0
    )
    before = example.read_bytes()
    assert imported(example, str(MD / "expired.xml"), "--force").exit_code == 1
    assert example.read_bytes() == before


def test_import_with_cert_requires_a_valid_signature(example: Path):
    ok = imported(
        example, str(MD / "signed.xml"), "--cert", str(MD / "signed.pem"), app="ringcentral"
    )
    assert ok.exit_code == 0, ok.stderr
    before = example.read_bytes()
    tampered = example.parent / "tampered.xml"
    tampered.write_bytes((MD / "signed.xml").read_bytes().replace(b"sp/ACS.saml2", b"sp/ACS.saml3"))
    bad = imported(
        example, str(tampered), "--cert", str(MD / "signed.pem"), "--force", app="ringcentral"
    )
    assert bad.exit_code == 1 and "does not verify" in bad.stderr
    assert example.read_bytes() == before


def test_aggregate_with_entity_id(example: Path):
    out = imported(
        example,
        str(MD / "aggregate.xml"),
        "--entity-id",
        "https://ssoeuro.ringcentral.com",
        app="ringcentral",
    )
    assert out.exit_code == 0, out.stderr


HOSTILE = {
    "xxe-file": b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    b'entityID="&x;"/>',
    "xxe-url": b'<!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
    b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&x;"/>',
    "billion-laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    b'entityID="&c;"/>',
    "external-dtd": b'<!DOCTYPE EntityDescriptor SYSTEM "http://127.0.0.1:9/md.dtd">'
    b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
    "deep": b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
    + b"<a>" * 3000
    + b"</a>" * 3000
    + b"</EntityDescriptor>",
    "not-xml": b'{"this": "is json"}',
    "wrong-root": b'<html><body><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    b'entityID="x"/></body></html>',
    "too-large": b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
    + b" " * (11 * 1024 * 1024)
    + b"</EntityDescriptor>",
    "no-sp": (MD / "idp-only.xml").read_bytes(),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_metadata(example: Path, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(HOSTILE[name])
    before = example.read_bytes()
    out = imported(example, str(path), app="ringcentral")
    assert out.exit_code == 3, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "root:" not in out.stderr
    assert example.read_bytes() == before


# Fetching -------------------------------------------------------------------------


def mock(handler) -> httpx.MockTransport:
    """The handler's responses as unread streams, as a socket delivers them (fetch reads
    the raw bytes itself, to cap them after decoding)."""

    def streamed(request: httpx.Request) -> httpx.Response:
        response: httpx.Response = handler(request)
        if not response.is_stream_consumed:
            return response
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(response.content),
        )

    return httpx.MockTransport(streamed)


def test_fetch_ok_and_redirects():
    body = (MD / "ringcentral-euro.xml").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers={"location": "/metadata"})
        return httpx.Response(200, content=body, headers={"content-type": "application/xml"})

    got = fetch("https://sp.example.com/start", transport=mock(handler))
    assert got.content == body and got.url == "https://sp.example.com/metadata"


def test_fetch_refuses_downgrade_and_too_many_redirects():
    def downgrade(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "http://sp.example.com/md"})

    with pytest.raises(FetchError, match="from https to http"):
        fetch("https://sp.example.com/md", transport=mock(downgrade))

    def loop(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        return httpx.Response(302, headers={"location": f"/md?n={n + 1}"})

    with pytest.raises(FetchError, match="more than 3"):
        fetch("https://sp.example.com/md", transport=mock(loop))


def test_fetch_errors_are_readable():
    def status(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    with pytest.raises(FetchError, match="HTTP 404"):
        fetch("https://sp.example.com/md", transport=mock(status))

    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"<" + b"x" * 1024] * 20))

    with pytest.raises(FetchError, match="more than 10,000 bytes"):
        fetch("https://sp.example.com/md", transport=mock(huge), max_bytes=10_000)

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"Sign in to continue", headers={"content-type": "text/html"}
        )

    with pytest.raises(FetchError, match="did not return XML"):
        fetch("https://sp.example.com/md", transport=mock(html))

    def dns(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    with pytest.raises(FetchError, match="DNS"):
        fetch("https://nowhere.invalid/md", transport=mock(dns))

    def tls(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    with pytest.raises(FetchError, match="TLS"):
        fetch("https://self-signed.example/md", transport=mock(tls))

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    with pytest.raises(FetchError, match="timed out"):
        fetch("https://slow.example/md", transport=mock(slow))


def test_fetch_url_rules():
    with pytest.raises(UsageError, match="https only"):
        fetch("http://sp.example.com/md")
    with pytest.raises(UsageError, match="--allow-http"):
        fetch("http://localhost:9/md")
    with pytest.raises(UsageError):
        fetch("http://sp.example.com/md", allow_http=True)  # localhost only
    assert issubclass(FetchError, OperationError)


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "md.xml").write_bytes((MD / "mitel-cloudlink.xml").read_bytes())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_import_from_a_real_local_server(example: Path, local_server: str):
    refused = imported(example, f"{local_server}/md.xml")
    assert refused.exit_code == 2 and "--allow-http" in refused.stderr
    out = imported(example, f"{local_server}/md.xml", "--allow-http")
    assert out.exit_code == 0, out.stderr
    assert "acme-0042" in example.read_text()
    missing = imported(example, f"{local_server}/nope.xml", "--allow-http")
    assert missing.exit_code == 3 and "HTTP 404" in missing.stderr


def test_round_trip_export_import_issue(example: Path, tmp_path: Path):
    idp = run_cli("metadata", "export", "--app", "mitel-connect", tenant=example)
    assert idp.exit_code == 0
    inspected = tmp_path / "idp.xml"
    inspected.write_bytes(idp.stdout_bytes)
    summary = json.loads(run_cli("metadata", "inspect", str(inspected), "-f", "json").stdout)
    assert summary["entities"][0]["roles"] == ["IDPSSODescriptor"]
    assert imported(example, str(MD / "mitel-cloudlink.xml")).exit_code == 0
    issued = run_cli(
        "assertion",
        "issue",
        "--app",
        "mitel-connect",
        "--user",
        "B.Simon@contoso.com",
        "--format",
        "json",
        tenant=example,
    )
    assert issued.exit_code == 0, issued.stderr
    doc = json.loads(issued.stdout)
    assert doc["acs"] == "https://authentication.api.mitel.io/2017-09-01/saml2/acme-0042/acs"
    assert doc["summary"]["audiences"] == [
        "https://authentication.api.mitel.io/2017-09-01/saml2/acme-0042"
    ]


def big_aggregate(folder: Path) -> Path:
    """A 50 MB federation aggregate (what a real one weighs): thousands of SPs, with
    aggregate.xml's entities (RingCentral Europe among them) at the end."""
    text = (MD / "aggregate.xml").read_text()
    head, _, rest = text.partition("\n<EntityDescriptor")
    filler = (
        '<EntityDescriptor entityID="https://sp-{n}.example.org/shibboleth">'
        '<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://sp-{n}.example.org/Shibboleth.sso/SAML2/POST" index="1"/>'
        "<!-- {pad} -->"
        "</SPSSODescriptor></EntityDescriptor>\n"
    )
    pad = "x" * 700
    path = folder / "federation.xml"
    with path.open("w") as out:
        out.write(head + "\n")
        for n in range(55_000):
            out.write(filler.format(n=n, pad=pad))
        out.write("<EntityDescriptor" + rest)
    assert path.stat().st_size > 50 * 1024 * 1024
    return path


def test_import_one_sp_from_a_50mb_aggregate_streams(example: Path, tmp_path: Path) -> None:
    served = tmp_path / "www"
    served.mkdir()
    aggregate = big_aggregate(served)
    whole = imported(example, str(aggregate), app="ringcentral")
    assert whole.exit_code == 3 and "the limit is" in whole.stderr  # read whole: 10 MB cap
    one = ("--entity-id", "https://ssoeuro.ringcentral.com")
    out = imported(example, str(aggregate), *one, app="ringcentral")
    assert out.exit_code == 0, out.stderr

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/federation.xml"
        fetched = imported(example, url, "--allow-http", *one, app="ringcentral")
        assert fetched.exit_code == 0, fetched.stderr
    finally:
        server.shutdown()
        server.server_close()

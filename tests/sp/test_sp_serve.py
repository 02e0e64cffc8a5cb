"""`ssoctl sp serve`'s test SP against the twin, in-process (httpx.WSGITransport): an
SP-initiated sign-in end to end, an IdP-initiated one, a missing required claim named, a
stale certificate refused, hostile Responses refused and escaped, metadata, logout."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from ssoctl.idp.app import Twin, TwinOptions
from ssoctl.idp.state import TenantState
from ssoctl.sp import LocalSP, SpOptions
from tests.conftest import TENANT_ID, run_cli, stop_process
from tests.idp.test_twin import sign_in
from tests.saml_messages import redirect_value
from tests.security.test_wrapping import ATTACKS

ACS = "https://localhost:8444/acs"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


@pytest.fixture
def pair(example: Path, tmp_path: Path):
    """The twin and the test SP for mitel-connect, whose Reply URL is the SP's ACS."""
    done = run_cli("app", "set", "mitel-connect", "--reply-url", ACS, tenant=example)
    assert done.exit_code == 0, done.stderr
    twin_client = httpx.Client(
        transport=httpx.WSGITransport(app=Twin(TenantState(example, reload=True), TwinOptions())),
        base_url="http://localhost",
    )
    log = (tmp_path / "sp.jsonl").open("a")
    sp = LocalSP(
        TenantState(example, reload=True),
        SpOptions(app="mitel-connect", base_url="https://localhost:8444", acs_path="/acs", log=log),
    )
    sp_client = httpx.Client(
        transport=httpx.WSGITransport(app=sp), base_url="https://localhost:8444"
    )
    yield twin_client, sp_client, tmp_path / "sp.jsonl"
    log.close()


def _posted(page: str) -> dict[str, str]:
    """The fields of the twin's auto-posting form."""
    action = html.unescape(re.search(r'action="([^"]+)"', page)[1])
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    return {"action": action, **{k: html.unescape(v) for k, v in fields.items()}}


def _sp_initiated(twin: httpx.Client, sp: httpx.Client) -> httpx.Response:
    start = sp.get("/")
    assert start.status_code == 302
    location = urlsplit(start.headers["location"])
    assert location.netloc == "login.microsoftonline.com"  # the IdP's real URL
    sign_in(twin)
    answer = twin.get(f"{location.path}?{location.query}")
    assert answer.status_code == 200, answer.text
    form = _posted(answer.text)
    assert form["action"] == ACS
    data = {"SAMLResponse": form["SAMLResponse"]}
    return sp.post("/acs", data=data)


def test_sp_initiated_sign_in_through_the_twin_is_accepted(pair) -> None:
    twin, sp, log = pair
    page = _sp_initiated(twin, sp)
    assert page.status_code == 200
    assert "accepted" in page.text and "REFUSED" not in page.text
    assert "B.Simon@contoso.com" in page.text
    assert html.escape(CLAIMS + "givenname") in page.text
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["valid"] is True and entry["app"] == "mitel-connect"
    assert all(c["ok"] is not False for c in entry["checks"])
    # the same Response again: its InResponseTo was used up
    logout = sp.get("/logout")
    assert logout.status_code == 302 and "SAMLRequest=" in logout.headers["location"]


def test_a_response_to_a_request_this_sp_never_sent_is_refused(pair, example: Path) -> None:
    twin, sp, _ = pair
    first = sp.get("/")
    location = urlsplit(first.headers["location"])
    sign_in(twin)
    form = _posted(twin.get(f"{location.path}?{location.query}").text)
    assert "accepted" in sp.post("/acs", data={"SAMLResponse": form["SAMLResponse"]}).text
    replay = sp.post("/acs", data={"SAMLResponse": form["SAMLResponse"]})
    assert "REFUSED" in replay.text  # the request was answered once; a replay is refused


def test_a_missing_required_claim_is_named(example: Path, tmp_path: Path) -> None:
    """RingCentral requires the email claim: removed from the app, the page says so."""
    run_cli("app", "set", "ringcentral", "--reply-url", ACS, tenant=example)
    # as if the claim were removed in the portal (ssoctl itself refuses to remove it)
    text = example.read_text()
    line = next(
        x for x in text.splitlines(keepends=True) if "claims/emailaddress:" in x and "      " in x
    )
    example.write_text(text.replace(line, "", 1))
    sp = LocalSP(
        TenantState(example, reload=True),
        SpOptions(app="ringcentral", base_url="https://localhost:8444", acs_path="/acs"),
    )
    issued = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        "--format",
        "base64",
        "--force",
        tenant=example,
    )
    assert issued.exit_code == 0, issued.stderr
    result = sp.check(issued.stdout.strip(), None)
    assert result["valid"] is False
    missing = [r for r in result["requirements"] if not r["met"]]
    assert [r["claim"] for r in missing] == [CLAIMS + "emailaddress"]
    assert "RingCentral requires it" in missing[0]["why"]


def test_a_stale_certificate_is_refused(example: Path) -> None:
    run_cli("app", "set", "ringcentral", "--reply-url", ACS, tenant=example)
    issued = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        "--format",
        "base64",
        tenant=example,
    )
    # the app's certificates change after the Response was signed: a new one, the old removed
    made = run_cli(
        "cert", "new", "--app", "ringcentral", "--activate", "--name", "fresh", tenant=example
    )
    assert made.exit_code == 0, made.stderr
    model = TenantState(example, reload=True).current().model
    old = [n for n in model.apps["ringcentral"].signing.certificates if n != "fresh"]
    text = example.read_text()
    for name in old:  # out of the app's set (the keyring keeps it for the other app)
        text = text.replace(f"[{name}, fresh]", "[fresh]").replace(f"{name}, fresh", "fresh")
    example.write_text(text)
    sp = LocalSP(
        TenantState(example, reload=True),
        SpOptions(app="ringcentral", base_url="https://localhost:8444", acs_path="/acs"),
    )
    result = sp.check(issued.stdout.strip(), None)
    assert result["valid"] is False
    assert any(c["ok"] is False and "signature" in c["check"] for c in result["checks"])


def test_hostile_responses_are_refused_and_escaped(pair) -> None:
    _, sp, _ = pair
    evil = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" '
        'IssueInstant="2026-01-01T00:00:00Z"><saml:Assertion ID="_a" Version="2.0" '
        'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>&lt;script&gt;alert(1)&lt;/script&gt;'
        "</saml:Issuer><saml:Subject><saml:NameID>&lt;img src=x onerror=alert(1)&gt;"
        "</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"
    )
    for body in (evil, "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "not base64 at all!!", "A" * 10):
        raw = base64.b64encode(body.encode()).decode() if body.startswith("<") else body
        page = sp.post("/acs", data={"SAMLResponse": raw})
        assert page.status_code in (200, 400), page.status_code
        assert "<script>" not in page.text and "<img src=x" not in page.text
        assert "accepted" not in page.text.split("<h2>")[0] or "REFUSED" in page.text


def test_metadata_and_host_check(pair) -> None:
    _, sp, _ = pair
    metadata = sp.get("/metadata")
    assert metadata.status_code == 200
    assert (
        b'entityID="https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"'
        in metadata.content
    )
    assert ACS.encode() in metadata.content
    imported = metadata.content  # the SP's metadata is what `metadata import` reads
    assert b"AssertionConsumerService" in imported


def test_the_log_file_is_private(tmp_path: Path) -> None:
    from ssoctl.cli.sp_cmd import _open_log

    target = tmp_path / "captured.jsonl"
    handle = _open_log(target)
    handle.close()
    assert target.stat().st_mode & 0o777 == 0o600
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    with pytest.raises(OSError):
        _open_log(link)


def test_sp_serve_as_a_process_over_tls(example: Path, tmp_path: Path) -> None:
    """`ssoctl sp serve` binds, serves its metadata over TLS, answers only its hosts, and
    stops cleanly on Ctrl-C; --as-app answers at the app's own Reply URL path."""
    import signal
    import ssl
    import subprocess
    import sys
    import time
    import urllib.request

    log = tmp_path / "captured.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssoctl",
            "-t",
            str(example),
            "sp",
            "serve",
            "--app",
            "ringcentral",
            "--as-app",
            "--self-signed",
            "--port",
            "0",
            "--log-json",
            str(log),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    port = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and port is None:
        line = proc.stderr.readline()
        lines.append(line)
        found = re.search(r"on https://127\.0\.0\.1:(\d+)/", line)
        port = found[1] if found else None
    try:
        assert port is not None, "".join(lines)
        context = ssl._create_unverified_context()
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/metadata", headers={"Host": "ssoeuro.ringcentral.com"}
        )
        with urllib.request.urlopen(request, timeout=30, context=context) as reply:
            body = reply.read()
        assert b"https://ssoeuro.ringcentral.com/sp/ACS.saml2" in body
        rebound = urllib.request.Request(
            f"https://127.0.0.1:{port}/metadata", headers={"Host": "evil.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound, timeout=30, context=context)
        assert refused.value.code == 421
    finally:
        err = stop_process(proc, signal.SIGINT)
    assert proc.returncode == 0, err
    assert "live bearer credential" in "".join(lines) + err
    assert log.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("attack", [a[0] for a in ATTACKS])
def test_signature_wrapping_posted_to_the_acs_is_refused(example: Path, attack: str) -> None:
    """The security corpus's wrapping attacks, posted as a browser would: never accepted,
    never a 500, and the evil identity never shown as the signed-in user."""
    import datetime as dt

    from lxml import etree

    from tests.conftest import NOW
    from tests.security import test_wrapping as corpus

    name, sign, make = next(a for a in corpus.ATTACKS if a[0] == attack)
    forged = etree.tostring(make(corpus.issue(example, sign)))
    at = dt.datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    sp = LocalSP(
        TenantState(example, reload=True),
        SpOptions(
            app="ringcentral",
            base_url="https://ssoeuro.ringcentral.com",
            acs_path="/sp/ACS.saml2",
            clock=lambda: at,
        ),
    )
    client = httpx.Client(
        transport=httpx.WSGITransport(app=sp), base_url="https://ssoeuro.ringcentral.com"
    )
    page = client.post("/sp/ACS.saml2", data={"SAMLResponse": base64.b64encode(forged).decode()})
    assert page.status_code in (200, 400)
    assert "REFUSED" in page.text or page.status_code == 400, name
    assert "accepted" not in page.text.split("</h1>")[0]


@pytest.mark.parametrize(
    "name", ["xxe-file", "xxe-url", "billion-laughs", "external-dtd", "deep", "not-xml"]
)
def test_hostile_xml_posted_to_the_acs_is_refused(pair, name: str) -> None:
    from tests.security.test_wrapping import HOSTILE

    _, sp, _ = pair
    page = sp.post("/acs", data={"SAMLResponse": base64.b64encode(HOSTILE[name]).decode()})
    assert page.status_code in (200, 400)
    assert "accepted" not in page.text.split("</h1>")[0]
    assert "root:" not in page.text  # no /etc/passwd


def test_relay_state_comes_back_and_single_logout_round_trips(pair, example: Path) -> None:
    twin, sp, _ = pair
    done = run_cli(
        "app", "set", "mitel-connect", "--logout-url", "https://localhost:8444/slo", tenant=example
    )
    assert done.exit_code == 0, done.stderr
    start = urlsplit(sp.get("/?RelayState=/reports").headers["location"])
    sign_in(twin)
    form = _posted(twin.get(f"{start.path}?{start.query}").text)
    assert form["RelayState"] == "/reports"
    page = sp.post(
        "/acs", data={"SAMLResponse": form["SAMLResponse"], "RelayState": form["RelayState"]}
    )
    assert "accepted" in page.text and "RelayState <code>/reports</code>" in page.text
    logout = urlsplit(sp.get("/logout").headers["location"])
    answer = twin.get(f"{logout.path}?{logout.query}")
    assert answer.status_code in (302, 303), answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/slo" and "SAMLResponse=" in back.query
    page = sp.get(f"/slo?{back.query}").text
    assert "Signed out" in page
    assert f"https://login.microsoftonline.com/{TENANT_ID}/" in page  # whose Issuer


def test_the_twin_tells_the_test_sp_when_another_app_signs_out(pair, example: Path) -> None:
    """Front-channel single logout: Mitel (this SP) is signed in, RingCentral asks the twin
    to sign out, so the twin sends this SP a LogoutRequest; the SP answers, and the twin
    then answers RingCentral."""
    twin, sp, _ = pair
    for app, url in (("mitel-connect", "https://localhost:8444/slo"),
                     ("ringcentral", "https://ssoeuro.ringcentral.com/slo")):  # fmt: skip
        assert run_cli("app", "set", app, "--logout-url", url, tenant=example).exit_code == 0
    start = urlsplit(sp.get("/").headers["location"])
    sign_in(twin)
    form = _posted(twin.get(f"{start.path}?{start.query}").text)
    assert "accepted" in sp.post("/acs", data={"SAMLResponse": form["SAMLResponse"]}).text
    request = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_rc1" Version="2.0" '
        'IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>https://ssoeuro.ringcentral.com'
        "</saml:Issuer><saml:NameID>B.Simon@contoso.com</saml:NameID></samlp:LogoutRequest>"
    )
    told = urlsplit(twin.get(f"/{TENANT_ID}/saml2?SAMLRequest={quote(redirect_value(request))}")
                    .headers["location"])  # fmt: skip
    assert told.path == "/slo" and "SAMLRequest=" in told.query  # to this SP
    answered = urlsplit(sp.get(f"/slo?{told.query}").headers["location"])
    assert answered.path == f"/{TENANT_ID}/saml2" and "SAMLResponse=" in answered.query
    done = urlsplit(twin.get(f"{answered.path}?{answered.query}").headers["location"])
    assert done.netloc == "ssoeuro.ringcentral.com" and done.path == "/slo"
    assert "SAMLResponse=" in done.query
    assert "Not signed in" in sp.get("/logout").text  # this SP's session ended


def test_the_twin_encrypts_and_the_test_sp_decrypts(example: Path, tmp_path: Path) -> None:
    """Token encryption through the twin (issue 25): the app has the SP's encryption
    certificate, the twin posts an EncryptedAssertion, the test SP with the SP's key
    (--decrypt-key) accepts it, and without it says what is missing."""
    pytest.importorskip("xmlsec", reason="python-xmlsec (ssoctl[xmlenc]) is not installed")
    import datetime as dt

    from ssoctl import certs
    from ssoctl.saml import xmlenc

    key, cert = certs.generate(now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    (example.parent / "certs" / "sp-enc.pem").write_bytes(certs.cert_pem(cert))
    text = example.read_text().replace(
        "  mitel-connect:\n",
        "  mitel-connect:\n    encryption: {certificate: certs/sp-enc.pem}\n",
        1,
    )
    example.write_text(text)
    assert run_cli("app", "set", "mitel-connect", "--reply-url", ACS, tenant=example).exit_code == 0
    twin = httpx.Client(
        transport=httpx.WSGITransport(app=Twin(TenantState(example, reload=True), TwinOptions())),
        base_url="http://localhost",
    )
    for decryption_key, accepted in (
        (xmlenc.load_key(certs.key_pem(key, None)), True),
        (None, False),
    ):
        options = SpOptions(app="mitel-connect", base_url="https://localhost:8444",
                            acs_path="/acs", decryption_key=decryption_key)  # fmt: skip
        sp = httpx.Client(
            transport=httpx.WSGITransport(app=LocalSP(TenantState(example, reload=True), options)),
            base_url="https://localhost:8444",
        )
        start = urlsplit(sp.get("/").headers["location"])
        sign_in(twin)
        form = _posted(twin.get(f"{start.path}?{start.query}").text)
        assert b"EncryptedAssertion" in base64.b64decode(form["SAMLResponse"])
        page = sp.post("/acs", data={"SAMLResponse": form["SAMLResponse"]}).text
        heading = page.split("</h1>")[0]
        if accepted:
            assert "accepted" in heading and "B.Simon@contoso.com" in page
        else:
            assert "accepted" not in heading and "--decrypt-key" in page

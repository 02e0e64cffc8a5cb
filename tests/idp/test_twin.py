"""The twin through httpx.WSGITransport: every route, every refusal, hostile requests."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import zlib
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from ssoctl import certs
from ssoctl import tenant as tenant_module
from ssoctl.idp.app import Twin, TwinOptions
from ssoctl.idp.state import TenantState
from ssoctl.saml import xml as samlxml
from ssoctl.saml.verify import verify_response
from tests.conftest import TENANT_ID, run_cli
from tests.saml_messages import redirect_value

MITEL_ID = "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"
MITEL_ACS = MITEL_ID + "/acs"
RC_ACS = "https://ssoeuro.ringcentral.com/sp/ACS.saml2"
SSO = f"/{TENANT_ID}/saml2"
X509_CONTEXT = (
    '<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>'
    "urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef>"
    "</samlp:RequestedAuthnContext>"
)


@pytest.fixture
def twin(example: Path, tmp_path: Path):
    log = (tmp_path / "twin.jsonl").open("a")
    state = TenantState(example, reload=True)
    app = Twin(state, TwinOptions(log=log))
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost")
    yield client
    client.close()
    log.close()


def authn_request(
    *, issuer: str = MITEL_ID, acs: str = MITEL_ACS, ident: str = "_req1", extra: str = "",
    attrs: str = "",
) -> str:  # fmt: skip
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ident}" Version="2.0" '
        f'IssueInstant="2026-11-23T10:00:00Z" AssertionConsumerServiceURL="{acs}"{attrs}>'
        f"<saml:Issuer>{issuer}</saml:Issuer>{extra}</samlp:AuthnRequest>"
    )


def redirect_query(xml: str, relay: str | None = None, param: str = "SAMLRequest") -> str:
    value = redirect_value(xml)
    return f"{param}={quote(value, safe='')}" + (
        f"&RelayState={quote(relay, safe='')}" if relay else ""
    )


def form_token(client: httpx.Client, page: str = "/_twin/pick") -> str:
    """The CSRF token of the twin's own forms, as a browser gets it: from the page."""
    text = client.get(page).text
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', text)[1])


def sign_in(client: httpx.Client, upn: str = "B.Simon@contoso.com") -> None:
    reply = client.post("/_twin/pick", data={"upn": upn, "csrf": form_token(client)})
    assert reply.status_code == 303, reply.text


def posted(page: str) -> tuple[str, bytes, str | None]:
    """(form action, SAMLResponse XML, RelayState) of an auto-post page."""
    action = html.unescape(re.search(r'action="([^"]*)"', page)[1])
    value = html.unescape(re.search(r'name="SAMLResponse" value="([^"]*)"', page)[1])
    relay = re.search(r'name="RelayState" value="([^"]*)"', page)
    return action, base64.b64decode(value), html.unescape(relay[1]) if relay else None


def verified(example: Path, data: bytes, acs: str, identifier: str, request_id: str | None = None):
    """The Response, verified with exactly what `assertion verify --app` trusts."""
    from ssoctl.signin import expectations_for

    loaded = tenant_module.load(example)
    app = next(n for n, a in loaded.model.apps.items() if identifier in a.identifiers)
    expect = expectations_for(
        loaded, app, at=dt.datetime.now(dt.timezone.utc), in_response_to=request_id
    )
    assert acs in expect.reply_urls
    outcome = verify_response(samlxml.parse(data), expect)
    assert outcome.valid, [c for c in outcome.checks if c.ok is False]
    return outcome.summary


def test_picker_then_my_apps(twin: httpx.Client) -> None:
    page = twin.get("/")
    assert page.status_code == 200 and "Pick an account" in page.text
    assert "B.Simon@contoso.com" in page.text and "RingCentral, Mitel Connect" in page.text
    sign_in(twin)
    apps = twin.get("/")
    assert "My Apps" in apps.text and "Signed in as <strong>B.Simon@contoso.com" in apps.text
    assert "IdP-initiated" in apps.text and "SP-initiated" in apps.text


def test_tile_idp_initiated_posts_a_verified_response(twin: httpx.Client, example: Path) -> None:
    run_cli(
        "app",
        "set",
        "ringcentral",
        "--relay-state",
        "https://service.ringcentral.com/",
        tenant=example,
    )
    sign_in(twin)
    page = twin.post("/_twin/launch/ringcentral", data={"csrf": form_token(twin, "/")})
    action, data, relay = posted(page.text)
    assert action == RC_ACS and relay == "https://service.ringcentral.com/"
    summary = verified(example, data, RC_ACS, "https://ssoeuro.ringcentral.com")
    assert summary["name_id"] == "B.Simon@contoso.com" and summary["in_response_to"] is None


def test_tile_with_sign_on_url_opens_the_sp(twin: httpx.Client) -> None:
    sign_in(twin)
    reply = twin.post("/_twin/launch/mitel-connect", data={"csrf": form_token(twin, "/")})
    assert reply.status_code == 303 and reply.headers["location"] == "https://accounts.mitel.io"


def test_sp_initiated_redirect_with_relay_state(twin: httpx.Client, example: Path) -> None:
    query = redirect_query(authn_request(), "/teams?x=1")
    picker = twin.get(f"{SSO}?{query}")
    assert "Pick an account to continue to mitel-connect" in picker.text
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', picker.text))
    form = {k: html.unescape(v) for k, v in hidden.items()} | {"upn": "B.Simon@contoso.com"}
    page = twin.post("/_twin/pick", data=form)
    action, data, relay = posted(page.text)
    assert action == MITEL_ACS and relay == "/teams?x=1"
    verified(example, data, MITEL_ACS, MITEL_ID, "_req1")
    # Signed in now: the next request is answered at once, as Entra does.
    again = twin.get(f"{SSO}?{redirect_query(authn_request(ident='_req2'))}")
    assert posted(again.text)[0] == MITEL_ACS


def test_sp_initiated_post_binding(twin: httpx.Client, example: Path) -> None:
    sign_in(twin)
    value = base64.b64encode(authn_request(ident="_post1").encode()).decode()
    page = twin.post(SSO, data={"SAMLRequest": value, "RelayState": "r"})
    action, data, relay = posted(page.text)
    assert action == MITEL_ACS and relay == "r"
    verified(example, data, MITEL_ACS, MITEL_ID, "_post1")


def _error(reply: httpx.Response) -> str:
    assert "Sorry, but we're having trouble signing you in." in reply.text
    assert (
        "Request Id" in reply.text and "Correlation Id" in reply.text and "Timestamp" in reply.text
    )
    return reply.text


@pytest.mark.parametrize(
    ("request_xml", "code"),
    [
        (authn_request(issuer="https://unknown.example/sp"), "AADSTS700016"),
        (authn_request(acs="https://evil.example/acs"), "AADSTS50011"),
        (authn_request(ident="1digit"), "AADSTS7500529"),
        (authn_request(extra="<samlp:Scoping/>"), "AADSTS900236"),
        (
            authn_request(attrs=' ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS"'),
            "AADSTS75003",
        ),
        (authn_request(extra='<samlp:NameIDPolicy Format="urn:bogus"/>'), "AADSTS75016"),
        (authn_request(extra=X509_CONTEXT), "AADSTS75011"),
    ],
)
def test_refusals_are_entra_pages(twin: httpx.Client, request_xml: str, code: str) -> None:
    sign_in(twin)
    reply = twin.get(f"{SSO}?{redirect_query(request_xml)}")
    assert reply.status_code == 400
    assert code in _error(reply)


def test_aadsts50011_uses_entras_text(twin: httpx.Client) -> None:
    reply = twin.get(f"{SSO}?{redirect_query(authn_request(acs='https://evil.example/acs'))}")
    text = html.unescape(_error(reply))
    assert (
        "AADSTS50011: The redirect URI 'https://evil.example/acs' specified in the request does "
        "not match the redirect URIs configured for the application "
        "'882f7abf-96d2-478b-9017-577003fb8fbc'." in text
    )


def test_unassigned_user_and_no_name_id(twin: httpx.Client, example: Path) -> None:
    run_cli("user", "add", "Eve@contoso.com", "--mail", "Eve@contoso.com", tenant=example)
    sign_in(twin, "Eve@contoso.com")
    reply = twin.get(f"{SSO}?{redirect_query(authn_request())}")
    assert "AADSTS50105" in _error(reply)
    run_cli("app", "assign", "mitel-connect", "Eve@contoso.com", tenant=example)
    text = example.read_text().replace(
        "platform: cloudlink", "platform: cloudlink\n    name_id: {source: user.surname}", 1
    )
    text = text.replace(
        "    sign_on_url: https://accounts.mitel.io\n"
        "    name_id: {source: user.userprincipalname, format: emailAddress}\n",
        "    sign_on_url: https://accounts.mitel.io\n",
    )
    example.write_text(text)
    reply = twin.get(f"{SSO}?{redirect_query(authn_request())}")
    assert "AADSTS501241" in _error(reply)


def test_error_mode_saml_posts_a_requester_response(example: Path) -> None:
    run_cli("user", "add", "Eve@contoso.com", "--mail", "Eve@contoso.com", tenant=example)
    app = Twin(TenantState(example, reload=False), TwinOptions(error_mode="saml"))
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost")
    sign_in(client, "Eve@contoso.com")
    page = client.get(f"{SSO}?{redirect_query(authn_request(), 'rs')}")
    action, data, relay = posted(page.text)
    root = etree.fromstring(data)
    status = root.find(".//{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")
    assert action == MITEL_ACS and relay == "rs" and status.get("Value").endswith(":Requester")
    assert "AADSTS50105" in (
        root.findtext(".//{urn:oasis:names:tc:SAML:2.0:protocol}StatusMessage") or ""
    )
    assert root.get("InResponseTo") == "_req1"


@pytest.mark.parametrize(
    "query",
    [
        "SAMLRequest=%%%not-base64",
        "SAMLRequest=" + quote(base64.b64encode(b"<not-closed").decode()),
        redirect_query('<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'),
        redirect_query("<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>"),
        "RelayState=only",
        "SAMLRequest=" + quote(base64.b64encode(zlib.compress(b"<a>" * 10)).decode()),
    ],
)
def test_malformed_requests_never_500(twin: httpx.Client, query: str) -> None:
    reply = twin.get(f"{SSO}?{query}")
    assert 400 <= reply.status_code < 500, reply.text
    assert "Traceback" not in reply.text


def test_caps_on_query_and_body(twin: httpx.Client) -> None:
    assert twin.get(f"{SSO}?SAMLRequest={'A' * 40000}").status_code == 414
    big = twin.post(SSO, content=b"SAMLRequest=" + b"A" * (1024 * 1024 + 10),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert big.status_code == 413


def test_other_tenant_and_unknown_paths(twin: httpx.Client) -> None:
    other = twin.get("/00000000-0000-0000-0000-000000000000/saml2?SAMLRequest=x")
    assert other.status_code == 404 and "AADSTS90002" in other.text
    for path in ("/certs/contoso-2026.key", "/tenant.yaml", "/../certs/contoso-2026.key"):
        reply = twin.get(path)
        assert reply.status_code == 404 and "PRIVATE KEY" not in reply.text


def test_app_federation_metadata(twin: httpx.Client, example: Path) -> None:
    from ssoctl.saml import signed_metadata

    path = f"/{TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml"
    reply = twin.get(path, params={"appid": "bb64ead1-81d6-47eb-998a-094603b3f753"})
    assert reply.status_code == 200
    cert = certs.load_certificate(example.parent / "certs" / "contoso-2026.pem")
    verdict = signed_metadata.verify(
        reply.content, "twin", cert, dt.datetime.now(dt.timezone.utc), None
    )
    assert verdict.verified
    assert twin.get(path).status_code == 404
    assert "PRIVATE KEY" not in reply.text


def test_single_logout(twin: httpx.Client, example: Path) -> None:
    run_cli(
        "app",
        "set",
        "mitel-connect",
        "--logout-url",
        "https://accounts.mitel.io/logout",
        tenant=example,
    )
    sign_in(twin)
    request = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lo1" Version="2.0" '
        f'IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>{MITEL_ID}</saml:Issuer>'
        "<saml:NameID>B.Simon@contoso.com</saml:NameID></samlp:LogoutRequest>"
    )
    reply = twin.get(f"{SSO}?{redirect_query(request, 'back')}")
    assert reply.status_code == 303
    location = reply.headers["location"]
    assert location.startswith("https://accounts.mitel.io/logout?SAMLResponse=")
    raw_query = urlsplit(location).query
    params = parse_qs(raw_query)
    signed_part = raw_query.split("&Signature=")[0]
    cert = certs.load_certificate(example.parent / "certs" / "contoso-2026.pem")
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(  # raises if the Redirect-binding signature is wrong
        base64.b64decode(params["Signature"][0]),
        signed_part.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    xml = zlib.decompress(base64.b64decode(params["SAMLResponse"][0]), -15)
    assert b'InResponseTo="_lo1"' in xml and params["RelayState"] == ["back"]
    # Entra's LogoutResponse Issuer is its login host, not the metadata's entity ID
    # (entra-saml.md, Single logout): an SP that checks it against the metadata refuses.
    issuer = etree.fromstring(xml).find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    assert issuer.text == f"https://login.microsoftonline.com/{TENANT_ID}/"
    assert "Max-Age=0" in reply.headers["set-cookie"]
    assert "Pick an account" in twin.get("/").text  # the session ended


SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


def redirect_message(example: Path, location: str, param: str) -> tuple[str, etree._Element]:
    """(endpoint, parsed message) of a signed Redirect-binding URL, its signature checked."""
    parts = urlsplit(location)
    signed_part = parts.query.split("&Signature=")[0]
    params = parse_qs(parts.query)
    key = certs.load_certificate(example.parent / "certs" / "contoso-2026.pem").public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(params["Signature"][0]), signed_part.encode(), padding.PKCS1v15(),
        hashes.SHA256(),
    )  # fmt: skip
    xml = zlib.decompress(base64.b64decode(params[param][0]), -15)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", etree.fromstring(xml)


def logout_response(in_response_to: str, status: str = "Success") -> str:
    return (
        '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
        f'IssueInstant="2026-11-23T10:00:00Z" InResponseTo="{in_response_to}">'
        "<saml:Issuer>https://ssoeuro.ringcentral.com</saml:Issuer><samlp:Status>"
        f'<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{status}"/>'
        "</samlp:Status></samlp:LogoutResponse>"
    )


def signed_in_to_both(twin: httpx.Client, example: Path) -> str:
    """B.Simon signed in to RingCentral (IdP-initiated) and Mitel (SP-initiated), both
    with a Logout URL; returns the SessionIndex RingCentral was sent."""
    run_cli("app", "set", "mitel-connect", "--logout-url", "https://accounts.mitel.io/logout",
            tenant=example)  # fmt: skip
    run_cli("app", "set", "ringcentral", "--logout-url", "https://ssoeuro.ringcentral.com/slo",
            tenant=example)  # fmt: skip
    sign_in(twin)
    page = twin.post("/_twin/launch/ringcentral", data={"csrf": form_token(twin, "/")})
    _, data, _ = posted(page.text)
    session_index = etree.fromstring(data).find(f".//{SAML}AuthnStatement").get("SessionIndex")
    twin.get(f"{SSO}?{redirect_query(authn_request())}")
    return session_index


def mitel_logs_out(twin: httpx.Client) -> httpx.Response:
    request = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lo1" Version="2.0" '
        f'IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>{MITEL_ID}</saml:Issuer>'
        "<saml:NameID>B.Simon@contoso.com</saml:NameID></samlp:LogoutRequest>"
    )
    return twin.get(f"{SSO}?{redirect_query(request, 'back')}")


def test_single_logout_tells_the_other_session_participants(
    twin: httpx.Client, example: Path
) -> None:
    session_index = signed_in_to_both(twin, example)
    reply = mitel_logs_out(twin)
    # First RingCentral, the other participant, gets a signed LogoutRequest naming the
    # NameID and SessionIndex it was sent...
    assert reply.status_code == 303
    endpoint, request = redirect_message(example, reply.headers["location"], "SAMLRequest")
    assert endpoint == "https://ssoeuro.ringcentral.com/slo"
    assert request.tag == f"{SAMLP}LogoutRequest"
    assert request.get("Destination") == "https://ssoeuro.ringcentral.com/slo"
    assert request.find(f"{SAML}Issuer").text == f"https://login.microsoftonline.com/{TENANT_ID}/"
    name_id = request.find(f"{SAML}NameID")
    assert name_id.text == "B.Simon@contoso.com" and name_id.get("Format", "").endswith(
        "emailAddress"
    )
    assert request.find(f"{SAMLP}SessionIndex").text == session_index
    assert "Pick an account" in twin.get("/").text  # signed out of the twin at once
    # ...and when it answers, Mitel, which asked, gets its LogoutResponse.
    answer = twin.get(
        f"{SSO}?{redirect_query(logout_response(request.get('ID')), param='SAMLResponse')}"
    )
    assert answer.status_code == 303
    endpoint, response = redirect_message(example, answer.headers["location"], "SAMLResponse")
    assert endpoint == "https://accounts.mitel.io/logout"
    assert response.get("InResponseTo") == "_lo1"
    code = response.find(f"{SAMLP}Status/{SAMLP}StatusCode")
    assert code.get("Value").endswith(":Success") and len(code) == 0
    assert parse_qs(urlsplit(answer.headers["location"]).query)["RelayState"] == ["back"]
    assert "Max-Age=0" in answer.headers["set-cookie"]


def test_single_logout_reports_a_participant_that_did_not_sign_out(
    twin: httpx.Client, example: Path
) -> None:
    signed_in_to_both(twin, example)
    _, request = redirect_message(example, mitel_logs_out(twin).headers["location"], "SAMLRequest")
    failed = logout_response(request.get("ID"), status="Responder")
    answer = twin.get(f"{SSO}?{redirect_query(failed, param='SAMLResponse')}")
    _, response = redirect_message(example, answer.headers["location"], "SAMLResponse")
    code = response.find(f"{SAMLP}Status/{SAMLP}StatusCode")
    assert code.get("Value").endswith(":Success")  # SAML Core 3.7.3.2
    assert code[0].get("Value") == "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"


def test_single_logout_refuses_a_logout_response_it_did_not_ask_for(
    twin: httpx.Client, example: Path
) -> None:
    signed_in_to_both(twin, example)
    mitel_logs_out(twin)
    forged = twin.get(f"{SSO}?{redirect_query(logout_response('_other'), param='SAMLResponse')}")
    assert forged.status_code == 400 and "No single logout is waiting" in forged.text
    fresh = httpx.Client(transport=twin._transport, base_url="http://localhost")
    unasked = fresh.get(f"{SSO}?{redirect_query(logout_response('_x'), param='SAMLResponse')}")
    assert unasked.status_code == 400 and "No single logout is waiting" in unasked.text


def test_single_logout_skips_a_participant_without_logout_url(
    twin: httpx.Client, example: Path
) -> None:
    signed_in_to_both(twin, example)
    run_cli("app", "set", "ringcentral", "--logout-url", "", tenant=example)
    reply = mitel_logs_out(twin)
    endpoint, response = redirect_message(example, reply.headers["location"], "SAMLResponse")
    assert endpoint == "https://accounts.mitel.io/logout" and response.get("InResponseTo") == "_lo1"


def test_reload_keeps_the_last_good_file_and_shows_the_error(
    twin: httpx.Client, example: Path
) -> None:
    good = example.read_text()
    example.write_text(good + "\nbroken: [\n")
    page = twin.get("/")
    assert "still serving the last good version" in page.text and "B.Simon@contoso.com" in page.text
    example.write_text(good.replace("display_name: B.Simon", "display_name: Britta S."))
    page = twin.get("/")
    assert "still serving" not in page.text and "Britta S." in page.text


def test_forged_cookie_is_no_session(twin: httpx.Client) -> None:
    twin.cookies.set(
        "ssoctl_twin", base64.urlsafe_b64encode(b'{"upn":"B.Simon@contoso.com"}').decode() + ".AAAA"
    )
    assert "Pick an account" in twin.get("/").text


def test_log_json_lines(twin: httpx.Client, tmp_path: Path) -> None:
    sign_in(twin)
    twin.get(f"{SSO}?{redirect_query(authn_request())}")
    lines = [json.loads(x) for x in (tmp_path / "twin.jsonl").read_text().splitlines()]
    sso = [x for x in lines if x["path"] == SSO][-1]
    assert sso["request"]["id"] == "_req1" and sso["request"]["issuer"] == MITEL_ID
    assert [c["check"] for c in sso["checks"]] == ["identifier", "request", "sign-in"]
    assert sso["sent"]["acs"] == MITEL_ACS and sso["sent"]["user"] == "B.Simon@contoso.com"


def test_group_assignments_count_everywhere(example: Path, twin: httpx.Client) -> None:
    """One answer to "which apps may this user use" (Tenant.apps_for): a user in two
    groups, a group assigned to two apps, a user both direct and through a group. The
    picker, My Apps and `user list` all give it."""
    for args in (
        ("user", "add", "Gina@contoso.com", "--mail", "Gina@contoso.com"),
        ("user", "add", "Hal@contoso.com", "--mail", "Hal@contoso.com"),
        ("group", "add", "Field", "--member", "Gina@contoso.com", "--member", "Hal@contoso.com"),
        ("group", "add", "Support", "--member", "Gina@contoso.com"),
        ("app", "assign", "ringcentral", "group:Field"),
        ("app", "assign", "mitel-connect", "group:Field"),
        ("app", "assign", "mitel-connect", "group:Support"),
        ("app", "assign", "mitel-connect", "Hal@contoso.com"),
    ):
        done = run_cli(*args, tenant=example)
        assert done.exit_code == 0, (args, done.stderr)
    listed = json.loads(run_cli("user", "list", "--format", "json", tenant=example).stdout)
    apps = {u["upn"]: u["apps"] for u in listed["users"]}
    assert apps["Gina@contoso.com"] == ["ringcentral", "mitel-connect"]
    assert apps["Hal@contoso.com"] == ["ringcentral", "mitel-connect"]  # once, not twice
    picker = twin.get("/").text
    gina = picker[picker.index("Gina@contoso.com") :][:300]
    assert "RingCentral, Mitel Connect" in gina
    sign_in(twin, "Gina@contoso.com")
    page = twin.get("/").text
    assert "RingCentral" in page and "Mitel Connect" in page


def test_aadsts50011_labels_the_twins_local_application_id(
    twin: httpx.Client, example: Path
) -> None:
    """Without a recorded app_id the twin's own ID is named as such, never in Entra's
    wording alone, where it could be pasted as the real one."""
    text = example.read_text().replace("    app_id: 882f7abf-96d2-478b-9017-577003fb8fbc\n", "", 1)
    example.write_text(text)
    reply = twin.get(f"{SSO}?{redirect_query(authn_request(acs='https://evil.example/acs'))}")
    shown = html.unescape(_error(reply))
    assert "(the twin's local ID, not Entra's: the app has no app_id in the tenant file)" in shown


@pytest.mark.parametrize(
    "value",
    [
        "%%%not-base64%%%",
        base64.b64encode(b"not deflated at all").decode(),
        base64.b64encode(zlib.compress(b"not xml <<<")[2:-4]).decode(),
        redirect_value('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'),
    ],
    ids=["not-base64", "not-deflate", "not-xml", "not-an-authnrequest"],
)
def test_a_malformed_request_gets_aadsts75005(twin: httpx.Client, value: str) -> None:
    sign_in(twin)
    reply = twin.get(f"{SSO}?SAMLRequest={quote(value, safe='')}")
    assert reply.status_code == 400
    assert "AADSTS75005: The request is not a valid Saml2 protocol message." in html.unescape(
        _error(reply)
    )

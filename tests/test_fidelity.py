"""Responses an SP cannot tell from Entra's (issue #12): claims, mail, RelayState, the
Audience, NameIDPolicy, how the user signed in, the Signature's shape, Entra's refusal
codes, and incomplete (Mitel) apps."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import stat
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

from ssoctl import tenant as tenant_module
from ssoctl.saml import response
from ssoctl.signin import SignInRequest, persistent_id, resolve
from tests.conftest import DATA, GOLDEN, NOW, TENANT_ID, run_cli
from tests.saml_messages import redirect_value

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
ALWAYS = [
    "http://schemas.microsoft.com/identity/claims/tenantid",
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "http://schemas.microsoft.com/identity/claims/identityprovider",
    "http://schemas.microsoft.com/claims/authnmethodsreferences",
]
MITEL_ID = "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"
MITEL_ACS = MITEL_ID + "/acs"


def q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def issue(tenant: Path, app: str, user: str = "B.Simon@contoso.com", *extra: str):
    return run_cli(
        "assertion", "issue", "--app", app, "--user", user, "--now", NOW, *extra, tenant=tenant
    )


def attributes(xml: bytes) -> dict[str, list[str]]:
    root = etree.fromstring(xml)
    return {
        a.get("Name"): [v.text or "" for v in a.findall(q(SAML, "AttributeValue"))]
        for a in root.iter(q(SAML, "Attribute"))
    }


def request(
    *,
    issuer: str = MITEL_ID,
    acs: str = MITEL_ACS,
    policy: str = "",
    extra: str = "",
    binding: str = "",
    ident: str = "_req1",
) -> str:
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ident}" Version="2.0" '
        f'IssueInstant="2027-01-15T10:00:00Z" AssertionConsumerServiceURL="{acs}"{binding}>'
        f"<saml:Issuer>{issuer}</saml:Issuer>{policy}{extra}</samlp:AuthnRequest>"
    )


def redirect_url(xml: str, relay: str | None) -> str:
    value = redirect_value(xml)
    url = f"https://login.microsoftonline.com/{TENANT_ID}/saml2?SAMLRequest={quote(value, safe='')}"
    return url + (f"&RelayState={quote(relay, safe='')}" if relay else "")


# 1. Entra's default claims ---------------------------------------------------------------


def test_an_app_without_claims_gets_entras_defaults_in_order(example: Path) -> None:
    out = issue(example, "mitel-connect")  # no claims: in the example
    assert out.exit_code == 0, out.stderr
    names = list(attributes(out.stdout_bytes))
    assert names == [
        *ALWAYS,
        *(f"{CLAIMS}{n}" for n in ("givenname", "surname", "emailaddress", "name")),
    ]


def test_claims_are_edited_with_commands_and_required_ones_stay(example: Path) -> None:
    assert (
        run_cli("app", "claim", "remove", "mitel-connect", "givenname", tenant=example).exit_code
        == 0
    )
    out = run_cli(
        "app", "claim", "set", "mitel-connect", "department", "user.displayname", tenant=example
    )
    assert out.exit_code == 0
    names = list(attributes(issue(example, "mitel-connect").stdout_bytes))
    assert f"{CLAIMS}givenname" not in names and names[-1] == "department"
    refused = run_cli("app", "claim", "remove", "ringcentral", "emailaddress", tenant=example)
    assert refused.exit_code == 2 and "requires" in refused.stderr
    listed = json.loads(
        run_cli("app", "claim", "list", "ringcentral", "-f", "json", tenant=example).stdout
    )["claims"]
    assert [(r["claim"].rsplit("/", 1)[-1], r["required_by_template"]) for r in listed] == [
        ("givenname", False),
        ("surname", False),
        ("emailaddress", True),
        ("name", False),
    ]


# 2. Users have no mail unless given ------------------------------------------------------


def test_portal_style_user_has_no_mail_and_gets_no_email_claim(example: Path) -> None:
    out = run_cli("user", "add", "Alex@contoso.com", "--display-name", "Alex", tenant=example)
    assert (
        out.exit_code == 0
        and "mail:" not in example.read_text().split("Alex@contoso.com")[1].split("- upn")[0]
    )
    before = example.read_bytes()
    refused = run_cli("app", "assign", "ringcentral", "Alex@contoso.com", tenant=example)
    assert refused.exit_code == 1 and "error[claim-source-missing]" in refused.stderr
    assert "RingCentral requires it" in refused.stderr and example.read_bytes() == before
    forced = ("app", "assign", "ringcentral", "Alex@contoso.com", "--force")
    assigned = run_cli(*forced, tenant=example)
    assert assigned.exit_code == 0 and "saved with --force" in assigned.stderr
    findings = json.loads(run_cli("validate", str(example), "-f", "json", "--now", NOW).stdout)
    errors = [f for f in findings["files"][0]["findings"] if f["rule"] == "claim-source-missing"]
    assert errors and errors[0]["severity"] == "error"
    # Mitel gets the sign-in without the email claim, as Entra leaves an empty claim out.
    run_cli("app", "assign", "mitel-connect", "Alex@contoso.com", "--force", tenant=example)
    names = attributes(issue(example, "mitel-connect", "Alex@contoso.com").stdout_bytes)
    assert f"{CLAIMS}emailaddress" not in names and f"{CLAIMS}name" in names
    # RingCentral requires it: refused, naming the consequence.
    refused = issue(example, "ringcentral", "Alex@contoso.com")
    assert refused.exit_code == 1 and "RingCentral requires it" in refused.stderr
    # user set adds it; --mail "" clears it.
    assert (
        run_cli(
            "user", "set", "Alex@contoso.com", "--mail", "Alex@contoso.com", tenant=example
        ).exit_code
        == 0
    )
    assert issue(example, "ringcentral", "Alex@contoso.com").exit_code == 0
    clear = ("user", "set", "Alex@contoso.com", "--mail", "")
    assert run_cli(*clear, tenant=example).exit_code == 1  # RingCentral would lose its email
    assert run_cli(*clear, "--force", tenant=example).exit_code == 0
    assert issue(example, "ringcentral", "Alex@contoso.com").exit_code == 1


# 3. RelayState ------------------------------------------------------------------------


def test_relay_state_round_trip(example: Path) -> None:
    sp = issue(example, "mitel-connect", "B.Simon@contoso.com", "--request",
               redirect_url(request(), "/teams/42?tab=chat"), "-f", "json")  # fmt: skip
    assert sp.exit_code == 0, sp.stderr
    assert json.loads(sp.stdout)["relay_state"] == "/teams/42?tab=chat"
    html = issue(example, "mitel-connect", "B.Simon@contoso.com", "--request",
                 redirect_url(request(), "/teams/42?tab=chat"), "-f", "html")  # fmt: skip
    assert 'name="RelayState" value="/teams/42?tab=chat"' in html.stdout
    assert (
        run_cli(
            "app",
            "set",
            "ringcentral",
            "--relay-state",
            "https://service.ringcentral.com/app",
            tenant=example,
        ).exit_code
        == 0
    )
    idp = json.loads(issue(example, "ringcentral", "B.Simon@contoso.com", "-f", "json").stdout)
    assert idp["relay_state"] == "https://service.ringcentral.com/app"
    override = json.loads(
        issue(
            example, "ringcentral", "B.Simon@contoso.com", "-f", "json", "--relay-state", "x"
        ).stdout
    )
    assert override["relay_state"] == "x"


# 4. Audience ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "audience"),
    [
        ("saml2:ringcentral:prod", "saml2:ringcentral:prod"),
        ("https://sso.example/sp", "https://sso.example/sp"),
        ("urn:example:sp", "urn:example:sp"),
        ("my-app", "spn:my-app"),
        ("1app:x", "spn:1app:x"),  # a scheme starts with a letter (RFC 3986)
    ],
)
def test_spn_prefix_only_without_a_uri_scheme(identifier: str, audience: str) -> None:
    from ssoctl.urls import audience_for

    assert audience_for(identifier) == audience


def test_ringcentral_legacy_identifier_is_accepted_with_a_note(example: Path) -> None:
    out = run_cli(
        "app", "set", "ringcentral", "--identifier", "saml2:ringcentral:prodeuro", tenant=example
    )
    assert out.exit_code == 0, out.stderr
    findings = json.loads(run_cli("validate", str(example), "-f", "json", "--now", NOW).stdout)[
        "files"
    ][0]["findings"]
    mine = [f for f in findings if "prodeuro" in f["message"]]
    assert [f["severity"] for f in mine] == ["info"] and "legacy" in mine[0]["message"]
    root = etree.fromstring(issue(example, "ringcentral").stdout_bytes)
    assert root.findtext(f".//{q(SAML, 'Audience')}") == "saml2:ringcentral:prodeuro"


# 5. NameIDPolicy -----------------------------------------------------------------------


def _name_id(xml: bytes) -> etree._Element:
    return etree.fromstring(xml).find(f".//{q(SAML, 'NameID')}")


def test_name_id_policies(example: Path) -> None:
    transient = request(
        policy='<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"/>'
    )
    first = _name_id(
        issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", transient).stdout_bytes
    )
    second = _name_id(
        issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", transient).stdout_bytes
    )
    assert first.text != second.text and "@" not in (first.text or "")
    persistent = request(
        policy='<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" '
        'SPNameQualifier="https://sp.example/qualifier"/>'
    )
    one = _name_id(
        issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", persistent).stdout_bytes
    )
    two = _name_id(
        issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", persistent).stdout_bytes
    )
    assert one.text == two.text and one.get("SPNameQualifier") == "https://sp.example/qualifier"
    # Keyed with the tenant's pairwise secret (0600, beside the keys), pairwise per app.
    object_id = "f5859cf9-a37c-4869-98b2-f506574bf1c7"
    secret_file = example.parent / "certs" / "pairwise-id.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = bytes.fromhex(secret_file.read_text().strip())
    message = f"ssoctl-persistent-v2|{TENANT_ID}|mitel-connect|{object_id}".encode()
    keyed = hmac.new(secret, message, hashlib.sha256).digest()
    assert one.text == base64.b64encode(keyed).decode()
    assert persistent_id(secret, TENANT_ID, "ringcentral", object_id) != one.text
    # Another SP cannot compute it from public values (the old unkeyed hash):
    unkeyed = hashlib.sha256(f"ssoctl-persistent-v1|{TENANT_ID}|mitel-connect|{object_id}".encode())
    assert one.text != base64.b64encode(unkeyed.digest()).decode()
    unspecified = request(
        policy='<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:'
        'unspecified"/>'
    )
    assert (
        _name_id(
            issue(
                example, "mitel-connect", "B.Simon@contoso.com", "--request", unspecified
            ).stdout_bytes
        ).text
        == "B.Simon@contoso.com"
    )


# 6. How the user signed in ------------------------------------------------------------


def test_authn_method_instant_and_requested_context(example: Path) -> None:
    out = issue(
        example,
        "ringcentral",
        "B.Simon@contoso.com",
        "--authn-method",
        "x509",
        "--session-age",
        "8h",
    )
    root = etree.fromstring(out.stdout_bytes)
    statement = root.find(f".//{q(SAML, 'AuthnStatement')}")
    assert statement.get("AuthnInstant") == "2027-01-15T02:00:00.000Z"
    assert (
        root.findtext(f".//{q(SAML, 'AuthnContextClassRef')}")
        == "urn:oasis:names:tc:SAML:2.0:ac:classes:X509"
    )
    amr = attributes(out.stdout_bytes)["http://schemas.microsoft.com/claims/authnmethodsreferences"]
    assert amr == ["http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/x509"]
    exact = request(extra=(
        '<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>'
        "urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef>"
        "</samlp:RequestedAuthnContext>"
    ))  # fmt: skip
    ok = issue(
        example,
        "mitel-connect",
        "B.Simon@contoso.com",
        "--request",
        exact,
        "--authn-method",
        "x509",
    )
    assert ok.exit_code == 0, ok.stderr
    refused = issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", exact)
    assert refused.exit_code == 1 and "AADSTS75011" in refused.stderr
    both = issue(
        example, "ringcentral", "B.Simon@contoso.com", "--authn-instant", NOW, "--session-age", "1h"
    )
    assert both.exit_code == 2


# 7. The Signature as Entra writes it ---------------------------------------------------


def test_signature_in_the_default_namespace(example: Path) -> None:
    xml = issue(example, "ringcentral").stdout_bytes
    assert b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in xml and b"ds:" not in xml
    md = run_cli(
        "metadata", "export", "--app", "ringcentral", "--now", NOW, tenant=example
    ).stdout_bytes
    assert b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in md


# 8. Entra's codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (
            request(
                binding=' ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"'
            ),
            "AADSTS75003",
        ),
        (request(extra="<samlp:Scoping><samlp:IDPList/></samlp:Scoping>"), "AADSTS900236"),
        (request(issuer="https://unknown.example/sp"), "AADSTS65005"),
        (request(acs="https://elsewhere.example/acs"), "AADSTS50011"),
        (request(ident="1abc"), "AADSTS7500529"),
    ],
)
def test_refusals_name_entras_codes(example: Path, xml: str, code: str) -> None:
    out = issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", xml)
    assert out.exit_code == 1 and code in out.stderr


def test_no_usable_certificate_is_aadsts50003(example: Path) -> None:
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", "2031-01-01T00:00:00Z", tenant=example,
    )  # fmt: skip
    assert out.exit_code == 1 and "AADSTS50003" in out.stderr


# Element by element against the real Entra Response ------------------------------------


def shape(root: etree._Element) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """(depth, prefix, local name, attribute names) of every element, document order;
    Attribute elements beyond the five always-sent claims are left out (app-specific)."""
    out = []

    def walk(element: etree._Element, depth: int) -> None:
        if not isinstance(element.tag, str):
            return
        if element.tag == q(SAML, "Attribute") and element.get("Name") not in ALWAYS:
            return
        qname = etree.QName(element)
        out.append((depth, element.prefix or "", qname.localname, tuple(sorted(element.attrib))))
        for child in element:
            walk(child, depth + 1)

    walk(root, 0)
    return out


def test_sp_initiated_response_has_the_real_entra_shape(example: Path) -> None:
    real = etree.parse(str(DATA / "entra-response-2022.xml")).getroot()
    ours = etree.fromstring(
        issue(example, "mitel-connect", "B.Simon@contoso.com", "--request", request()).stdout_bytes
    )
    assert shape(ours) == shape(real)
    names = [a.get("Name") for a in ours.iter(q(SAML, "Attribute"))][:5]
    assert names == ALWAYS
    assert ours.nsmap.get("samlp") and ours.find(q(SAML, "Assertion")).prefix is None
    real_conditions = real.find(f".//{q(SAML, 'Conditions')}")
    ours_conditions = ours.find(f".//{q(SAML, 'Conditions')}")
    for conditions in (real_conditions, ours_conditions):  # -5 min / +60 min around issue
        start = dt.datetime.fromisoformat(conditions.get("NotBefore").replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(conditions.get("NotOnOrAfter").replace("Z", "+00:00"))
        assert end - start == dt.timedelta(minutes=65)


# Golden Responses, compared after C14N -------------------------------------------------


def _golden_response(tenant: Path, app: str, req: str | None, relay: str | None) -> bytes:
    """Deterministic: fixed IDs and instant; RSA PKCS#1 v1.5 signatures are deterministic."""
    from ssoctl.cli.common import parse_now
    from ssoctl.saml import authnrequest, bindings, xml
    from ssoctl.tenant import keyring

    loaded = tenant_module.load(tenant)
    parsed = None
    if req is not None:
        decoded = bindings.decode(req)
        app_model = loaded.model.apps[app]
        parsed = authnrequest.check(
            xml.parse(decoded.xml), app_model.identifiers, app_model.reply_urls
        )
    now = parse_now(NOW)
    resolved = resolve(
        loaded.model,
        SignInRequest(
            app=app, upn="B.Simon@contoso.com", now=now, request=parsed, request_relay_state=relay
        ),
    )
    counter = itertools.count()
    root, rid, aid = response.build(resolved.spec, lambda: f"_{next(counter):08x}-golden")
    entry = keyring.usable_active(loaded, app, now)
    signer = response.Signer(
        key=keyring.private_key(loaded, entry.name, lambda _p: None), cert=entry.cert
    )
    signed = response.sign_response(root, rid, aid, signer)
    return etree.tostring(signed, method="c14n", exclusive=True)


@pytest.mark.parametrize(
    ("name", "app", "sp_initiated"),
    [
        ("response-ringcentral.xml", "ringcentral", False),
        ("response-mitel.xml", "mitel-connect", True),
    ],
)
def test_golden_responses(example: Path, name: str, app: str, sp_initiated: bool) -> None:
    req = redirect_url(request(), "/home") if sp_initiated else None
    got = _golden_response(example, app, req, "/home" if sp_initiated else None)
    golden = GOLDEN / name
    if os.environ.get("SSOCTL_REGENERATE_GOLDEN"):  # then review the diff before committing
        golden.write_bytes(got)
    assert got == golden.read_bytes(), f"regenerate tests/golden/{name} if the change is intended"

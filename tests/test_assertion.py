"""assertion issue / verify / decode through the CLI: Entra's shape, Entra's refusals,
negative cases, the real Entra response, and the output formats."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

from tests.conftest import DATA, NOW, SHARED, TENANT_ID, run_cli

SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
ENTRA = DATA / "entra-response-2022.xml"  # a copy of shared/fixtures/, see data/xsd/README
ENTRA_AT = "2022-02-23T17:50:00Z"
MITEL_ID = "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"
MITEL_ACS = MITEL_ID + "/acs"


def issue(tenant: Path, *args: str, app: str = "ringcentral") -> bytes:
    out = run_cli(
        "assertion",
        "issue",
        "--app",
        app,
        "--user",
        "B.Simon@contoso.com",
        "--now",
        NOW,
        *args,
        tenant=tenant,
    )
    assert out.exit_code == 0, out.stderr
    return out.stdout_bytes


def verify(tenant: Path, data: bytes, tmp_path: Path, *args: str, app: str = "ringcentral"):
    path = tmp_path / "response.xml"
    path.write_bytes(data)
    return run_cli(
        "assertion",
        "verify",
        str(path),
        "--app",
        app,
        "--at",
        NOW,
        "-f",
        "json",
        *args,
        tenant=tenant,
    )


def checks(outcome) -> dict[str, bool | None]:
    return {c["check"]: c["ok"] for c in json.loads(outcome.stdout)["checks"]}


def test_response_has_entras_shape(example: Path):
    root = etree.fromstring(issue(example))
    assert root.tag == f"{SAMLP}Response" and root.prefix == "samlp"
    assert root.get("Destination") == "https://ssoeuro.ringcentral.com/sp/ACS.saml2"
    assert root.get("InResponseTo") is None  # IdP-initiated
    assertion = root.find(f"{SAML}Assertion")
    assert assertion.prefix is None  # default namespace, as Entra writes it
    children = [etree.QName(c).localname for c in assertion]
    assert children == [
        "Issuer",
        "Signature",
        "Subject",
        "Conditions",
        "AttributeStatement",
        "AuthnStatement",
    ]
    assert root.findtext(f"{SAML}Issuer") == f"https://sts.windows.net/{TENANT_ID}/"
    conditions = assertion.find(f"{SAML}Conditions")
    assert conditions.get("NotBefore") == "2027-01-15T09:55:00.000Z"
    assert conditions.get("NotOnOrAfter") == "2027-01-15T11:00:00.000Z"
    assert assertion.findtext(f".//{SAML}Audience") == "https://ssoeuro.ringcentral.com"
    name_id = assertion.find(f"{SAML}Subject/{SAML}NameID")
    assert name_id.text == "B.Simon@contoso.com"
    assert name_id.get("Format") == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    data = assertion.find(f".//{SAML}SubjectConfirmationData")
    assert data.get("Recipient") == root.get("Destination")
    authn = assertion.find(f"{SAML}AuthnStatement")
    assert authn.get("SessionIndex") == assertion.get("ID")
    names = [a.get("Name") for a in assertion.iter(f"{SAML}Attribute")]
    assert names[:5] == [
        "http://schemas.microsoft.com/identity/claims/tenantid",
        "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "http://schemas.microsoft.com/identity/claims/displayname",
        "http://schemas.microsoft.com/identity/claims/identityprovider",
        "http://schemas.microsoft.com/claims/authnmethodsreferences",
    ]
    assert "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" in names
    signature = assertion.find(f"{DS}Signature")
    assert signature.find(f".//{DS}SignatureMethod").get("Algorithm").endswith("rsa-sha256")
    assert signature.find(f".//{DS}X509Certificate") is not None


def test_issued_response_verifies(example: Path, tmp_path: Path):
    out = verify(example, issue(example), tmp_path)
    assert out.exit_code == 0, out.stdout
    assert all(v is not False for v in checks(out).values())


@pytest.mark.parametrize("mode", ["response", "both"])
def test_sign_modes(example: Path, tmp_path: Path, mode: str):
    data = issue(example, "--sign", mode)
    root = etree.fromstring(data)
    assert root.find(f"{DS}Signature") is not None
    assert (root.find(f"{SAML}Assertion/{DS}Signature") is not None) == (mode == "both")
    out = verify(example, data, tmp_path)
    assert out.exit_code == 0, out.stdout


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ("expired", "time"),
        ("not-yet-valid", "time"),
        ("wrong-audience", "audience"),
        ("wrong-recipient", "destination"),
        ("unsigned", "signature"),
        ("bad-signature", "signature"),
    ],
)
def test_negative_cases_are_rejected_with_the_right_reason(
    example: Path, tmp_path: Path, case: str, check: str
):
    out = verify(example, issue(example, "--case", case), tmp_path)
    assert out.exit_code == 1
    assert checks(out)[check] is False


def test_sha1_case_is_reported_not_fatal(example: Path, tmp_path: Path):
    out = verify(example, issue(example, "--case", "sha1"), tmp_path)
    assert out.exit_code == 0
    reasons = {c["check"]: c["reason"] for c in json.loads(out.stdout)["checks"]}
    assert "SHA-1" in reasons["algorithm"]


def test_unassigned_user_is_aadsts50105(example: Path):
    run_cli("user", "add", "Alex@contoso.com", tenant=example)
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "Alex@contoso.com", tenant=example
    )
    assert out.exit_code == 1 and "AADSTS50105" in out.stderr
    forced = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "Alex@contoso.com",
        "--force",
        tenant=example,
    )
    assert forced.exit_code == 0 and "AADSTS50105" in forced.stderr


def test_user_without_mail_gets_no_email_claim(example: Path):
    text = example.read_text().replace("    mail: B.Simon@contoso.com\n", "")
    example.write_text(text)
    out = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        tenant=example,
    )
    assert out.exit_code == 1
    assert "emailaddress" in out.stderr and "RingCentral requires it" in out.stderr
    forced = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        "--force",
        tenant=example,
    )
    assert forced.exit_code == 0
    assert b"claims/emailaddress" not in forced.stdout_bytes


def authn_request(
    issuer: str = MITEL_ID,
    acs: str | None = MITEL_ACS,
    rid: str = "_req1",
    extra: str = "",
    attrs: str = "",
) -> bytes:
    acs_attr = f' AssertionConsumerServiceURL="{acs}"' if acs else ""
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{rid}" Version="2.0" IssueInstant="2027-01-15T10:00:00Z"{acs_attr}{attrs}>'
        f"<saml:Issuer>{issuer}</saml:Issuer>{extra}</samlp:AuthnRequest>"
    ).encode()


def redirect_url(xml: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(xml) + compressor.flush()
    value = quote(base64.b64encode(deflated).decode(), safe="")
    return f"https://login.microsoftonline.com/{TENANT_ID}/saml2?SAMLRequest={value}"


@pytest.mark.parametrize("form", ["redirect", "post", "xml", "file"])
def test_sp_initiated_request_forms(example: Path, tmp_path: Path, form: str):
    xml = authn_request()
    value = {
        "redirect": redirect_url(xml),
        "post": base64.b64encode(xml).decode(),
        "xml": xml.decode(),
        "file": str(tmp_path / "req.xml"),
    }[form]
    (tmp_path / "req.xml").write_bytes(xml)
    data = issue(example, "--request", value, app="mitel-connect")
    root = etree.fromstring(data)
    assert root.get("InResponseTo") == "_req1"
    assert root.find(f".//{SAML}SubjectConfirmationData").get("InResponseTo") == "_req1"
    assert root.get("Destination") == MITEL_ACS
    out = verify(example, data, tmp_path, "--expect-in-response-to", "_req1", app="mitel-connect")
    assert out.exit_code == 0, out.stdout
    wrong = verify(
        example, data, tmp_path, "--expect-in-response-to", "_other", app="mitel-connect"
    )
    assert wrong.exit_code == 1 and checks(wrong)["in-response-to"] is False


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (authn_request(issuer="https://other.example.com/sp"), "AADSTS700016"),
        (authn_request(acs="https://evil.example.com/acs"), "AADSTS50011"),
        (authn_request(rid="1abc"), "AADSTS7500529"),
        (authn_request(extra='<samlp:NameIDPolicy Format="urn:x:bogus"/>'), "AADSTS75016"),
        (
            authn_request(extra="<saml:Subject><saml:NameID>x</saml:NameID></saml:Subject>"),
            "Subject",
        ),
        (
            authn_request(
                extra='<samlp:RequestedAuthnContext Comparison="minimum">'
                "<saml:AuthnContextClassRef>"
                "urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>"
                "</samlp:RequestedAuthnContext>"
            ),
            "exact",
        ),
    ],
)
def test_request_checks_name_entra_errors(example: Path, xml: bytes, code: str):
    out = run_cli(
        "assertion",
        "issue",
        "--app",
        "mitel-connect",
        "--user",
        "B.Simon@contoso.com",
        "--request",
        xml.decode(),
        tenant=example,
    )
    assert out.exit_code == 1
    assert code in out.stderr


def test_name_id_policy_wins(example: Path):
    xml = authn_request(
        extra='<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>'
    )
    root = etree.fromstring(issue(example, "--request", xml.decode(), app="mitel-connect"))
    assert root.find(f".//{SAML}NameID").get("Format").endswith(":persistent")


def test_formats_html_json_base64_count(example: Path):
    b64 = issue(example, "--format", "base64").strip()
    assert base64.b64decode(b64).startswith(b"<samlp:Response")
    html = issue(example, "--format", "html", "--relay-state", '"><script>x</script>').decode()
    assert 'action="https://ssoeuro.ringcentral.com/sp/ACS.saml2"' in html
    assert "<script>x" not in html and "&quot;&gt;&lt;script&gt;" in html
    doc = json.loads(issue(example, "--format", "json"))
    assert doc["summary"]["name_id"] == "B.Simon@contoso.com"
    lines = issue(example, "--count", "3").decode().splitlines()
    ids = {json.loads(line)["id"] for line in lines}
    assert len(lines) == 3 and len(ids) == 3


def _entra_cert(tmp_path: Path) -> Path:
    root = etree.parse(str(ENTRA)).getroot()
    body = root.findtext(f".//{DS}X509Certificate").strip()
    pem = tmp_path / "entra.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n")
    return pem


def test_real_entra_response_verifies(tmp_path: Path):
    pem = _entra_cert(tmp_path)
    out = run_cli("assertion", "verify", str(ENTRA), "--cert", str(pem), "--at", ENTRA_AT)
    assert out.exit_code == 0, out.stdout
    embedded = run_cli("assertion", "verify", str(ENTRA), "--trust-embedded-cert", "--at", ENTRA_AT)
    assert embedded.exit_code == 0 and "integrity only" in embedded.stdout
    late = run_cli("assertion", "verify", str(ENTRA), "--cert", str(pem))
    assert late.exit_code == 1  # today the response and the certificate have expired


def test_every_tampered_signed_value_fails(tmp_path: Path):
    pem = _entra_cert(tmp_path)
    original = ENTRA.read_bytes()
    edits = [
        (
            b"test@alexandremaurelgmail.onmicrosoft.com</NameID>",
            b"tesT@alexandremaurelgmail.onmicrosoft.com</NameID>",
        ),
        (b'NotOnOrAfter="2022-02-23T18:49:18.779Z"', b'NotOnOrAfter="2022-02-23T19:49:18.779Z"'),
        (b"<AttributeValue>test</AttributeValue>", b"<AttributeValue>tesu</AttributeValue>"),
        (
            b"https://devpg.tercen.com/_service/sso/auth/saml</Audience>",
            b"https://devpg.tercen.com/_service/sso/auth/samL</Audience>",
        ),
    ]
    for old, new in edits:
        assert old in original, old
        path = tmp_path / "tampered.xml"
        path.write_bytes(original.replace(old, new, 1))
        out = run_cli(
            "assertion", "verify", str(path), "--cert", str(pem), "--at", ENTRA_AT, "-f", "json"
        )
        assert out.exit_code == 1, old
        assert checks(out)["signature"] is False


def test_decode_redirect_and_post(example: Path):
    xml = authn_request()
    out = run_cli("assertion", "decode", redirect_url(xml), "-f", "json")
    doc = json.loads(out.stdout)
    assert doc["type"] == "AuthnRequest" and doc["binding"] == "redirect"
    assert doc["summary"]["issuer"] == MITEL_ID and "NOT checked" in doc["note"]
    b64 = issue(example, "--format", "base64").decode().strip()
    pretty = run_cli("assertion", "decode", b64)
    assert pretty.exit_code == 0 and "\n  <samlp:Status>" in pretty.stdout
    assert "not checked" in pretty.stderr


def test_unreadable_input_exits_3(tmp_path: Path):
    out = run_cli("assertion", "verify", "not base64 !!", "--trust-embedded-cert")
    assert out.exit_code == 3 and "Base64" in out.stderr
    missing = run_cli("assertion", "verify", str(tmp_path / "none.xml"), "--trust-embedded-cert")
    assert missing.exit_code == 3 and "does not exist" in missing.stderr


def test_verify_needs_a_trust_source():
    out = run_cli("assertion", "verify", str(ENTRA))
    assert out.exit_code == 2


def test_entra_fixture_copy_matches_shared():
    shared = SHARED / "fixtures" / "entra-response-2022.xml"
    if not shared.exists():
        pytest.skip(f"{shared} is not present in this checkout")
    assert shared.read_bytes() == ENTRA.read_bytes()


def test_read_input_tells_files_from_values(tmp_path: Path):
    from ssoctl.cli.assertion_cmd import read_input
    from ssoctl.errors import OperationError

    short_b64 = "fZBNT8MwDIbv/IrI9zZpi0QUNUVT/rSw/VWV+PK/5lg/ZWEt+Q=="  # has "/" like many
    assert read_input(short_b64, "x") == short_b64.encode()
    file = tmp_path / "r.xml"
    file.write_text("<r/>")
    assert read_input(str(file), "x") == b"<r/>"
    with pytest.raises(OperationError, match="does not exist"):
        read_input(str(tmp_path / "missing.xml"), "x")
    with pytest.raises(OperationError, match="does not exist"):
        read_input("./nope", "x")


def test_values_with_xml_special_characters_round_trip(example: Path, tmp_path: Path):
    """Values are escaped for XML, not trusted: what the SP reads is what was given."""
    tricky = "a&b <c> \"d\" 'e' &amp; ]]> tab\there é"
    data = issue(example, "--attr", f"note={tricky}", "--attr", f"{tricky}=x")
    root = etree.fromstring(data)
    values = {
        a.get("Name"): a.findtext(f"{SAML}AttributeValue") for a in root.iter(f"{SAML}Attribute")
    }
    assert values["note"] == tricky
    assert values[tricky] == "x"
    assert verify(example, data, tmp_path).exit_code == 0


def test_a_control_character_is_a_clear_error_not_a_crash(example: Path):
    tenant_text = example.read_text()
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--attr", "note=a\x01b", tenant=example,
    )  # fmt: skip
    assert out.exit_code == 1, out.stderr
    assert "note for B.Simon@contoso.com contains U+0001" in out.stderr
    assert "Traceback" not in out.stderr
    assert example.read_text() == tenant_text


def test_a_control_character_in_the_tenant_file_is_located(example: Path):
    """A YAML escape can put a character in a value that no XML can carry; the tenant
    model refuses it where it is written, for every command, and nothing is written."""
    edited = example.read_text().replace("display_name: B.Simon", 'display_name: "B.\\x07Simon"')
    example.write_text(edited)
    line = next(i for i, text in enumerate(edited.splitlines(), 1) if "\\x07" in text)
    for args in (
        ("assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com"),
        ("user", "add", "X.Y@contoso.com"),
        ("metadata", "export", "--app", "ringcentral"),
    ):
        out = run_cli(*args, tenant=example)
        assert out.exit_code == 1, (args, out.stderr)
        assert f"tenant.yaml:{line}:19: users[0].display_name" in out.stderr
        assert "contains U+0007, a character XML cannot carry" in out.stderr
        assert "Traceback" not in out.stderr
        assert example.read_text() == edited


def test_verify_against_the_wrong_app_says_which_certificate_signed(
    example: Path, tmp_path: Path
) -> None:
    """Was "Signature verification failed:" with nothing after the colon (issue #21)."""
    made = run_cli(
        "cert", "new", "--app", "mitel-connect", "--activate", "--name", "mitel-own", tenant=example
    )
    assert made.exit_code == 0, made.stderr
    text = example.read_text()
    example.write_text(text.replace("[contoso-2026, mitel-own]", "[mitel-own]"))
    issued = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        tenant=example,
    )
    response = tmp_path / "rc.xml"
    response.write_bytes(issued.stdout_bytes)
    out = run_cli("assertion", "verify", str(response), "--app", "mitel-connect", tenant=example)
    assert out.exit_code == 1
    assert "signed by a certificate that is not trusted here (thumbprint " in out.stdout
    assert "verification failed: \n" not in out.stdout

"""Responses issued by ssoctl judged by pysaml2 as an SP (configured from the IdP
metadata ssoctl exports), by python3-saml in strict mode, and by xmlsec1; tampered,
expired and wrong-audience ones must be refused by pysaml2 too."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from tests.conftest import TENANT_ID, run_cli
from tests.interop.conftest import require_xmlsec1, schema, xmlsec1_verify

IDP = f"https://sts.windows.net/{TENANT_ID}/"
RC_ID = "https://ssoeuro.ringcentral.com"
RC_ACS = "https://ssoeuro.ringcentral.com/sp/ACS.saml2"
MITEL_ID = "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"
MITEL_ACS = MITEL_ID + "/acs"


def issue(tenant: Path, app: str, *args: str) -> bytes:
    out = run_cli(
        "assertion", "issue", "--app", app, "--user", "B.Simon@contoso.com", *args, tenant=tenant
    )
    assert out.exit_code == 0, out.stderr
    return out.stdout_bytes


def idp_metadata(tenant: Path, tmp_path: Path, app: str) -> Path:
    out = run_cli("metadata", "export", "--app", app, tenant=tenant)
    assert out.exit_code == 0, out.stderr
    path = tmp_path / f"idp-{app}.xml"
    path.write_bytes(out.stdout_bytes)
    return path


def pysaml2_sp(metadata: Path, entity_id: str, acs: str, unsolicited: bool, **extra: object):
    pytest.importorskip("saml2", reason="pysaml2 is not installed (pip install '.[test]')")
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    config = SPConfig()
    config.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": require_xmlsec1(),
            "metadata": {"local": [str(metadata)]},
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                    "allow_unsolicited": unsolicited,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "authn_requests_signed": False,
                }
            },
            **extra,
        }
    )
    return Saml2Client(config=config)


def post(client, data: bytes, outstanding: dict[str, str] | None = None):
    from saml2 import BINDING_HTTP_POST

    return client.parse_authn_request_response(
        base64.b64encode(data).decode(), BINDING_HTTP_POST, outstanding=outstanding or {}
    )


def test_pysaml2_accepts_ringcentral_idp_initiated(example: Path, tmp_path: Path):
    client = pysaml2_sp(idp_metadata(example, tmp_path, "ringcentral"), RC_ID, RC_ACS, True)
    response = post(client, issue(example, "ringcentral"))
    assert response is not None
    assert response.name_id.text == "B.Simon@contoso.com"
    identity = response.get_identity()
    # pysaml2 maps known claim URIs to friendly names (emailaddress -> emailAddress)
    assert ["B.Simon@contoso.com"] in identity.values()
    assert response.ava, identity
    assert response.issuer() == IDP


@pytest.mark.parametrize("case", ["bad-signature", "expired", "wrong-audience", "unsigned"])
def test_pysaml2_refuses_bad_responses(example: Path, tmp_path: Path, case: str):
    client = pysaml2_sp(idp_metadata(example, tmp_path, "ringcentral"), RC_ID, RC_ACS, True)
    data = issue(example, "ringcentral", "--case", case)
    try:
        response = post(client, data)
    except Exception:  # pysaml2 signals refusal with a variety of exceptions
        return
    assert response is None or not response.assertion, f"pysaml2 accepted --case {case}"


def test_pysaml2_accepts_mitel_sp_initiated(example: Path, tmp_path: Path):
    from saml2 import BINDING_HTTP_REDIRECT

    client = pysaml2_sp(
        idp_metadata(example, tmp_path, "mitel-connect"), MITEL_ID, MITEL_ACS, False
    )
    request_id, info = client.prepare_for_authenticate(entityid=IDP, binding=BINDING_HTTP_REDIRECT)
    location = dict(info["headers"])["Location"]
    assert urlsplit(location).path == f"/{TENANT_ID}/saml2"
    data = issue(example, "mitel-connect", "--request", location)
    response = post(client, data, {request_id: "/"})
    assert response is not None and response.name_id.text == "B.Simon@contoso.com"
    assert response.in_response_to == request_id
    # the same response is refused when pysaml2 did not send that request
    try:
        refused = post(client, data, {"id-other": "/"})
    except Exception:  # pysaml2's refusal type varies by version
        refused = None
    assert refused is None, "pysaml2 accepted a response to a request it never sent"


def python3_saml(entity_id: str, acs: str, cert_pem: Path, sign: str = "assertion"):
    pytest.importorskip(
        "onelogin.saml2.response", reason="python3-saml is not installed (pip install '.[test]')"
    )
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    body = "".join(cert_pem.read_text().splitlines()[1:-1])
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": {
                "entityId": entity_id,
                "assertionConsumerService": {
                    "url": acs,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
            },
            "idp": {
                "entityId": IDP,
                "singleSignOnService": {
                    "url": f"https://login.microsoftonline.com/{TENANT_ID}/saml2",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "x509cert": body,
            },
            "security": {
                "wantAssertionsSigned": sign in ("assertion", "both"),
                "wantMessagesSigned": sign in ("response", "both"),
            },
        },
        sp_validation_only=True,
    )


def request_data(acs: str) -> dict[str, str]:
    parts = urlsplit(acs)
    return {"https": "on", "http_host": parts.netloc, "script_name": parts.path}


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_python3_saml_strict_is_valid(example: Path, sign: str):
    settings = python3_saml(RC_ID, RC_ACS, example.parent / "certs" / "contoso-2026.pem", sign)
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    data = issue(example, "ringcentral", "--sign", sign)
    response = Response(settings, base64.b64encode(data).decode())
    assert response.is_valid(request_data(RC_ACS), raise_exceptions=True)
    assert response.get_nameid() == "B.Simon@contoso.com"
    bad = Response(
        settings,
        base64.b64encode(issue(example, "ringcentral", "--case", "wrong-audience")).decode(),
    )
    assert not bad.is_valid(request_data(RC_ACS))


def test_python3_saml_sp_initiated(example: Path):
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    settings = python3_saml(MITEL_ID, MITEL_ACS, example.parent / "certs" / "contoso-2026.pem")
    request = (
        f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="ONELOGIN_abc" '
        f'Version="2.0" IssueInstant="2027-01-01T00:00:00Z" '
        f'AssertionConsumerServiceURL="{MITEL_ACS}">'
        f"<saml:Issuer>{MITEL_ID}</saml:Issuer></samlp:AuthnRequest>"
    )
    data = issue(example, "mitel-connect", "--request", request)
    response = Response(settings, base64.b64encode(data).decode())
    assert response.is_valid(
        request_data(MITEL_ACS), request_id="ONELOGIN_abc", raise_exceptions=True
    )


def test_xmlsec1_verifies_issued_assertion(example: Path, tmp_path: Path):
    if shutil.which("xmlsec1") is None:
        require_xmlsec1()
    path = tmp_path / "response.xml"
    path.write_bytes(issue(example, "ringcentral"))
    cert = example.parent / "certs" / "contoso-2026.pem"
    ok = xmlsec1_verify(path, cert, "urn:oasis:names:tc:SAML:2.0:assertion:Assertion")
    assert ok.returncode == 0, ok.stderr
    path.write_bytes(issue(example, "ringcentral", "--case", "bad-signature"))
    bad = xmlsec1_verify(path, cert, "urn:oasis:names:tc:SAML:2.0:assertion:Assertion")
    assert bad.returncode != 0


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_issued_responses_are_valid_against_the_oasis_protocol_schema(example: Path, sign: str):
    """The OASIS saml-schema-protocol-2.0.xsd (which imports the assertion and xmldsig
    schemas) accepts every sign mode, IdP- and SP-initiated, with escaped values."""
    xsd = schema("saml-schema-protocol-2.0.xsd")
    request = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
        f'IssueInstant="2027-01-01T00:00:00Z" AssertionConsumerServiceURL="{MITEL_ACS}">'
        f"<saml:Issuer>{MITEL_ID}</saml:Issuer></samlp:AuthnRequest>"
    )
    for data in (
        issue(example, "ringcentral", "--sign", sign, "--attr", 'note=a&b <c> "d"'),
        issue(example, "mitel-connect", "--sign", sign, "--request", request),
    ):
        doc = etree.fromstring(data)
        assert xsd.validate(doc), xsd.error_log


def test_the_protocol_schema_rejects_a_misplaced_signature(example: Path):
    doc = etree.fromstring(issue(example, "ringcentral"))
    assertion = doc.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    signature = assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assertion.append(signature)  # after the AuthnStatement: not where SAML allows it
    assert not schema("saml-schema-protocol-2.0.xsd").validate(doc)


DEFAULT_CLAIMS = [
    f"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/{n}"
    for n in ("givenname", "surname", "emailaddress", "name")
]


def test_both_sp_libraries_read_every_default_claim(example: Path, tmp_path: Path):
    """mitel-connect has no claims: in the example, so it gets Entra's defaults."""
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    settings = python3_saml(MITEL_ID, MITEL_ACS, example.parent / "certs" / "contoso-2026.pem")
    data = issue(example, "mitel-connect", "--force")
    onelogin = Response(settings, base64.b64encode(data).decode())
    assert onelogin.is_valid(request_data(MITEL_ACS), raise_exceptions=True)
    got = onelogin.get_attributes()
    assert [got[c] for c in DEFAULT_CLAIMS] == [
        ["Britta"],
        ["Simon"],
        ["B.Simon@contoso.com"],
        ["B.Simon@contoso.com"],
    ]
    client = pysaml2_sp(idp_metadata(example, tmp_path, "mitel-connect"), MITEL_ID, MITEL_ACS, True)
    identity = post(client, data).get_identity()
    # pysaml2's attribute maps give these friendly names.
    assert identity["givenName"] == ["Britta"] and identity["surname"] == ["Simon"]
    assert identity["emailAddress"] == ["B.Simon@contoso.com"]
    assert ["B.Simon@contoso.com"] in identity.values()

"""Token encryption end to end (issue 25, item 2): the SP's encryption certificate comes
from its metadata (KeyDescriptor use="encryption"), `app show` says what to upload as
Entra's "Token encryption", `assertion issue` encrypts the signed Assertion, and
python3-saml, pysaml2 and ssoctl decrypt it; the reverse, pysaml2 as the IdP encrypting
for ssoctl, decrypts too."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ssoctl import certs
from tests.conftest import TENANT_ID, run_cli
from tests.interop.conftest import require_xmlsec1
from tests.interop.test_response_interop import (
    IDP,
    RC_ACS,
    RC_ID,
    idp_metadata,
    issue,
    post,
    pysaml2_sp,
    python3_saml,
    request_data,
)

pytest.importorskip("xmlsec", reason="python-xmlsec (ssoctl[xmlenc]) is not installed")

NOW = dt.datetime.now(dt.timezone.utc)
XENC = "http://www.w3.org/2001/04/xmlenc#"


def sp_metadata_with_encryption(folder: Path) -> tuple[Path, Path, Path]:
    """RingCentral's SP metadata with an encryption key: (metadata, key file, cert file)."""
    key, cert = certs.generate(now=NOW - dt.timedelta(days=1))
    key_file, cert_file = folder / "sp-enc.key", folder / "sp-enc.pem"
    key_file.write_bytes(certs.key_pem(key, None))
    key_file.chmod(0o600)
    cert_file.write_bytes(certs.cert_pem(cert))
    body = certs.base64_body(cert)
    metadata = folder / "sp.xml"
    metadata.write_text(
        '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{RC_ID}">'
        '<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        '<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>'
        "</KeyDescriptor>"
        '<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{RC_ACS}" index="0" isDefault="true"/></SPSSODescriptor></EntityDescriptor>'
    )
    return metadata, key_file, cert_file


@pytest.fixture
def encrypted_app(example: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """The example with RingCentral's token encryption on, from the SP's metadata."""
    metadata, key_file, cert_file = sp_metadata_with_encryption(tmp_path)
    done = run_cli("metadata", "import", str(metadata), "--app", "ringcentral", tenant=example)
    assert done.exit_code == 0, done.stderr
    return example, key_file, cert_file


def test_metadata_import_takes_the_encryption_certificate(encrypted_app) -> None:
    tenant, _key, cert_file = encrypted_app
    text = tenant.read_text()
    assert "encryption:" in text and "certificate: certs/sp-enc-ringcentral.pem" in text
    written = tenant.parent / "certs" / "sp-enc-ringcentral.pem"
    assert written.read_bytes() == cert_file.read_bytes()
    shown = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    encryption = shown["token_encryption"]
    cert = certs.load_certificate(cert_file)
    assert encryption["thumbprint_sha1"] == certs.thumbprint_sha1(cert)
    assert "Token encryption" in encryption["step"]
    text_view = run_cli("app", "show", "ringcentral", tenant=tenant).stdout
    assert "Token encryption" in text_view and "Import certificate" in text_view


def test_issued_response_is_encrypted_and_verifies_with_the_sp_key(encrypted_app) -> None:
    tenant, key_file, _cert = encrypted_app
    data = issue(tenant, "ringcentral")
    assert b"EncryptedAssertion" in data and b"B.Simon@contoso.com" not in data
    path = tenant.parent / "response.xml"
    path.write_bytes(data)
    out = run_cli("assertion", "verify", str(path), "--app", "ringcentral", "--decrypt-key",
                  str(key_file), tenant=tenant)  # fmt: skip
    assert out.exit_code == 0, out.stdout
    assert re.search(r"PASS  decryption .*AES-256-CBC", out.stdout), out.stdout
    refused = run_cli("assertion", "verify", str(path), "--app", "ringcentral", tenant=tenant)
    assert refused.exit_code == 1 and "--decrypt-key" in refused.stdout


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_python3_saml_decrypts_what_ssoctl_encrypts(encrypted_app, sign: str) -> None:
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    tenant, key_file, cert_file = encrypted_app
    settings = python3_saml(RC_ID, RC_ACS, tenant.parent / "certs" / "contoso-2026.pem", sign)
    settings._sp["privateKey"] = key_file.read_text()
    settings._sp["x509cert"] = "".join(cert_file.read_text().splitlines()[1:-1])
    settings._security["wantAssertionsEncrypted"] = True
    data = issue(tenant, "ringcentral", "--sign", sign)
    response = Response(settings, base64.b64encode(data).decode())
    assert response.is_valid(request_data(RC_ACS), raise_exceptions=True)
    assert response.get_nameid() == "B.Simon@contoso.com"


def test_pysaml2_decrypts_what_ssoctl_encrypts(encrypted_app, tmp_path: Path) -> None:
    tenant, key_file, cert_file = encrypted_app
    client = pysaml2_sp(
        idp_metadata(tenant, tmp_path, "ringcentral"), RC_ID, RC_ACS, True,
        encryption_keypairs=[{"key_file": str(key_file), "cert_file": str(cert_file)}],
        key_file=str(key_file), cert_file=str(cert_file),
    )  # fmt: skip
    response = post(client, issue(tenant, "ringcentral"))
    assert response is not None and response.name_id.text == "B.Simon@contoso.com"


@pytest.mark.parametrize("case", ["bad-signature", "unsigned"])
def test_python3_saml_refuses_bad_encrypted_responses(encrypted_app, case: str) -> None:
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    tenant, key_file, _cert = encrypted_app
    settings = python3_saml(RC_ID, RC_ACS, tenant.parent / "certs" / "contoso-2026.pem")
    settings._sp["privateKey"] = key_file.read_text()
    data = issue(tenant, "ringcentral", "--case", case)
    assert b"EncryptedAssertion" in data
    assert not Response(settings, base64.b64encode(data).decode()).is_valid(request_data(RC_ACS))
    path = tenant.parent / "bad.xml"
    path.write_bytes(data)
    out = run_cli("assertion", "verify", str(path), "--app", "ringcentral", "--decrypt-key",
                  str(key_file), tenant=tenant)  # fmt: skip
    assert out.exit_code == 1


def test_ssoctl_decrypts_what_pysaml2_encrypts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pysaml2 as the IdP (its own Server), signing and encrypting for an SP whose
    encryption certificate is in the SP metadata; ssoctl as the SP."""
    pytest.importorskip("saml2", reason="pysaml2 is not installed (pip install '.[test]')")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
    from saml2.server import Server
    from saml2.sigver import pre_encryption_part

    idp_key, idp_cert = certs.generate(now=NOW - dt.timedelta(days=1))
    (tmp_path / "idp.key").write_bytes(certs.key_pem(idp_key, None))
    (tmp_path / "idp.pem").write_bytes(certs.cert_pem(idp_cert))
    metadata, key_file, sp_cert_file = sp_metadata_with_encryption(tmp_path)
    config = IdPConfig()
    config.load(
        {
            "entityid": IDP,
            "xmlsec_binary": require_xmlsec1(),
            "key_file": str(tmp_path / "idp.key"),
            "cert_file": str(tmp_path / "idp.pem"),
            "metadata": {"local": [str(metadata)]},
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (
                                f"https://login.microsoftonline.com/{TENANT_ID}/saml2",
                                BINDING_HTTP_REDIRECT,
                            )
                        ]
                    },
                    "policy": {"default": {"lifetime": {"minutes": 15}}},
                }
            },
        }
    )
    server = Server(config=config)
    sp_cert_body = "".join(sp_cert_file.read_text().splitlines()[1:-1])
    # pysaml2's default data algorithm is 3DES: ask its own encryption for AES-256-CBC
    # (the template's algorithm and xmlsec1's session key type go together).
    import functools

    import saml2.entity

    monkeypatch.setattr(
        saml2.entity, "pre_encryption_part",
        functools.partial(pre_encryption_part, msg_enc=XENC + "aes256-cbc"),
    )  # fmt: skip
    plain_encrypt = server.sec.encrypt_assertion
    monkeypatch.setattr(
        server.sec, "encrypt_assertion", functools.partial(plain_encrypt, key_type="aes-256")
    )
    made = server.create_authn_response(
        identity={"mail": ["B.Simon@contoso.com"]},
        in_response_to=None,
        destination=RC_ACS,
        sp_entity_id=RC_ID,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="B.Simon@contoso.com"),
        # The Response is signed over the ciphertext. (pysaml2's sign-then-encrypt of the
        # Assertion alone does not survive its own encryption: python3-saml refuses that
        # signature as ssoctl does, "Signature validation failed".)
        sign_assertion=False,
        sign_response=True,
        encrypt_assertion=True,
        encrypt_cert_assertion=sp_cert_body,
        binding=BINDING_HTTP_POST,
    )
    data = str(made).encode()
    assert b"EncryptedAssertion" in data and b"aes256-cbc" in data
    path = tmp_path / "from-pysaml2.xml"
    path.write_bytes(data)
    args = ["--cert", str(tmp_path / "idp.pem"), "--decrypt-key", str(key_file), "--issuer",
            IDP, "--audience", RC_ID, "--destination", RC_ACS, "-f", "json"]  # fmt: skip
    out = run_cli("assertion", "verify", str(path), *args)
    report = json.loads(out.stdout)
    assert report["valid"], out.stdout
    assert report["summary"]["name_id"] == "B.Simon@contoso.com"
    # pysaml2's default, 3DES, is refused by name before the key is used.
    monkeypatch.undo()
    default = server.create_authn_response(
        identity={"mail": ["B.Simon@contoso.com"]}, in_response_to=None, destination=RC_ACS,
        sp_entity_id=RC_ID, sign_response=True, encrypt_assertion=True,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="B.Simon@contoso.com"),
        encrypt_cert_assertion=sp_cert_body, binding=BINDING_HTTP_POST,
    )  # fmt: skip
    path.write_text(str(default))
    refused = json.loads(run_cli("assertion", "verify", str(path), *args).stdout)
    reason = next(c["reason"] for c in refused["checks"] if c["check"] == "decryption")
    assert not refused["valid"] and "tripledes-cbc" in reason

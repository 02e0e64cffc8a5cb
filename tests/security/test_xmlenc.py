"""Encrypted assertions under attack (issue 25, item 2): a changed ciphertext, a wrong key,
a substituted key, an attacker's own EncryptedAssertion, refused algorithms, fetches and
a hostile plaintext. Every failure after the algorithm check has the same message: no
answer tells a padding error from another (no decryption oracle)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from lxml import etree

from ssoctl import certs
from ssoctl.saml import response, signing, xmlenc
from tests.conftest import run_cli

pytest.importorskip("xmlsec", reason="python-xmlsec (ssoctl[xmlenc]) is not installed")

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NOW = dt.datetime(2027, 1, 15, 10, tzinfo=dt.timezone.utc)
AT = "2027-01-15T10:00:00Z"


@pytest.fixture(scope="module")
def keys():
    """(IdP key, IdP cert, SP key, SP cert, another key)."""
    idp_key, idp_cert = certs.generate(now=NOW - dt.timedelta(days=1))
    sp_key, sp_cert = certs.generate(now=NOW - dt.timedelta(days=1))
    other_key, _ = certs.generate(now=NOW - dt.timedelta(days=1))
    return idp_key, idp_cert, sp_key, sp_cert, other_key


def message(keys, mode: str = "assertion", name_id: str = "someone@example.com") -> bytes:
    """A Response signed by the IdP (`mode`) whose Assertion is encrypted for the SP:
    sign, then encrypt; a Response signature then covers the ciphertext."""
    idp_key, idp_cert, _sp_key, sp_cert, _ = keys
    spec = response.ResponseSpec(
        issuer="https://idp.example/", destination="https://sp.example/acs",
        audience="https://sp.example/", name_id=name_id,
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        attributes=[("role", ["user"])], now=NOW,
    )  # fmt: skip
    counter = itertools.count()
    root, rid, aid = response.build(spec, lambda: f"_id{next(counter)}")
    if mode in ("assertion", "both"):
        root = response.sign_response(root, rid, aid, response.Signer(idp_key, idp_cert))
    assertion = root.find(f"{{{SAML}}}Assertion")
    root.replace(assertion, xmlenc.encrypt_assertion(assertion, certs.cert_pem(sp_cert)))
    if mode in ("response", "both"):
        root.insert(1, signing.placeholder())
        root = signing.sign(root, rid, idp_key, idp_cert, "sha256")
    return etree.tostring(root)


def verify(tmp_path: Path, keys, data: bytes, key=None) -> dict[str, object]:
    _idp_key, idp_cert, sp_key, _sp_cert, _ = keys
    (tmp_path / "idp.pem").write_bytes(certs.cert_pem(idp_cert))
    (tmp_path / "sp.key").write_bytes(certs.key_pem(key or sp_key, None))
    (tmp_path / "sp.key").chmod(0o600)
    (tmp_path / "r.xml").write_bytes(data)
    out = run_cli(
        "assertion", "verify", str(tmp_path / "r.xml"), "--cert", str(tmp_path / "idp.pem"),
        "--decrypt-key", str(tmp_path / "sp.key"), "--at", AT, "-f", "json",
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert (out.exit_code == 0) is report["valid"]
    return {c["check"]: (c["ok"], c["reason"]) for c in report["checks"]} | {
        "valid": report["valid"],
        "summary": report.get("summary", {}),
    }


@pytest.mark.parametrize("mode", ["assertion", "response", "both"])
def test_an_encrypted_assertion_decrypts_and_verifies(tmp_path: Path, keys, mode: str) -> None:
    found = verify(tmp_path, keys, message(keys, mode))
    assert found["valid"], found
    assert found["decryption"][0] is True and "AES-256-CBC" in found["decryption"][1]
    assert found["summary"]["name_id"] == "someone@example.com"


def _cipher_values(data: bytes) -> tuple[etree._Element, list[etree._Element]]:
    root = etree.fromstring(data)
    return root, list(root.iter(f"{{{XENC}}}CipherValue"))


def _flip(element: etree._Element, at: int) -> None:
    raw = bytearray(base64.b64decode("".join((element.text or "").split())))
    raw[at] ^= 0x01
    element.text = base64.b64encode(bytes(raw)).decode()


def test_every_decryption_failure_is_the_same_message(tmp_path: Path, keys) -> None:
    """A changed data ciphertext (last block: the padding), a changed first block, a
    changed key ciphertext and a wrong key all give one message, as an oracle must not."""
    reasons = []
    for case in ("padding", "first-block", "key", "wrong-key"):
        root, (key_value, data_value) = _cipher_values(message(keys))
        if case == "padding":
            _flip(data_value, -17)  # the byte before the last block: changes the padding
        elif case == "first-block":
            _flip(data_value, 20)
        elif case == "key":
            _flip(key_value, 5)
        found = verify(
            tmp_path, keys, etree.tostring(root), key=keys[4] if case == "wrong-key" else None
        )
        assert found["decryption"][0] is False and not found["valid"], (case, found)
        reasons.append(found["decryption"][1])
    assert len(set(reasons)) == 1, reasons
    assert reasons[0].startswith("the encrypted element could not be decrypted")


def test_an_attackers_own_encrypted_assertion_is_refused(tmp_path: Path, keys) -> None:
    """Anyone can encrypt for the SP's public certificate: what decrypts is trusted only
    when signed (the Assertion) or covered by the Response's signature."""
    _idp_key, _idp_cert, _sp_key, sp_cert, _other_key = keys
    spec = response.ResponseSpec(
        issuer="https://idp.example/", destination="https://sp.example/acs",
        audience="https://sp.example/", name_id="admin@example.com",
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        attributes=[("role", ["admin"])], now=NOW,
    )  # fmt: skip
    counter = itertools.count()
    forged, _rid, _aid = response.build(spec, lambda: f"_forged{next(counter)}")
    assertion = forged.find(f"{{{SAML}}}Assertion")
    forged_encrypted = xmlenc.encrypt_assertion(assertion, certs.cert_pem(sp_cert))
    # 1. An unsigned Response carrying it: decrypts, and nothing vouches for it.
    forged.replace(assertion, forged_encrypted)
    found = verify(tmp_path, keys, etree.tostring(forged))
    assert found["decryption"][0] is True and found["signature"][0] is False
    # 2. Swapped into a genuine signed Response: the signature covered the old ciphertext.
    genuine = etree.fromstring(message(keys, "response"))
    genuine.replace(genuine.find(f"{{{SAML}}}EncryptedAssertion"), forged_encrypted)
    found = verify(tmp_path, keys, etree.tostring(genuine))
    assert found["signature"][0] is False and not found["valid"]
    assert "decryption" not in found  # nothing unverified is ever decrypted and read


def test_a_genuine_encrypted_data_wrapped_beside_a_forged_one_is_refused(
    tmp_path: Path, keys
) -> None:
    """Two EncryptedAssertions: which one is read is where wrapping hides."""
    root = etree.fromstring(message(keys))
    extra = etree.fromstring(message(keys, name_id="admin@example.com")).find(
        f"{{{SAML}}}EncryptedAssertion"
    )
    root.append(extra)
    found = verify(tmp_path, keys, etree.tostring(root))
    assert not found["valid"]
    assert found["decryption"][0] is False or found["structure"][0] is False


def _with(data: bytes, edit) -> bytes:
    root = etree.fromstring(data)
    edit(root)
    return etree.tostring(root)


def _set_data_algorithm(uri: str):
    def edit(root: etree._Element) -> None:
        data = root.find(f".//{{{XENC}}}EncryptedData")
        data.find(f"{{{XENC}}}EncryptionMethod").set("Algorithm", uri)

    return edit


def _set_key_algorithm(uri: str):
    def edit(root: etree._Element) -> None:
        key = root.find(f".//{{{XENC}}}EncryptedKey")
        key.find(f"{{{XENC}}}EncryptionMethod").set("Algorithm", uri)

    return edit


def _cipher_reference(root: etree._Element) -> None:
    data = root.find(f".//{{{XENC}}}EncryptedData")
    cipher = data.find(f"{{{XENC}}}CipherData")
    cipher.remove(cipher.find(f"{{{XENC}}}CipherValue"))
    etree.SubElement(cipher, f"{{{XENC}}}CipherReference", URI="http://127.0.0.1:9/x")


def _external_key(root: etree._Element) -> None:
    data = root.find(f".//{{{XENC}}}EncryptedData")
    key_info = data.find("{http://www.w3.org/2000/09/xmldsig#}KeyInfo")
    for child in list(key_info):
        key_info.remove(child)
    etree.SubElement(
        key_info, "{http://www.w3.org/2000/09/xmldsig#}RetrievalMethod",
        URI="http://127.0.0.1:9/key.xml", Type=XENC + "EncryptedKey",
    )  # fmt: skip


def _key_name(root: etree._Element) -> None:
    data = root.find(f".//{{{XENC}}}EncryptedData")
    key_info = data.find("{http://www.w3.org/2000/09/xmldsig#}KeyInfo")
    for child in list(key_info):
        key_info.remove(child)
    etree.SubElement(key_info, "{http://www.w3.org/2000/09/xmldsig#}KeyName").text = "sp"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (_set_data_algorithm(XENC + "tripledes-cbc"), "tripledes-cbc"),
        (_set_data_algorithm("http://www.w3.org/2009/xmlenc11#aes192-gcm"), "aes192-gcm"),
        (_set_key_algorithm("http://www.w3.org/2001/04/xmlenc#kw-aes256"), "kw-aes256"),
        (_cipher_reference, "CipherReference"),
        (_external_key, "never fetches"),
        (_key_name, "KeyName"),
    ],
    ids=["3des", "aes192-gcm", "key-wrap", "cipher-reference", "external-key", "key-name"],
)
def test_refused_before_any_key_is_used(tmp_path: Path, keys, edit, named: str) -> None:
    found = verify(tmp_path, keys, _with(message(keys), edit))
    assert found["decryption"][0] is False and named in found["decryption"][1], found


def test_a_hostile_plaintext_is_read_by_ssoctls_parser(tmp_path: Path, keys) -> None:
    """A DTD with an entity, encrypted for the SP: libxmlsec1 hands back bytes, and
    ssoctl's parser (no DTD) refuses them with the one decryption message."""
    import xmlsec

    _idp_key, _idp_cert, _sp_key, sp_cert, _ = keys
    root = etree.fromstring(message(keys))
    holder = root.find(f"{{{SAML}}}EncryptedAssertion")
    template = holder.find(f"{{{XENC}}}EncryptedData")
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(certs.cert_pem(sp_cert), xmlsec.constants.KeyDataFormatCertPem)
    )
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
    )
    fresh = xmlsec.template.encrypted_data_create(
        holder, xmlsec.constants.TransformAes256Cbc, type=xmlsec.constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(fresh)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(fresh, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    hostile = (
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&x;</saml:Assertion>'
    )
    encrypted = context.encrypt_binary(fresh, hostile)
    holder.replace(template, encrypted)
    found = verify(tmp_path, keys, etree.tostring(root))
    assert found["decryption"][0] is False
    assert found["decryption"][1].startswith("the encrypted element could not be decrypted")
    assert "root:" not in json.dumps(found)


def test_rsa_1_5_is_decrypted_with_a_warning(tmp_path: Path, keys) -> None:
    """Third-party IdPs still send RSA 1.5 (python3-saml's fixtures do): accepted, and
    the padding-oracle risk is said."""
    path = Path(__file__).parent.parent / "data" / "thirdparty" / "python3-saml"
    out = run_cli(
        "assertion", "verify", str(path / "signed_encrypted_assertion.xml"),
        "--cert", str(path / "settings1-idp.pem"), "--decrypt-key",
        str(path / "customPath-sp.key"), "--ignore-cert-dates", "--at", "2014-03-30T20:39:19Z",
    )  # fmt: skip
    assert out.exit_code == 0, out.stdout
    assert "WARN  decryption" in out.stdout and "Bleichenbacher" in out.stdout


def test_an_encrypted_assertion_without_a_key_names_the_option(tmp_path: Path, keys) -> None:
    _idp_key, idp_cert, *_ = keys
    (tmp_path / "idp.pem").write_bytes(certs.cert_pem(idp_cert))
    (tmp_path / "r.xml").write_bytes(message(keys))
    out = run_cli("assertion", "verify", str(tmp_path / "r.xml"), "--cert",
                  str(tmp_path / "idp.pem"), "--at", AT)  # fmt: skip
    assert out.exit_code == 1 and "--decrypt-key" in out.stdout

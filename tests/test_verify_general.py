"""`assertion verify` as a general SP-side check for any IdP's Response (issue #12,
items 10-12): expected values from flags or SP metadata, SKIP naming the flag, Advice,
algorithm aliases, --ignore-cert-dates."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from lxml import etree
from signxml import (  # type: ignore[attr-defined]
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    XMLSigner,
)

from ssoctl import certs
from ssoctl.saml import response, signing
from tests.conftest import DATA, run_cli
from tests.security.names import DS, SAML, q

ENTRA = DATA / "entra-response-2022.xml"
AT = "2022-02-23T17:50:00Z"
SP = "https://devpg.tercen.com/_service/sso/auth/saml"
IDP = "https://sts.windows.net/5b5c94c6-14cf-42da-85bc-4e08722b253b/"


@pytest.fixture
def entra_cert(tmp_path: Path) -> Path:
    root = etree.parse(str(ENTRA)).getroot()
    cert = signing.embedded_certificate(root, f"./{q(SAML, 'Assertion')}/")
    assert cert is not None
    path = tmp_path / "entra.pem"
    path.write_bytes(certs.cert_pem(cert))
    return path


def checks(out) -> dict[str, tuple[object, bool]]:
    return {c["check"]: (c["ok"], c["warning"]) for c in json.loads(out.stdout)["checks"]}


def verify(path: Path, *args: str):
    return run_cli("assertion", "verify", str(path), "-f", "json", *args)


def test_real_entra_response_with_every_expected_value(entra_cert: Path) -> None:
    out = verify(
        ENTRA, "--cert", str(entra_cert), "--at", AT,
        "--issuer", IDP, "--audience", SP, "--destination", SP,
        "--expect-in-response-to", "id6491e192-e2d9-4970-ab03-e38ffda6e033",
    )  # fmt: skip
    assert out.exit_code == 0, out.stdout
    assert all(ok is True for ok, _warn in checks(out).values())


def test_what_is_not_given_is_skip_naming_the_flag(entra_cert: Path) -> None:
    out = run_cli("assertion", "verify", str(ENTRA), "--cert", str(entra_cert), "--at", AT)
    assert out.exit_code == 0
    for line, flag in (
        ("issuer", "--issuer"),
        ("audience", "--audience"),
        ("destination", "--destination"),
    ):
        row = next(r for r in out.stdout.splitlines() if r.split()[1:2] == [line])
        assert row.startswith("SKIP") and flag in row
    wrong = verify(
        ENTRA, "--cert", str(entra_cert), "--at", AT, "--audience", "https://other.example"
    )
    assert wrong.exit_code == 1 and checks(wrong)["audience"][0] is False


def test_expected_values_from_sp_metadata(entra_cert: Path, tmp_path: Path) -> None:
    metadata = tmp_path / "sp.xml"
    metadata.write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{SP}"><md:SPSSODescriptor protocolSupportEnumeration='
        '"urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService index="0" '
        f'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{SP}"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    out = verify(ENTRA, "--cert", str(entra_cert), "--at", AT, "--sp-metadata", str(metadata))
    assert out.exit_code == 0
    assert checks(out)["audience"] == (True, False) and checks(out)["destination"] == (True, False)
    clash = run_cli(
        "assertion", "verify", str(ENTRA), "--app", "ringcentral", "--audience", SP,
        tenant=DATA.parent.parent / "examples" / "contoso" / "tenant.yaml",
    )  # fmt: skip
    assert clash.exit_code == 2


def _signed_with(
    key, cert, root: etree._Element, method: SignatureMethod, digest: DigestAlgorithm
) -> bytes:
    """Sign the Assertion with a given algorithm, as another IdP would (signxml)."""

    class Signer(XMLSigner):  # signxml refuses SHA-1 unless a subclass allows it
        def check_deprecated_methods(self) -> None:
            return None

    assertion = root.find(q(SAML, "Assertion"))
    # signxml's own ds: prefix (another IdP's shape, not Entra's default namespace).
    assertion.insert(1, etree.Element(q(DS, "Signature"), Id="placeholder", nsmap={"ds": DS}))
    root.remove(assertion)
    signer = Signer(
        signature_algorithm=method,
        digest_algorithm=digest,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(
        assertion,
        key=key,
        cert=certs.cert_pem(cert).decode(),
        reference_uri=f"#{assertion.get('ID')}",
    )
    root.insert(2, signed)
    return etree.tostring(root)


def _unsigned(now: dt.datetime, advice: bool = False) -> etree._Element:
    spec = response.ResponseSpec(
        issuer="https://idp.example/",
        destination="https://sp.example/acs",
        audience="https://sp.example/",
        name_id="someone@example.com",
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        attributes=[("role", ["user"])],
        now=now,
    )
    counter = itertools.count()
    root, _rid, _aid = response.build(spec, lambda: f"_id{next(counter)}")
    if advice:
        assertion = root.find(q(SAML, "Assertion"))
        inner = copy.deepcopy(assertion)
        inner.set("ID", "_advice-assertion")
        inner.find(f".//{q(SAML, 'AttributeValue')}").text = "GlobalAdmin"
        holder = etree.Element(q(SAML, "Advice"))
        holder.append(inner)
        assertion.find(q(SAML, "Conditions")).addnext(holder)
    return root


NOW = dt.datetime(2027, 1, 15, 10, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def idp() -> tuple[object, object]:
    return certs.generate(now=NOW - dt.timedelta(days=1))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_assertions_in_advice_are_not_counted_or_read(idp, tmp_path: Path) -> None:
    key, cert = idp
    data = _signed_with(
        key, cert, _unsigned(NOW, advice=True), SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256
    )
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    out = verify(
        _write(tmp_path, "r.xml", data), "--cert", str(pem), "--at", "2027-01-15T10:00:00Z"
    )
    assert out.exit_code == 0, out.stdout
    assert json.loads(out.stdout)["summary"]["attributes"] == {"role": ["user"]}


@pytest.mark.parametrize(
    ("method", "digest", "warned"),
    [
        (SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384, False),
        (SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512, False),
        (SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1, True),
    ],
)
def test_other_algorithms_are_understood_and_sha1_warned(
    idp, tmp_path: Path, method, digest, warned
) -> None:
    key, cert = idp
    data = _signed_with(key, cert, _unsigned(NOW), method, digest)
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    out = verify(
        _write(tmp_path, "r.xml", data), "--cert", str(pem), "--at", "2027-01-15T10:00:00Z"
    )
    assert out.exit_code == 0, out.stdout
    assert checks(out)["algorithm"] == (True, warned)
    text = run_cli(
        "assertion",
        "verify",
        str(tmp_path / "r.xml"),
        "--cert",
        str(pem),
        "--at",
        "2027-01-15T10:00:00Z",
    )
    assert ("WARN  algorithm" in text.stdout) is warned


def test_ignore_cert_dates_is_labelled(tmp_path: Path) -> None:
    start = NOW - dt.timedelta(days=400)
    key, cert = certs.generate(now=start, not_after=start + dt.timedelta(days=30))  # expired
    data = _signed_with(
        key, cert, _unsigned(NOW), SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256
    )
    pem = _write(tmp_path, "old.pem", certs.cert_pem(cert))
    path = _write(tmp_path, "r.xml", data)
    strict = verify(path, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z")
    assert strict.exit_code == 1 and checks(strict)["signature"][0] is False
    lenient = verify(
        path, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z", "--ignore-cert-dates"
    )
    assert lenient.exit_code == 0 and checks(lenient)["signature"] == (True, True)
    assert "certificate dates NOT checked" in lenient.stdout


def _signed_by_ssoctl(key, cert, when: dt.datetime, mode: str) -> bytes:
    spec = _unsigned(when)
    rid, aid = spec.get("ID"), spec.find(q(SAML, "Assertion")).get("ID")
    signer = response.Signer(key=key, cert=cert, mode=mode)
    return response.to_bytes(response.sign_response(spec, rid, aid, signer))


@pytest.mark.parametrize("mode", ["assertion", "response", "both"])
@pytest.mark.parametrize(
    ("validity", "flags", "passes"),
    [
        # (certificate's validity relative to NOW in days, flags, verdict at NOW)
        ((-400, -370), [], False),  # expired
        ((-400, -370), ["--ignore-cert-dates"], True),
        ((10, 40), [], False),  # not yet valid
        ((10, 40), ["--ignore-cert-dates"], True),
        ((-1, 30), [], True),
    ],
)
def test_every_signature_of_a_message_is_judged_under_the_same_date_rules(
    tmp_path: Path, mode: str, validity: tuple[int, int], flags: list[str], passes: bool
) -> None:
    """Issue 25, item 1: with the Response and the Assertion both signed, the Assertion's
    signature was checked at the real time even with --ignore-cert-dates."""
    start, end = (NOW + dt.timedelta(days=d) for d in validity)
    key, cert = certs.generate(now=start, not_after=end)
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    path = _write(tmp_path, "r.xml", _signed_by_ssoctl(key, cert, NOW, mode))
    out = verify(path, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z", *flags)
    found = checks(out)
    assert (out.exit_code == 0) is passes, out.stdout
    if mode == "both" and passes:  # a failed Response signature stops before the inner one
        assert found["assertion-signature"][0] is True, out.stdout
    assert found["signature"][0] is passes


@pytest.mark.parametrize("mode", ["assertion", "response", "both"])
def test_a_captured_message_verifies_at_the_time_it_was_captured(tmp_path: Path, mode: str) -> None:
    then = NOW - dt.timedelta(days=385)
    key, cert = certs.generate(
        now=then - dt.timedelta(days=1), not_after=then + dt.timedelta(days=20)
    )
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    path = _write(tmp_path, "r.xml", _signed_by_ssoctl(key, cert, then, mode))
    at = then.isoformat().replace("+00:00", "Z")
    out = verify(path, "--cert", str(pem), "--at", at)
    assert out.exit_code == 0, out.stdout
    assert verify(path, "--cert", str(pem)).exit_code == 1  # today: expired, and stale


def _ec_idp(curve) -> tuple[object, object]:
    """An IdP with an EC key (cryptography: ssoctl's own certificates are RSA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(curve)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec-idp")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return key, cert


@pytest.mark.parametrize(
    ("method", "digest"),
    [
        (SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256),
        (SignatureMethod.ECDSA_SHA384, DigestAlgorithm.SHA384),
        (SignatureMethod.ECDSA_SHA512, DigestAlgorithm.SHA512),
    ],
)
def test_ecdsa_verifies_with_an_ec_certificate(tmp_path: Path, method, digest) -> None:
    """Issue 25, item 3: ECDSA-SHA256/384/512 are standard XML-DSig (RFC 4051)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key, cert = _ec_idp(
        ec.SECP384R1() if method is SignatureMethod.ECDSA_SHA384 else ec.SECP256R1()
    )
    data = _signed_with(key, cert, _unsigned(NOW), method, digest)
    pem = _write(tmp_path, "ec.pem", certs.cert_pem(cert))
    path = _write(tmp_path, "r.xml", data)
    out = verify(path, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z")
    assert out.exit_code == 0, out.stdout
    assert checks(out)["algorithm"] == (True, False)
    tampered = _write(tmp_path, "t.xml", data.replace(b"someone@example.com", b"other@example.com"))
    assert verify(tampered, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z").exit_code == 1


def test_ecdsa_never_verifies_against_an_rsa_certificate(idp, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key, ec_cert = _ec_idp(ec.SECP256R1())
    _rsa_key, rsa_cert = idp
    data = _signed_with(
        ec_key, ec_cert, _unsigned(NOW), SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256
    )
    pem = _write(tmp_path, "rsa.pem", certs.cert_pem(rsa_cert))
    out = verify(
        _write(tmp_path, "r.xml", data), "--cert", str(pem), "--at", "2027-01-15T10:00:00Z"
    )
    assert out.exit_code == 1 and checks(out)["signature"][0] is False


@pytest.mark.parametrize(
    "method", [SignatureMethod.SHA256_RSA_MGF1, SignatureMethod.SHA512_RSA_MGF1]
)
def test_rsa_pss_verifies(idp, tmp_path: Path, method) -> None:
    """RSASSA-PSS (RFC 6931 section 2.3.10): the same RSA keys, the stronger padding."""
    key, cert = idp
    data = _signed_with(key, cert, _unsigned(NOW), method, DigestAlgorithm.SHA256)
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    out = verify(
        _write(tmp_path, "r.xml", data), "--cert", str(pem), "--at", "2027-01-15T10:00:00Z"
    )
    assert out.exit_code == 0, out.stdout


def _resign_signed_info(key, data: bytes, edit) -> bytes:
    """Change the SignedInfo with `edit` and sign it again, as an IdP that writes other
    URIs would have signed it (test-only: exclusive C14N, RSA-SHA384)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    root = etree.fromstring(data)
    signature = root.find(f".//{q(DS, 'Signature')}")
    signed_info = signature.find(q(DS, "SignedInfo"))
    edit(signed_info)
    c14n = etree.tostring(signed_info, method="c14n", exclusive=True)
    value = key.sign(c14n, padding.PKCS1v15(), hashes.SHA384())
    signature.find(q(DS, "SignatureValue")).text = base64.b64encode(value).decode()
    return etree.tostring(root)


def test_sha384_is_accepted_under_both_of_its_standard_uris(idp, tmp_path: Path) -> None:
    """Issue 25, item 3: XML Encryption 1.1 names SHA-384 xmlenc#sha384, RFC 6931 names
    it xmldsig-more#sha384; both are the same digest."""
    key, cert = idp
    data = _signed_with(
        key, cert, _unsigned(NOW), SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384
    )

    def xmlenc_uri(signed_info) -> None:
        signed_info.find(f".//{q(DS, 'DigestMethod')}").set(
            "Algorithm", "http://www.w3.org/2001/04/xmlenc#sha384"
        )

    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    renamed = _write(tmp_path, "r.xml", _resign_signed_info(key, data, xmlenc_uri))
    assert b"xmlenc#sha384" in renamed.read_bytes()
    out = verify(renamed, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z")
    assert out.exit_code == 0, out.stdout

    def unknown_uri(signed_info) -> None:
        signed_info.find(f".//{q(DS, 'DigestMethod')}").set(
            "Algorithm", "http://www.w3.org/2001/04/xmlenc#sha385"
        )

    unknown = _write(tmp_path, "u.xml", _resign_signed_info(key, data, unknown_uri))
    out = verify(unknown, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z")
    assert out.exit_code == 1 and "sha385" in out.stdout


def test_an_empty_x509data_is_ignored_when_the_certificate_is_given(idp, tmp_path: Path) -> None:
    """Issue 25, item 4: `<ds:X509Data/>` is schema-invalid XML-DSig, but it names no key,
    KeyInfo is not signed, and the trust comes from --cert."""
    key, cert = idp
    data = _signed_with(
        key, cert, _unsigned(NOW), SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256
    )
    root = etree.fromstring(data)
    x509_data = root.find(f".//{q(DS, 'X509Data')}")
    for child in list(x509_data):
        x509_data.remove(child)
    path = _write(tmp_path, "r.xml", etree.tostring(root))
    assert b"<ds:X509Data/>" in path.read_bytes()
    pem = _write(tmp_path, "idp.pem", certs.cert_pem(cert))
    out = verify(path, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z")
    assert out.exit_code == 0, out.stdout
    forged = _write(tmp_path, "f.xml", path.read_bytes().replace(b"someone@", b"admin@"))
    assert verify(forged, "--cert", str(pem), "--at", "2027-01-15T10:00:00Z").exit_code == 1

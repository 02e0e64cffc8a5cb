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

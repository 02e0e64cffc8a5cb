"""`assertion verify` and `metadata inspect` on other implementations' own test data,
each with the verdict that implementation's test suite asserts (issue 25). Provenance:
tests/data/thirdparty/README.md (repository, path, commit, and the asserting test)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import DATA, run_cli

HERE = DATA / "thirdparty"


@dataclass(frozen=True)
class Case:
    file: str
    args: tuple[str, ...]
    valid: bool
    checks: dict[str, bool]  # check name -> ok, for the checks the source's test asserts
    source: str  # the asserting test, as in the README


CASES = {
    # Both the Response and the Assertion are signed, by a certificate that expired in
    # 2007; the Response is from 2014. Not checking certificate dates must apply to both
    # signatures (issue 25, item 1).
    "double-signed-expired-cert-dates-ignored": Case(
        "python3-saml/double_signed_response.xml",
        (
            "--cert",
            "python3-saml/settings1-idp.pem",
            "--at",
            "2014-03-21T13:42:31Z",
            "--ignore-cert-dates",
        ),
        True,
        {"signature": True, "assertion-signature": True},
        "python3-saml utils_test.py testValidateSign: validate_sign(xml, cert) is True",
    ),
    "double-signed-expired-cert-dates-checked": Case(
        "python3-saml/double_signed_response.xml",
        ("--cert", "python3-saml/settings1-idp.pem", "--at", "2014-03-21T13:42:31Z"),
        False,
        {"signature": False},
        "python3-saml utils_test.py testValidateSign: validatecert=True gives False",
    ),
    # The same Response with its own KeyInfo's X509Data emptied (KeyInfo is not signed):
    # the certificate comes from --cert, so the empty element is ignored (item 4).
    "empty-x509data-ignored-with-a-given-certificate": Case(
        "python3-saml/double_signed_response-empty-x509data.xml",
        (
            "--cert",
            "python3-saml/settings1-idp.pem",
            "--at",
            "2014-03-21T13:42:31Z",
            "--ignore-cert-dates",
        ),
        True,
        {"signature": True, "assertion-signature": True},
        "derived from the case above; the verdict of testValidateSign still applies",
    ),
    # ...but trusting the embedded certificate finds none.
    "empty-x509data-names-no-certificate": Case(
        "python3-saml/double_signed_response-empty-x509data.xml",
        ("--trust-embedded-cert", "--at", "2014-03-21T13:42:31Z", "--ignore-cert-dates"),
        False,
        {"signature": False},
        "no certificate to trust: nothing in the message names one",
    ),
    # Two Assertions directly under the Response (issue 25, item 4): refused, as the
    # source refuses it, with the reason.
    "two-assertions": Case(
        "python3-saml/multiple_assertions.xml",
        ("--trust-embedded-cert", "--ignore-cert-dates"),
        False,
        {"structure": False},
        "python3-saml response_test.py testIsInValidMultipleAssertions: "
        "'SAML Response must contain 1 assertion'",
    ),
}
SP_KEY = "python3-saml/customPath-sp.key"
# Encrypted assertions (issue 25, item 2), decrypted with the SP key the source's tests
# use, signed by the 2007 certificate, judged at their own IssueInstant.
for _name, _at, _checks in (
    ("double_signed_encrypted_assertion", "2014-03-30T20:48:44Z",
     {"signature": True, "decryption": True, "assertion-signature": True}),
    ("signed_encrypted_assertion", "2014-03-30T20:39:19Z",
     {"decryption": True, "signature": True}),
    ("signed_message_encrypted_assertion", "2014-03-30T20:47:31Z",
     {"signature": True, "decryption": True}),
):  # fmt: skip
    CASES[f"encrypted-{_name}"] = Case(
        f"python3-saml/{_name}.xml",
        (
            "--cert",
            "python3-saml/settings1-idp.pem",
            "--decrypt-key",
            SP_KEY,
            "--ignore-cert-dates",
            "--at",
            _at,
        ),
        True,
        _checks,
        "python3-saml response_test.py testIsValidEnc: is_valid is True",
    )
CASES["encrypted-unsigned"] = Case(
    "python3-saml/valid_encrypted_assertion.xml",
    (
        "--cert",
        "python3-saml/settings1-idp.pem",
        "--decrypt-key",
        SP_KEY,
        "--ignore-cert-dates",
        "--at",
        "2014-03-29T12:01:57Z",
    ),
    False,
    {"decryption": True, "signature": False},
    "python3-saml response_test.py testIsValidEnc: 'No Signature found. SAML Response rejected'",
)
CASES["encrypted-nameid"] = Case(
    "python3-saml/response_encrypted_nameid.xml",
    (
        "--cert",
        "python3-saml/settings1-idp.pem",
        "--decrypt-key",
        SP_KEY,
        "--ignore-cert-dates",
        "--at",
        "2014-03-09T12:23:37Z",
    ),
    True,
    {"signature": True, "assertion-signature": True, "decryption": True, "subject": True},
    "python3-saml response_test.py testGetNameId: 2de11defd199f8d5bb63f9b7deb265ba5c675c10",
)
CASES["encrypted-without-a-key"] = Case(
    "python3-saml/signed_encrypted_assertion.xml",
    (
        "--cert",
        "python3-saml/settings1-idp.pem",
        "--ignore-cert-dates",
        "--at",
        "2014-03-30T20:39:19Z",
    ),
    False,
    {"decryption": False},
    "no key given: refused, naming --decrypt-key",
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_verdict_of_the_source_test_suite(name: str) -> None:
    case = CASES[name]
    args = [str(HERE / a) if a.endswith((".pem", ".xml", ".key")) else a for a in case.args]
    out = run_cli("assertion", "verify", str(HERE / case.file), "-f", "json", *args)
    report = json.loads(out.stdout)
    found = {c["check"]: c["ok"] for c in report["checks"]}
    assert report["valid"] is case.valid, (case.source, out.stdout)
    for check, ok in case.checks.items():
        assert found.get(check) is ok, (case.source, check, out.stdout)
    if name == "encrypted-nameid":
        assert report["summary"]["name_id"] == "2de11defd199f8d5bb63f9b7deb265ba5c675c10"
    if name == "two-assertions":
        reason = next(c["reason"] for c in report["checks"] if c["check"] == "structure")
        assert "2 Assertions" in reason and "4.1.4.2" in reason


@dataclass(frozen=True)
class MetadataCase:
    file: str
    args: tuple[str, ...]
    verified: bool
    source: str


METADATA_CASES = {
    # Metadata signed by the certificate that expired in 2007 (issue 25, item 5): judged
    # at a chosen time, or without the certificate's dates.
    "expired-signer-dates-checked-now": MetadataCase(
        "python3-saml/signed_metadata_settings1.xml",
        ("--cert", "python3-saml/settings1-idp.pem"),
        False,
        "python3-saml utils_test.py testValidateSign: validate_metadata_sign(..., "
        "validatecert=True) is False",
    ),
    "expired-signer-dates-ignored": MetadataCase(
        "python3-saml/signed_metadata_settings1.xml",
        ("--cert", "python3-saml/settings1-idp.pem", "--ignore-cert-dates"),
        True,
        "python3-saml utils_test.py testValidateSign: validate_metadata_sign(xml, cert) is True",
    ),
    "expired-signer-judged-while-it-was-valid": MetadataCase(
        "python3-saml/signed_metadata_settings1.xml",
        ("--cert", "python3-saml/settings1-idp.pem", "--at", "2007-07-01T00:00:00Z"),
        True,
        "the same signature, at an instant inside the certificate's validity",
    ),
}


@pytest.mark.parametrize("name", sorted(METADATA_CASES))
def test_the_metadata_verdict_of_the_source_test_suite(name: str) -> None:
    case = METADATA_CASES[name]
    args = [str(HERE / a) if a.endswith((".pem", ".xml")) else a for a in case.args]
    out = run_cli("metadata", "inspect", str(HERE / case.file), "-f", "json", *args)
    signature = json.loads(out.stdout)["signature"]
    assert signature.startswith("verified") is case.verified, (case.source, signature)
    assert (out.exit_code == 0) is case.verified
    if "--ignore-cert-dates" in args:
        assert "certificate dates NOT checked" in signature  # said, never silent


def test_metadata_date_flags_need_a_certificate() -> None:
    file = str(HERE / "python3-saml/signed_metadata_settings1.xml")
    for flags in (["--at", "2007-07-01T00:00:00Z"], ["--ignore-cert-dates"]):
        out = run_cli("metadata", "inspect", file, *flags)
        assert out.exit_code == 2 and "give --cert PEM too" in out.stderr

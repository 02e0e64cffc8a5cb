"""Certificates: Entra's profile, key safety, exports, rollover, metadata contents."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from ssoctl import certs
from ssoctl.saml.xml import c14n
from tests.conftest import GOLDEN, NOW, run_cli

UTC = dt.timezone.utc
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def test_generated_certificate_has_entras_profile():
    now = dt.datetime(2026, 11, 22, tzinfo=UTC)
    key, cert = certs.generate(now=now)
    assert cert.subject.rfc4514_string() == "CN=Microsoft Azure Federated SSO Certificate"
    assert cert.issuer == cert.subject
    assert cert.version is x509.Version.v3 and len(cert.extensions) == 0
    assert key.key_size == 2048 and cert.signature_hash_algorithm.name == "sha256"
    assert 0 < cert.serial_number < 2**128
    assert cert.not_valid_after_utc == dt.datetime(2029, 11, 22, tzinfo=UTC)
    assert certs.key_matches(cert, key)


def test_validity_never_over_three_years():
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    from ssoctl.errors import UsageError

    with pytest.raises(UsageError, match="at most 3 years"):
        certs.generate(now=now, not_after=dt.datetime(2029, 1, 2, tzinfo=UTC))


def test_cert_new_key_mode_and_refusal_to_overwrite(example: Path):
    out = run_cli("cert", "new", "--name", "next", tenant=example)
    assert out.exit_code == 0, out.stderr
    key = example.parent / "certs" / "next.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" not in out.stdout + out.stderr
    before = example.read_bytes()
    again = run_cli("cert", "new", "--name", "next", tenant=example)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert example.read_bytes() == before
    # a stray key file with the same name is never overwritten either
    (example.parent / "certs" / "stray.key").write_text("keep me")
    stray = run_cli("cert", "new", "--name", "stray", tenant=example)
    assert stray.exit_code == 2
    assert (example.parent / "certs" / "stray.key").read_text() == "keep me"
    assert example.read_bytes() == before


def test_new_certificate_starts_inactive_unless_activated(example: Path):
    run_cli("cert", "new", "--name", "n1", tenant=example)
    rows = {
        r["name"]: r
        for r in json.loads(run_cli("cert", "list", "-f", "json", tenant=example).stdout)[
            "certificates"
        ]
    }
    assert rows["n1"]["apps"]["ringcentral"] == "inactive"
    assert rows["contoso-2026"]["apps"]["ringcentral"] == "active"
    assert len(rows["n1"]["thumbprint_sha1"]) == 40 and rows["n1"]["thumbprint_sha1"].isupper()
    run_cli("cert", "new", "--name", "n2", "--activate", tenant=example)
    rows = {
        r["name"]: r
        for r in json.loads(run_cli("cert", "list", "-f", "json", tenant=example).stdout)[
            "certificates"
        ]
    }
    assert rows["n2"]["apps"] == {"(default)": "active", "ringcentral": "active",
                                  "mitel-connect": "active"}  # fmt: skip
    assert rows["contoso-2026"]["apps"]["mitel-connect"] == "inactive"


def test_cert_list_status_is_per_app(example: Path):
    """ringcentral rolls over on its own; mitel-connect still signs with contoso-2026."""
    run_cli("cert", "new", "--app", "ringcentral", "--name", "rc", "--activate", tenant=example)
    rows = {
        r["name"]: r
        for r in json.loads(run_cli("cert", "list", "-f", "json", tenant=example).stdout)[
            "certificates"
        ]
    }
    assert rows["contoso-2026"]["apps"] == {
        "(default)": "active",
        "ringcentral": "inactive",
        "mitel-connect": "active",
    }
    assert rows["rc"]["apps"] == {"ringcentral": "active"}


def test_new_certificate_for_an_inheriting_app_starts_inactive(example: Path):
    """mitel-connect signs with the inherited contoso-2026: its own new set starts with
    that certificate still active, and m1 waits, inactive (no silent switch)."""
    out = run_cli("cert", "new", "--app", "mitel-connect", "--name", "m1", tenant=example)
    assert out.exit_code == 0
    assert "m1 is inactive" in out.stderr and "now signs with" not in out.stderr
    rows = json.loads(
        run_cli("cert", "list", "--app", "mitel-connect", "-f", "json", tenant=example).stdout
    )["certificates"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("contoso-2026", "active"),
        ("m1", "inactive"),
    ]


def test_encrypted_key_round_trip(example: Path):
    env = {"SSOCTL_KEY_PASSPHRASE": "correct horse"}
    out = run_cli("cert", "new", "--name", "enc", "--activate", env=env, tenant=example)
    assert out.exit_code == 0, out.stderr
    key_file = example.parent / "certs" / "enc.key"
    assert b"ENCRYPTED" in key_file.read_bytes()
    ok = run_cli("metadata", "export", "--app", "ringcentral", env=env, tenant=example)
    assert ok.exit_code == 0, ok.stderr
    wrong = run_cli(
        "metadata", "export", "--app", "ringcentral", env={"SSOCTL_KEY_PASSPHRASE": "nope"},
        tenant=example,
    )  # fmt: skip
    assert wrong.exit_code == 3 and "passphrase" in wrong.stderr
    assert "correct horse" not in wrong.stderr


def test_pfx_round_trip_and_import(example: Path, tmp_path: Path):
    env = {"SSOCTL_PFX_PASSWORD": "pfx-secret"}
    pfx = tmp_path / "out.pfx"
    out = run_cli(
        "cert",
        "export",
        "contoso-2026",
        "--format",
        "pfx",
        "--out",
        str(pfx),
        env=env,
        tenant=example,
    )
    assert out.exit_code == 0, out.stderr
    assert pfx.stat().st_mode & 0o777 == 0o600
    key, cert, _ = pkcs12.load_key_and_certificates(pfx.read_bytes(), b"pfx-secret")
    original = x509.load_pem_x509_certificate(
        (example.parent / "certs" / "contoso-2026.pem").read_bytes()
    )
    assert cert == original and certs.key_matches(original, key)
    imported = run_cli(
        "cert", "import", "--pfx", str(pfx), "--name", "from-pfx", env=env, tenant=example
    )
    assert imported.exit_code == 0, imported.stderr
    assert (example.parent / "certs" / "from-pfx.key").stat().st_mode & 0o777 == 0o600
    wrong = run_cli(
        "cert",
        "import",
        "--pfx",
        str(pfx),
        "--name",
        "x",
        env={"SSOCTL_PFX_PASSWORD": "bad"},
        tenant=example,
    )
    assert wrong.exit_code == 3 and "wrong password" in wrong.stderr


def test_export_formats(example: Path):
    b64 = run_cli("cert", "export", "contoso-2026", "--format", "base64", tenant=example)
    pem = run_cli("cert", "export", "contoso-2026", "--format", "pem", tenant=example)
    der = run_cli("cert", "export", "contoso-2026", "--format", "der", tenant=example)
    cert = x509.load_pem_x509_certificate(pem.stdout_bytes)
    assert x509.load_der_x509_certificate(der.stdout_bytes) == cert
    # Entra's "Certificate (Base64)" is a .cer text file: PEM armour, wrapped lines.
    assert b64.stdout.startswith("-----BEGIN CERTIFICATE-----\n")
    assert max(len(line) for line in b64.stdout.splitlines()) == 64
    assert x509.load_pem_x509_certificate(b64.stdout.encode()) == cert
    line = run_cli("cert", "export", "contoso-2026", "--format", "base64-line", tenant=example)
    assert line.stdout.strip() == "".join(pem.stdout.splitlines()[1:-1])


def test_activate_and_remove_rules(example: Path):
    before = example.read_bytes()
    active = run_cli("cert", "remove", "contoso-2026", tenant=example)
    assert active.exit_code == 2 and "active" in active.stderr
    assert example.read_bytes() == before
    run_cli("cert", "new", "--name", "next", tenant=example)
    assert run_cli("cert", "activate", "next", tenant=example).exit_code == 0
    assert run_cli("cert", "remove", "contoso-2026", tenant=example).exit_code == 0
    assert "contoso-2026" not in example.read_text()


def test_mismatched_key_is_a_clear_error(example: Path):
    run_cli("cert", "new", "--name", "other", tenant=example)
    text = example.read_text().replace("key: certs/contoso-2026.key", "key: certs/other.key")
    example.write_text(text)
    for command in (
        ["metadata", "export", "--app", "ringcentral"],
        ["cert", "list"],
        ["app", "show", "ringcentral"],
    ):
        out = run_cli(*command, tenant=example)
        assert out.exit_code == 1 and "does not match" in out.stderr, command
        assert f"{example}:" in out.stderr  # file:line:col given


def test_import_cert_and_key(example: Path, tmp_path: Path):
    key, cert = certs.generate(now=dt.datetime.now(UTC))
    (tmp_path / "c.pem").write_bytes(certs.cert_pem(cert))
    (tmp_path / "k.pem").write_bytes(certs.key_pem(key, None))
    out = run_cli(
        "cert",
        "import",
        "--cert",
        str(tmp_path / "c.pem"),
        "--key",
        str(tmp_path / "k.pem"),
        "--name",
        "imp",
        tenant=example,
    )
    assert out.exit_code == 0, out.stderr
    key2, _ = certs.generate(now=dt.datetime.now(UTC))
    (tmp_path / "k2.pem").write_bytes(certs.key_pem(key2, None))
    bad = run_cli(
        "cert",
        "import",
        "--cert",
        str(tmp_path / "c.pem"),
        "--key",
        str(tmp_path / "k2.pem"),
        "--name",
        "imp2",
        tenant=example,
    )
    assert bad.exit_code == 2 and "does not match" in bad.stderr


def _metadata(tenant: Path, *extra: str, now: str = NOW) -> etree._Element:
    out = run_cli("metadata", "export", "--app", "ringcentral", "--now", now, *extra, tenant=tenant)
    assert out.exit_code == 0, out.stderr
    return etree.fromstring(out.stdout_bytes)


def _key_certs(root: etree._Element) -> list[str]:
    return [
        e.text
        for e in root.iter(f"{DS}X509Certificate")
        if e.getparent().getparent().getparent().tag == f"{MD}KeyDescriptor"
    ]


def _signer(root: etree._Element) -> str:
    return root.find(f"{DS}Signature").findtext(f".//{DS}X509Certificate")


def test_rollover_story(example: Path):
    run_cli("cert", "new", "--name", "next", "--now", NOW, tenant=example)
    body = certs.base64_body(
        x509.load_pem_x509_certificate((example.parent / "certs" / "next.pem").read_bytes())
    )
    before = _metadata(example)
    assert _key_certs(before)[1] == body, "the new certificate appears second"
    assert _signer(before) != body
    run_cli("cert", "activate", "next", "--now", NOW, tenant=example)
    after = _metadata(example)
    assert _key_certs(after)[0] == body and _signer(after) == body


def test_expired_certificate_left_out(example: Path):
    run_cli(
        "cert",
        "new",
        "--name",
        "short",
        "--years",
        "1",
        "--now",
        "2026-12-01T00:00:00Z",
        tenant=example,
    )
    assert len(_key_certs(_metadata(example, now="2027-06-01T00:00:00Z"))) == 2
    assert len(_key_certs(_metadata(example, now="2028-06-01T00:00:00Z"))) == 1


def test_metadata_is_reproducible_and_matches_golden(example: Path):
    first = run_cli(
        "metadata", "export", "--app", "ringcentral", "--now", NOW, tenant=example
    ).stdout_bytes
    second = run_cli(
        "metadata", "export", "--app", "ringcentral", "--now", NOW, tenant=example
    ).stdout_bytes
    assert first == second
    golden = etree.fromstring((GOLDEN / "idp-metadata-contoso.xml").read_bytes())
    assert c14n(etree.fromstring(first)) == c14n(golden)


def test_no_valid_certificate(example: Path):
    out = run_cli(
        "metadata", "export", "--app", "ringcentral", "--now", "2031-01-01T00:00:00Z",
        tenant=example,
    )  # fmt: skip
    assert out.exit_code == 1 and "no valid signing certificate" in out.stderr


def test_key_file_never_world_readable_even_with_lax_umask(example: Path):
    old = os.umask(0)
    try:
        assert run_cli("cert", "new", "--name", "lax", tenant=example).exit_code == 0
    finally:
        os.umask(old)
    assert (example.parent / "certs" / "lax.key").stat().st_mode & 0o777 == 0o600


def test_subject_cn_is_a_printable_string_as_entra_writes_it():
    _key, cert = certs.generate(now=dt.datetime.now(UTC))
    cn = b"Microsoft Azure Federated SSO Certificate"
    der = cert.public_bytes(serialization.Encoding.DER)
    assert bytes([0x13, len(cn)]) + cn in der  # 0x13: PrintableString
    assert bytes([0x0C, len(cn)]) + cn not in der  # 0x0C: UTF8String

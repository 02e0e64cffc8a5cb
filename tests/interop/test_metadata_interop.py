"""Exported IdP metadata judged by implementations nobody here wrote: the OASIS XSD
(libxml2), the xmlsec1 program, python3-saml's parser and pysaml2's MetadataStore;
before and after a certificate rollover."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import NOW, TENANT_ID, run_cli
from tests.interop.conftest import schema, xmlsec1_verify

ENTITY_ID = f"https://sts.windows.net/{TENANT_ID}/"
SSO_URL = f"https://login.microsoftonline.com/{TENANT_ID}/saml2"


def export(tenant: Path, *extra: str) -> bytes:
    if "--app" not in extra:
        extra = ("--app", "ringcentral", *extra)
    out = run_cli("metadata", "export", "--now", NOW, *extra, tenant=tenant)
    assert out.exit_code == 0, out.stderr
    return out.stdout_bytes


def certificate_of(tenant: Path, name: str) -> Path:
    return tenant.parent / "certs" / f"{name}.pem"


@pytest.fixture
def rolled(example: Path) -> Path:
    """ringcentral's own set: rc-a active (asked for), rc-b waiting, inactive."""
    assert (
        run_cli(
            "cert", "new", "--app", "ringcentral", "--name", "rc-a", "--activate", "--now", NOW,
            tenant=example,
        ).exit_code
        == 0
    )  # fmt: skip
    assert (
        run_cli(
            "cert", "new", "--app", "ringcentral", "--name", "rc-b", "--now", NOW, tenant=example
        ).exit_code
        == 0
    )
    return example


def both_states(tenant: Path) -> list[tuple[bytes, str]]:
    """Metadata before and after `cert activate`, each with its signing certificate."""
    before = export(tenant, "--app", "ringcentral")
    assert (
        run_cli(
            "cert", "activate", "rc-b", "--app", "ringcentral", "--now", NOW, tenant=tenant
        ).exit_code
        == 0
    )
    after = export(tenant, "--app", "ringcentral")
    return [(before, "rc-a"), (after, "rc-b")]


def test_xsd_valid(rolled: Path):
    xsd = schema("saml-schema-metadata-2.0.xsd")
    for xml_bytes, _signer in both_states(rolled):
        doc = etree.fromstring(xml_bytes)
        assert xsd.validate(doc), xsd.error_log


def test_xsd_rejects_broken_metadata(example: Path):
    doc = etree.fromstring(export(example))
    doc.find("{urn:oasis:names:tc:SAML:2.0:metadata}IDPSSODescriptor").set("bogus", "1")
    assert not schema("saml-schema-metadata-2.0.xsd").validate(doc)


def test_xmlsec1_verifies(rolled: Path, tmp_path: Path):
    for index, (xml_bytes, signer) in enumerate(both_states(rolled)):
        path = tmp_path / f"md{index}.xml"
        path.write_bytes(xml_bytes)
        ok = xmlsec1_verify(
            path,
            certificate_of(rolled, signer),
            "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        )
        assert ok.returncode == 0 and "OK" in ok.stdout + ok.stderr, ok.stderr
        tampered = tmp_path / f"bad{index}.xml"
        tampered.write_bytes(xml_bytes.replace(b'/saml2"', b'/saml3"', 1))
        bad = xmlsec1_verify(
            tampered,
            certificate_of(rolled, signer),
            "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        )
        assert bad.returncode != 0


def test_python3_saml_parser(rolled: Path):
    parser = pytest.importorskip(
        "onelogin.saml2.idp_metadata_parser",
        reason="python3-saml is not installed (pip install '.[test]')",
    )
    # mitel-connect still has one certificate (the inherited default set).
    single = parser.OneLogin_Saml2_IdPMetadataParser.parse(export(rolled, "--app", "mitel-connect"))
    assert single["idp"]["entityId"] == ENTITY_ID
    assert single["idp"]["singleSignOnService"]["url"] == SSO_URL
    assert single["idp"]["x509cert"]
    for xml_bytes, signer in both_states(rolled):
        parsed = parser.OneLogin_Saml2_IdPMetadataParser.parse(xml_bytes)["idp"]
        signing = parsed["x509certMulti"]["signing"]
        assert len(signing) == 3  # the set: contoso-2026 (inherited), rc-a, rc-b
        body = "".join(certificate_of(rolled, signer).read_text().splitlines()[1:-1])
        assert signing[0] == body, "the active certificate comes first"


def test_pysaml2_metadata_store(rolled: Path, tmp_path: Path):
    mdstore = pytest.importorskip("saml2.mdstore", reason="pysaml2 is not installed")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.attribute_converter import ac_factory

    for index, (xml_bytes, _signer) in enumerate(both_states(rolled)):
        path = tmp_path / f"idp{index}.xml"
        path.write_bytes(xml_bytes)
        store = mdstore.MetadataStore(ac_factory(), None)
        store.load("local", str(path))
        for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
            services = store.single_sign_on_service(ENTITY_ID, binding)
            assert [s["location"] for s in services] == [SSO_URL]
        assert len(store.certs(ENTITY_ID, "idpsso", "signing")) == 3

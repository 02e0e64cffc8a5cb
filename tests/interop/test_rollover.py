"""Entra's certificate rollover, end to end, judged by SPs nobody here wrote.

pysaml2 and python3-saml are configured only from the App Federation Metadata that
`ssoctl metadata export` writes *before* the rollover. A new certificate must not break
them; once they load the new metadata and the certificate is activated they accept
again; an SP that never refreshed is refused, which is exactly what `cert activate`
warned about.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import TENANT_ID, run_cli
from tests.interop.test_response_interop import RC_ACS, RC_ID, post, pysaml2_sp, request_data

UPN = "B.Simon@contoso.com"


def make_tenant(folder: Path) -> Path:
    path = folder / "tenant.yaml"
    assert (
        run_cli("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", tenant=path).exit_code
        == 0
    )
    for args in (
        ("app", "add", "ringcentral", "--region", "euro"),
        ("user", "add", UPN, "--given-name", "Britta", "--surname", "Simon", "--mail", UPN),
        ("app", "assign", "ringcentral", UPN),
    ):
        out = run_cli(*args, tenant=path)
        assert out.exit_code == 0, (args, out.stderr)
    return path


def export(tenant: Path, target: Path) -> Path:
    out = run_cli("metadata", "export", "--app", "ringcentral", "--out", str(target), tenant=tenant)
    assert out.exit_code == 0, out.stderr
    return target


def issue(tenant: Path) -> bytes:
    out = run_cli("assertion", "issue", "--app", "ringcentral", "--user", UPN, tenant=tenant)
    assert out.exit_code == 0, out.stderr
    return out.stdout_bytes


def python3_saml_from_metadata(metadata: Path):
    parser = pytest.importorskip(
        "onelogin.saml2.idp_metadata_parser", reason="python3-saml is not installed"
    )
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    idp = parser.OneLogin_Saml2_IdPMetadataParser.parse(metadata.read_bytes())["idp"]
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": {
                "entityId": RC_ID,
                "assertionConsumerService": {
                    "url": RC_ACS,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
            },
            "idp": idp,
            "security": {"wantAssertionsSigned": True},
        },
        sp_validation_only=True,
    )


def python3_saml_accepts(settings, data: bytes) -> bool:
    from onelogin.saml2.response import OneLogin_Saml2_Response as Response

    return bool(Response(settings, base64.b64encode(data).decode()).is_valid(request_data(RC_ACS)))


def pysaml2_accepts(client, data: bytes) -> bool:
    try:
        response = post(client, data)
    except Exception:  # pysaml2 signals refusal with a variety of exceptions
        return False
    return response is not None and bool(response.assertion)


def test_rollover_story_with_independent_sps(tmp_path: Path) -> None:
    tenant = make_tenant(tmp_path)
    before = export(tenant, tmp_path / "before.xml")
    stale_pysaml2 = pysaml2_sp(before, RC_ID, RC_ACS, True)
    stale_onelogin = python3_saml_from_metadata(before)
    assert pysaml2_accepts(stale_pysaml2, issue(tenant))
    assert python3_saml_accepts(stale_onelogin, issue(tenant))

    # 1. A new certificate: inactive, nothing changes for the SPs.
    out = run_cli("cert", "new", "--app", "ringcentral", "--name", "next", tenant=tenant)
    assert out.exit_code == 0 and "next is inactive" in out.stderr
    assert pysaml2_accepts(stale_pysaml2, issue(tenant))
    assert python3_saml_accepts(stale_onelogin, issue(tenant))

    # 2. The SPs load the new metadata (both certificates), then the admin activates.
    after = export(tenant, tmp_path / "after.xml")
    fresh_pysaml2 = pysaml2_sp(after, RC_ID, RC_ACS, True)
    fresh_onelogin = python3_saml_from_metadata(after)
    old = run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout
    activated = run_cli("cert", "activate", "next", "--app", "ringcentral", tenant=tenant)
    assert activated.exit_code == 0
    assert "ringcentral now signs with next" in activated.stderr
    old_name = json.loads(old)["certificate"]["name"]
    assert f"SPs that trust only {old_name} will refuse sign-ins" in activated.stderr

    data = issue(tenant)
    assert pysaml2_accepts(fresh_pysaml2, data)
    assert python3_saml_accepts(fresh_onelogin, data)
    # 3. The SPs that never refreshed trust only the old certificate: refused, as warned.
    assert not pysaml2_accepts(stale_pysaml2, data)
    assert not python3_saml_accepts(stale_onelogin, data)

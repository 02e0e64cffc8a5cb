"""Certificates and app identity as Entra has them: per-app sets, no silent switches,
Entra's own (public-only) certificates, App Federation Metadata, and no invented
Application ID."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from ssoctl import certs
from tests.conftest import TENANT_ID, run_cli

DS = "{http://www.w3.org/2000/09/xmldsig#}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def fresh_tenant(folder: Path) -> Path:
    """`init` and `app add ringcentral --region euro`, as the quickstart does."""
    path = folder / "tenant.yaml"
    assert (
        run_cli("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", tenant=path).exit_code
        == 0
    )
    out = run_cli("app", "add", "ringcentral", "--region", "euro", tenant=path)
    assert out.exit_code == 0, out.stderr
    return path


def key_descriptor_bodies(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return [
        "".join((e.text or "").split())
        for e in root.iter(f"{DS}X509Certificate")
        if e.getparent().getparent().getparent().tag == f"{MD}KeyDescriptor"
    ]


def body_of(folder: Path, name: str) -> str:
    return "".join((folder / "certs" / f"{name}.pem").read_text().splitlines()[1:-1])


def test_app_add_gives_the_app_its_own_set_with_a_fresh_certificate(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    data = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    [cert] = data["certificates"]
    assert cert["active"] and cert["name"].startswith("ringcentral-")
    assert (tmp_path / "certs" / f"{cert['name']}.key").stat().st_mode & 0o777 == 0o600
    assert "signing: {certificates: [" in tenant.read_text() or "signing:" in tenant.read_text()


def test_app_add_certificate_shares_and_no_certificate_leaves_it_empty(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    shared_name = json.loads(
        run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout
    )["certificates"][0]["name"]
    out = run_cli(
        "app", "add", "custom", "--name", "wiki", "--identifier", "https://wiki.example/sp",
        "--reply-url", "https://wiki.example/acs", "--certificate", shared_name, tenant=tenant,
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    wiki = json.loads(run_cli("app", "show", "wiki", "-f", "json", tenant=tenant).stdout)
    assert [c["name"] for c in wiki["certificates"]] == [shared_name]
    out = run_cli(
        "app", "add", "custom", "--name", "crm", "--identifier", "https://crm.example/sp",
        "--reply-url", "https://crm.example/acs", "--no-certificate", tenant=tenant,
    )  # fmt: skip
    assert out.exit_code == 0 and "cert import --cert FILE --app crm" in out.stderr
    assert (
        json.loads(run_cli("app", "show", "crm", "-f", "json", tenant=tenant).stdout)[
            "certificates"
        ]
        == []
    )
    unknown = run_cli(
        "app", "add", "custom", "--name", "x", "--identifier", "https://x.example/sp",
        "--reply-url", "https://x.example/acs", "--certificate", "nope", tenant=tenant,
    )  # fmt: skip
    assert unknown.exit_code == 2 and "not in the keyring" in unknown.stderr


def test_cert_new_for_an_app_never_switches_and_activate_says_so(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    before = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    old = before["certificates"][0]
    out = run_cli("cert", "new", "--app", "ringcentral", "--name", "next", tenant=tenant)
    assert out.exit_code == 0 and "next is inactive" in out.stderr
    assert "now signs with" not in out.stderr
    after = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    assert after["certificate"]["name"] == old["name"]
    out = run_cli("cert", "activate", "next", "--app", "ringcentral", tenant=tenant)
    thumb = certs.thumbprint_sha1(certs.load_certificate(tmp_path / "certs" / "next.pem"))
    assert (
        f"ringcentral now signs with next (thumbprint {thumb}); SPs that trust only "
        f"{old['name']} will refuse sign-ins until they import the new metadata." in out.stderr
    )
    listed = json.loads(
        run_cli("cert", "list", "--app", "ringcentral", "-f", "json", tenant=tenant).stdout
    )["certificates"]
    assert {r["name"]: r["status"] for r in listed} == {old["name"]: "inactive", "next": "active"}


def test_public_only_certificate_from_entra(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    _key, cert = certs.generate(now=dt.datetime.now(dt.timezone.utc))
    entra = tmp_path / "entra.cer"
    entra.write_bytes(certs.cert_pem(cert))
    out = run_cli(
        "cert",
        "import",
        "--cert",
        str(entra),
        "--name",
        "entra",
        "--app",
        "ringcentral",
        tenant=tenant,
    )
    assert out.exit_code == 0 and "public only" in out.stderr
    assert "key:" not in tenant.read_text().split("name: entra")[1].split("- name")[0]
    assert not (tmp_path / "certs" / "entra.key").exists()
    # In metadata and paste sheets, as Entra lists it.
    xml = run_cli("metadata", "export", "--app", "ringcentral", tenant=tenant).stdout_bytes
    assert certs.base64_body(cert) in key_descriptor_bodies(xml)
    show = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    assert [c["local_key"] for c in show["certificates"]] == [True, False]
    # Entra's is active: the metadata's signature needs a key here (refused, naming why).
    assert (
        run_cli("cert", "activate", "entra", "--app", "ringcentral", tenant=tenant).exit_code == 0
    )
    run_cli("user", "add", "b.simon@contoso.com", tenant=tenant)
    run_cli("app", "assign", "ringcentral", "b.simon@contoso.com", tenant=tenant)
    issued = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "b.simon@contoso.com", "--force",
        tenant=tenant,
    )  # fmt: skip
    # Entra signs with its own: the twin signs test Responses with the local one, and says so
    assert issued.exit_code == 0, issued.stderr
    assert "signed with the local test certificate ringcentral-" in issued.stderr
    assert "whose key only Entra holds" in issued.stderr
    exported = run_cli("metadata", "export", "--app", "ringcentral", tenant=tenant)
    assert exported.exit_code == 3 and "public only" in exported.stderr
    unsigned = run_cli("metadata", "export", "--app", "ringcentral", "--no-sign", tenant=tenant)
    assert unsigned.exit_code == 0


def test_metadata_export_needs_an_app_and_lists_the_whole_set(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    out = run_cli("metadata", "export", tenant=tenant)
    assert out.exit_code == 2 and "Apps: ringcentral" in out.stderr
    run_cli("cert", "new", "--app", "ringcentral", "--name", "next", tenant=tenant)
    # An expired certificate in the set (imported: `cert new --now` in the past would find
    # nothing valid to sign with at that instant and rightly activate the new one).
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    _key, old = certs.generate(now=start, not_after=start + dt.timedelta(days=100))
    (tmp_path / "old.pem").write_bytes(certs.cert_pem(old))
    imported = run_cli(
        "cert", "import", "--cert", str(tmp_path / "old.pem"), "--name", "short",
        "--app", "ringcentral", tenant=tenant,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.stderr
    bodies = key_descriptor_bodies(
        run_cli("metadata", "export", "--app", "ringcentral", tenant=tenant).stdout_bytes
    )
    active = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)[
        "certificate"
    ]["name"]
    # All of the set, inactive included, expired left out; the signing one first.
    assert bodies == [body_of(tmp_path, active), body_of(tmp_path, "next")]
    first = run_cli("metadata", "export", "--app", "ringcentral", "--first", "next", tenant=tenant)
    assert key_descriptor_bodies(first.stdout_bytes)[0] == body_of(tmp_path, "next")
    signer = (
        etree.fromstring(first.stdout_bytes)
        .find(f"{DS}Signature")
        .findtext(f".//{DS}X509Certificate")
    )
    assert "".join(signer.split()) == body_of(tmp_path, active)  # still signed by the active one
    bad = run_cli("metadata", "export", "--app", "ringcentral", "--first", "short", tenant=tenant)
    assert bad.exit_code == 2


def test_application_id_is_never_invented(tmp_path: Path) -> None:
    tenant = fresh_tenant(tmp_path)
    assert "app_id" not in tenant.read_text()
    text = run_cli("app", "show", "ringcentral", tenant=tenant).stdout
    assert "appid=<Application ID>" in text and "ssoctl app set ringcentral --app-id GUID" in text
    data = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    assert data["app_id"] is None and data["sp_portal"]["app_federation_metadata_url"] is None
    assert "app_federation_metadata_url" in data["unknown"]
    findings = json.loads(run_cli("validate", str(tenant), "-f", "json").stdout)["files"][0][
        "findings"
    ]
    assert [(f["rule"], f["severity"]) for f in findings if f["rule"] == "app-id-missing"] == [
        ("app-id-missing", "warning")
    ]
    app_id = "0b6e1f63-9c1d-4e4a-8c1e-2f3a4b5c6d7e"
    assert run_cli("app", "set", "ringcentral", "--app-id", app_id, tenant=tenant).exit_code == 0
    data = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=tenant).stdout)
    assert data["sp_portal"]["app_federation_metadata_url"].endswith(f"?appid={app_id}")
    assert data["unknown"] == {}
    bad = run_cli("app", "set", "ringcentral", "--app-id", "not-a-guid", tenant=tenant)
    assert bad.exit_code == 2 and "--app-id" in bad.stderr


def test_usgov_entra_identifier_is_marked_unconfirmed(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    run_cli("init", "--tenant-id", TENANT_ID, "--domain", "c.us", "--cloud", "usgov", tenant=path)
    assert run_cli("app", "add", "ringcentral", "--region", "us", tenant=path).exit_code == 0
    text = run_cli("app", "show", "ringcentral", tenant=path).stdout
    assert "UNCONFIRMED" in text and "1190472" in text
    data = json.loads(run_cli("app", "show", "ringcentral", "-f", "json", tenant=path).stdout)
    assert "microsoft_entra_identifier" in data["unconfirmed"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_quickstart_in_a_fresh_repository_stages_no_key(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    tenant = fresh_tenant(tmp_path)
    run_cli("cert", "new", "--app", "ringcentral", tenant=tenant)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.split()
    assert "tenant.yaml" in staged and ".gitignore" in staged
    assert not [s for s in staged if s.endswith((".key", ".pfx", ".lock"))], staged
    assert not list(tmp_path.glob(".*.lock"))


def test_ringcentral_region_is_never_defaulted(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    run_cli("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", "--no-cert", tenant=path)
    before = path.read_bytes()
    out = run_cli("app", "add", "ringcentral", tenant=path)
    assert out.exit_code == 2 and "--region is required" in out.stderr
    assert "euro: " in out.stderr and "UK and EU accounts" in out.stderr
    assert "(AU) accounts" in out.stderr.split("euro:")[0]  # AU goes to us (KB 9461)
    assert path.read_bytes() == before

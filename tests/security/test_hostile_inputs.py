"""The review's medium and low findings, each tried as an attacker would: a located
message and the documented exit code, never exit 70 or a signal, and no file changed."""

from __future__ import annotations

import base64
import copy
import errno
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import NOW, ROOT, run_cli
from tests.security.names import DS, SAML, q


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes, symlinks as their target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path.relative_to(folder))] = "-> " + os.readlink(path)
        elif path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def issue(tenant: Path, *extra: str) -> bytes:
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, *extra, tenant=tenant,
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    return out.stdout_bytes


def verify(tenant: Path, data: bytes, tmp_path: Path, *extra: str):
    target = tmp_path / "response.xml"
    target.write_bytes(data)
    return run_cli(
        "assertion", "verify", str(target), "--app", "ringcentral", "--at", NOW,
        "-f", "json", *extra, tenant=tenant,
    )  # fmt: skip


def checks(out) -> dict[str, object]:
    return {c["check"]: c["ok"] for c in json.loads(out.stdout)["checks"]}


# --- trust ---------------------------------------------------------------------------


def test_trust_embedded_cert_never_combines_with_trusted_certificates(
    example: Path, tmp_path: Path
) -> None:
    data = issue(example)
    for flag in (("--trust-embedded-cert",),):
        out = verify(example, data, tmp_path, *flag)
        assert out.exit_code == 2 and "cannot be combined with --app" in out.stderr
    pem = example.parent / "certs" / "contoso-2026.pem"
    out = run_cli(
        "assertion", "verify", str(tmp_path / "response.xml"), "--cert", str(pem),
        "--trust-embedded-cert", "--at", NOW,
    )  # fmt: skip
    assert out.exit_code == 2


def test_core_never_trusts_the_embedded_certificate_over_trusted_ones(example: Path) -> None:
    """Even if a caller sets both, a forgery signed by another key is not valid."""
    import datetime as dt

    from ssoctl import certs
    from ssoctl.saml import signing, xml
    from ssoctl.saml.verify import Expectations, verify_response

    root = xml.parse(issue(example))
    assertion = root.find(q(SAML, "Assertion"))
    assertion.find(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}").text = "admin@contoso.com"
    assertion.remove(assertion.find(q(DS, "Signature")))
    key, cert = certs.generate(now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    issuer = assertion.find(q(SAML, "Issuer"))
    issuer.addnext(signing.placeholder())
    signing.sign(assertion, assertion.get("ID"), key, cert)
    trusted = certs.load_certificate(example.parent / "certs" / "contoso-2026.pem")
    at = dt.datetime(2027, 1, 15, 10, tzinfo=dt.timezone.utc)
    outcome = verify_response(root, Expectations([trusted], at, trust_embedded=True))
    assert not outcome.valid


# --- verifier semantics ----------------------------------------------------------------


def resign(tenant: Path, root: etree._Element) -> bytes:
    """Sign the (edited) Assertion again with the example's key, as a real IdP would."""
    from ssoctl import certs
    from ssoctl.saml import signing

    folder = tenant.parent / "certs"
    key = certs.load_private_key(folder / "contoso-2026.key", None)
    cert = certs.load_certificate(folder / "contoso-2026.pem")
    assertion = root.find(q(SAML, "Assertion"))
    old = assertion.find(q(DS, "Signature"))
    if old is not None:
        assertion.remove(old)
    assertion.find(q(SAML, "Issuer")).addnext(signing.placeholder())
    signing.sign(assertion, assertion.get("ID"), key, cert)
    return etree.tostring(root)


def edited(tenant: Path, edit) -> bytes:
    root = etree.fromstring(issue(tenant))
    edit(root.find(q(SAML, "Assertion")), root)
    return resign(tenant, root)


def test_encrypted_id_or_no_name_id_is_not_valid(example: Path, tmp_path: Path) -> None:
    def encrypted(assertion: etree._Element, _root: etree._Element) -> None:
        subject = assertion.find(q(SAML, "Subject"))
        name_id = subject.find(q(SAML, "NameID"))
        subject.replace(name_id, etree.Element(q(SAML, "EncryptedID")))

    def missing(assertion: etree._Element, _root: etree._Element) -> None:
        subject = assertion.find(q(SAML, "Subject"))
        subject.remove(subject.find(q(SAML, "NameID")))

    out = verify(example, edited(example, encrypted), tmp_path)
    # Without the SP's key nothing can be read from it: refused, naming --decrypt-key.
    assert out.exit_code == 1 and checks(out)["decryption"] is False
    assert "--decrypt-key" in out.stdout and "subject" not in checks(out)
    out = verify(example, edited(example, missing), tmp_path)
    assert out.exit_code == 1 and checks(out)["subject"] is False


def test_advice_attributes_are_not_claims(example: Path, tmp_path: Path) -> None:
    def advice(assertion: etree._Element, _root: etree._Element) -> None:
        conditions = assertion.find(q(SAML, "Conditions"))
        holder = etree.Element(q(SAML, "Advice"))
        fake = etree.SubElement(holder, q(SAML, "AttributeStatement"))
        attribute = etree.SubElement(fake, q(SAML, "Attribute"), Name="role")
        etree.SubElement(attribute, q(SAML, "AttributeValue")).text = "GlobalAdmin"
        conditions.addnext(holder)

    out = verify(example, edited(example, advice), tmp_path)
    assert out.exit_code == 0, out.stdout
    assert "role" not in json.loads(out.stdout)["summary"]["attributes"]


def test_every_audience_restriction_must_match(example: Path, tmp_path: Path) -> None:
    def second(assertion: etree._Element, _root: etree._Element) -> None:
        conditions = assertion.find(q(SAML, "Conditions"))
        extra = etree.SubElement(conditions, q(SAML, "AudienceRestriction"))
        etree.SubElement(extra, q(SAML, "Audience")).text = "https://other-sp.example"

    out = verify(example, edited(example, second), tmp_path)
    assert out.exit_code == 1 and checks(out)["audience"] is False
    assert "every AudienceRestriction" in out.stdout


@pytest.mark.parametrize("value", ["not-a-time", "2027-13-45T00:00:00Z"])
def test_unparseable_not_before_is_a_failure(example: Path, tmp_path: Path, value: str) -> None:
    def bad(assertion: etree._Element, _root: etree._Element) -> None:
        assertion.find(q(SAML, "Conditions")).set("NotBefore", value)

    out = verify(example, edited(example, bad), tmp_path)
    assert out.exit_code == 1 and checks(out)["time"] is False
    assert "is not an xs:dateTime" in out.stdout


def test_zone_less_and_seven_digit_times_are_read_as_utc(example: Path, tmp_path: Path) -> None:
    def zoneless(assertion: etree._Element, _root: etree._Element) -> None:
        conditions = assertion.find(q(SAML, "Conditions"))
        conditions.set("NotBefore", "2027-01-15T09:55:00")
        conditions.set("NotOnOrAfter", "2027-01-15T11:00:00.0000000Z")

    out = verify(example, edited(example, zoneless), tmp_path)
    assert out.exit_code == 0, out.stdout + out.stderr


def test_in_response_to_from_the_unsigned_response_does_not_count(
    example: Path, tmp_path: Path
) -> None:
    data = issue(example)  # IdP-initiated: the signed Assertion has no InResponseTo
    root = etree.fromstring(data)
    root.set("InResponseTo", "_request-1")
    out = verify(example, etree.tostring(root), tmp_path, "--expect-in-response-to", "_request-1")
    assert out.exit_code == 1 and checks(out)["in-response-to"] is False
    assert "no signed InResponseTo" in out.stdout


def test_summary_says_what_was_signed(example: Path, tmp_path: Path) -> None:
    out = verify(example, issue(example), tmp_path)
    sources = json.loads(out.stdout)["summary"]["sources"]
    assert sources["destination"] == "unsigned envelope"
    assert sources["name_id"] == "signed Assertion"
    out = verify(example, issue(example, "--sign", "response"), tmp_path)
    assert json.loads(out.stdout)["summary"]["sources"]["destination"] == "signed Response"


# --- malformed signatures --------------------------------------------------------------


def _break_signature(kind: str):
    def edit(root: etree._Element) -> None:
        sig = root.find(f"{q(SAML, 'Assertion')}/{q(DS, 'Signature')}")
        if kind == "value-not-base64":
            sig.find(q(DS, "SignatureValue")).text = "!!!not base64!!!"
        elif kind == "no-signature-method":
            info = sig.find(q(DS, "SignedInfo"))
            info.remove(info.find(q(DS, "SignatureMethod")))
        elif kind == "no-reference":
            info = sig.find(q(DS, "SignedInfo"))
            info.remove(info.find(q(DS, "Reference")))
        elif kind == "no-signed-info":
            sig.remove(sig.find(q(DS, "SignedInfo")))

    return edit


@pytest.mark.parametrize(
    "kind", ["value-not-base64", "no-signature-method", "no-reference", "no-signed-info"]
)
def test_malformed_signature_is_invalid_not_a_crash(
    example: Path, tmp_path: Path, kind: str
) -> None:
    root = etree.fromstring(issue(example))
    _break_signature(kind)(root)
    out = verify(example, etree.tostring(root), tmp_path)
    assert out.exit_code == 1, out.stderr
    assert checks(out)["signature"] is False


@pytest.mark.parametrize("kind", ["value-not-base64", "no-signature-method", "no-reference"])
def test_malformed_metadata_signature_is_invalid_not_a_crash(
    example: Path, tmp_path: Path, kind: str
) -> None:
    out = run_cli("metadata", "export", "--app", "ringcentral", "--now", NOW, tenant=example)
    root = etree.fromstring(out.stdout_bytes)
    sig = root.find(q(DS, "Signature"))
    if kind == "value-not-base64":
        sig.find(q(DS, "SignatureValue")).text = "!!!"
    else:
        info = sig.find(q(DS, "SignedInfo"))
        info.remove(info.find(q(DS, "SignatureMethod" if "method" in kind else "Reference")))
    path = tmp_path / "md.xml"
    path.write_bytes(etree.tostring(root))
    pem = example.parent / "certs" / "contoso-2026.pem"
    out = run_cli("metadata", "inspect", str(path), "--cert", str(pem), "-f", "json")
    assert out.exit_code == 1, out.stderr
    assert json.loads(out.stdout)["signature"].startswith("invalid")


# --- XML input edge cases --------------------------------------------------------------


def test_utf8_bom_is_accepted(example: Path, tmp_path: Path) -> None:
    out = verify(example, b"\xef\xbb\xbf" + issue(example), tmp_path)
    assert out.exit_code == 0, out.stderr
    out = run_cli("assertion", "decode", str(tmp_path / "response.xml"), "-f", "json")
    assert out.exit_code == 0, out.stderr


DTD_BYPASSES = {
    "utf16-no-bom": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "x">]>'
    '<r a="&e;"/>'.encode("utf-16-le"),
    "utf16-bom": '<!DOCTYPE r [<!ENTITY e "x">]><r a="&e;"/>'.encode("utf-16"),
    "utf7": b'<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-DOCTYPE r+AD4-<r/>',
    "after-64k": b"<?xml version='1.0'?>" + b"\n" * 70000 + b'<!DOCTYPE r [<!ENTITY e "x">]><r/>',
}


@pytest.mark.parametrize("name", sorted(DTD_BYPASSES))
def test_dtd_is_refused_in_any_encoding_at_any_offset(tmp_path: Path, name: str) -> None:
    from ssoctl.saml import spmetadata, xml

    data = DTD_BYPASSES[name]
    with pytest.raises(xml.HostileXMLError):
        xml.parse(data, name)
    with pytest.raises(xml.HostileXMLError):
        spmetadata.read(data, name)


def test_streamed_dtd_after_64k_never_reaches_the_tenant(example: Path, tmp_path: Path) -> None:
    body = (
        b'<?xml version="1.0"?>\n<!--' + b"x" * 70000 + b"-->\n<!DOCTYPE md:EntityDescriptor ["
        b'<!ENTITY acs "https://evil.example/acs">]>\n'
        b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        b'entityID="https://ssoeuro.ringcentral.com"><md:SPSSODescriptor '
        b'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        b'<md:AssertionConsumerService index="0" '
        b'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="&acs;"/>'
        b"</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    path = tmp_path / "md.xml"
    path.write_bytes(body)
    before = snapshot(example.parent)
    out = run_cli("metadata", "import", str(path), "--app", "ringcentral", tenant=example)
    assert out.exit_code == 3 and "DTD" in out.stderr
    assert snapshot(example.parent) == before


def test_superscript_index_is_not_a_crash(tmp_path: Path) -> None:
    body = (
        b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e">'
        b'<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        b'<md:AssertionConsumerService index="\xc2\xb2" '
        b'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://a/acs"/>'
        b"</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    path = tmp_path / "md.xml"
    path.write_bytes(body)
    out = run_cli("metadata", "inspect", str(path), "-f", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["entities"][0]["acs"][0]["index"] is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,x", "http://evil.example/acs"]
)
def test_html_form_posts_only_to_https(example: Path, url: str) -> None:
    text = example.read_text()
    example.write_text(
        text.replace(
            "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]", f"reply_urls: ['{url}']"
        )
    )
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, "--format", "html", "--force", tenant=example,
    )  # fmt: skip
    assert out.exit_code != 0 and out.exit_code != 70
    assert "<form" not in out.stdout


def test_work_caps_refuse_before_building(tmp_path: Path) -> None:
    from ssoctl.saml import xml

    tiny = b"<r>" + b"<a/>" * 2_000_000 + b"</r>"
    with pytest.raises(xml.HostileXMLError, match="tags"):
        xml.parse(tiny, "tiny")
    attrs = b"<r " + b" ".join(b'a%d=""' % i for i in range(500_000)) + b"/>"
    with pytest.raises(xml.HostileXMLError, match="attributes"):
        xml.parse(attrs, "attrs")
    from ssoctl.saml import spmetadata

    stream = (
        b'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        b'<md:EntityDescriptor entityID="e"><md:Extensions>'
        + b"<x/>" * 300_000
        + b"</md:Extensions></md:EntityDescriptor></md:EntitiesDescriptor>"
    )
    with pytest.raises(xml.HostileXMLError, match="inside one entity"):
        spmetadata.read(stream, "aggregate")


# --- the tenant file -------------------------------------------------------------------


def _yaml_cases() -> dict[str, str]:
    head = "version: 1\ntenant: {id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11, domain: c.com}\n"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    return {
        "deep-600": head + "users: " + "[" * 600 + "]" * 600 + "\n",
        "deep-30000": head + "users: " + "[" * 30000 + "]" * 30000 + "\n",
        "alias-bomb": head + bomb,
    }


@pytest.mark.parametrize("case", sorted(_yaml_cases()))
def test_yaml_bombs_are_refused_by_every_command(tmp_path: Path, case: str) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text(_yaml_cases()[case])
    before = tenant.read_bytes()
    for args in (
        ("validate", str(tenant)),
        ("user", "add", "x@c.com"),
        ("app", "list"),
    ):
        started = time.monotonic()
        # A subprocess: a crash in C (the old segfault) must show as a signal, not kill us.
        proc = subprocess.run(
            [sys.executable, "-m", "ssoctl", "--tenant", str(tenant), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 1, (args, proc.returncode, proc.stderr[-500:])
        # Located: `tenant.yaml:L:C` in messages, `tenant.yaml` then `L:C` in a report.
        assert re.search(r"tenant\.yaml(:\d+:\d+|\n\s+\d+:\d+)", proc.stdout + proc.stderr)
        assert "Traceback" not in proc.stderr
        assert time.monotonic() - started < 60  # the old alias bomb ran for 261 s
    assert tenant.read_bytes() == before


def test_symlinked_tenant_stays_a_link(example: Path) -> None:
    real = example.parent / "real-tenant.yaml"
    example.rename(real)
    example.symlink_to(real.name)
    out = run_cli("user", "add", "new.user@contoso.com", tenant=example)
    assert out.exit_code == 0, out.stderr
    assert example.is_symlink() and os.readlink(example) == real.name
    assert "new.user@contoso.com" in real.read_text()
    assert not list(example.parent.glob(".*.lock"))


def test_held_lock_is_named_then_given_up(example: Path) -> None:
    import fcntl

    from ssoctl.tenant import lock

    fd = os.open(example, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    heard: list[str] = []
    try:
        with (
            pytest.raises(Exception) as caught,
            lock.exclusive(example, heard.append, give_up_after=1.5),
        ):
            pass
    finally:
        os.close(fd)
    assert "locked by process" in str(caught.value) and "nothing was changed" in str(caught.value)
    assert heard and "being edited by process" in heard[0]


def test_lock_waits_for_a_short_holder(example: Path) -> None:
    import fcntl

    fd = os.open(example, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    threading.Timer(0.3, lambda: os.close(fd)).start()
    out = run_cli("user", "add", "wait.user@contoso.com", tenant=example)
    assert out.exit_code == 0, out.stderr


def test_read_only_folder_is_exit_3_and_changes_nothing(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a mode 0555 folder answers a non-root user (root ignores modes, so the
    refusal is simulated where the file system would give it)."""
    import tempfile

    folder = example.parent
    before = snapshot(folder)

    def refused(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    out = run_cli("user", "add", "x.y@contoso.com", tenant=example)
    assert out.exit_code == 3 and "Permission denied" in out.stderr
    assert snapshot(folder) == before


@pytest.mark.parametrize("command", ["user-add", "cert-new"])
def test_full_disk_is_exit_3_and_leaves_no_file(
    example: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    folder = example.parent
    before = snapshot(folder)
    real_fsync = os.fsync
    calls = {"n": 0}

    def full(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] >= (3 if command == "cert-new" else 1):  # fail late for cert new
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    args = ("user", "add", "x.y@contoso.com") if command == "user-add" else ("cert", "new")
    out = run_cli(*args, tenant=example)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert out.exit_code == 3, out.stderr
    assert "No space left on device" in out.stderr and "Traceback" not in out.stderr
    assert snapshot(folder) == before


def test_cert_new_rolls_back_when_saving_the_tenant_fails(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys are written first; if the tenant file cannot be saved, they are removed."""
    import ssoctl.tenant.transaction as tenant_module  # where the edit writes

    folder = example.parent
    before = snapshot(folder)

    def refuse(path: Path, data: bytes, mode: int | None = None, **_: object) -> None:
        from ssoctl.errors import OperationError

        raise OperationError("simulated failure")

    monkeypatch.setattr(tenant_module, "write_atomic", refuse)
    out = run_cli("cert", "new", "--name", "next", tenant=example)
    assert out.exit_code == 3
    assert snapshot(folder) == before


def test_names_are_checked_before_any_file(example: Path) -> None:
    folder = example.parent
    before = snapshot(folder)
    for name in ("../d/x", "x\n", "a b"):
        out = run_cli("cert", "new", "--name", name, tenant=example)
        assert out.exit_code == 2, (name, out.stderr)
        assert "--name" in out.stderr
    assert snapshot(folder) == before
    assert not (folder / "d").exists()


def test_names_with_a_trailing_newline_are_schema_errors(example: Path) -> None:
    text = example.read_text().replace("- name: contoso-2026", '- name: "contoso-2026\\n"')
    example.write_text(text)
    out = run_cli("validate", str(example), "--now", NOW)
    assert out.exit_code == 1


def test_certs_folder_is_private_whatever_the_umask(example: Path) -> None:
    import shutil

    shutil.rmtree(example.parent / "certs")
    text = example.read_text()
    example.write_text(text.replace("key: certs/contoso-2026.key", "key: certs/gone.key"))
    old = os.umask(0)
    try:
        out = run_cli("cert", "new", "--name", "fresh", tenant=example)
    finally:
        os.umask(old)
    assert out.exit_code == 0, out.stderr
    assert (example.parent / "certs").stat().st_mode & 0o777 == 0o700
    assert (example.parent / "certs" / "fresh.key").stat().st_mode & 0o777 == 0o600


def test_far_future_now_is_a_usage_error(example: Path) -> None:
    out = run_cli("cert", "new", "--now", "9999-01-01", tenant=example)
    assert out.exit_code == 2 and "9999" in out.stderr


def test_init_force_over_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "tenant.yaml"
    folder.mkdir()
    out = run_cli(
        "init", "--tenant-id", "8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11", "--domain", "c.com",
        "--force", tenant=folder,
    )  # fmt: skip
    assert out.exit_code == 3 and "not a regular file" in out.stderr
    assert folder.is_dir()


@pytest.mark.parametrize("flag", ["--attr", "--name-id-format"])
def test_control_characters_in_options(example: Path, flag: str) -> None:
    value = "role=a\x01b" if flag == "--attr" else "urn:x\x01"
    out = run_cli(
        "assertion", "issue", "--app", "ringcentral", "--user", "B.Simon@contoso.com",
        "--now", NOW, flag, value, tenant=example,
    )  # fmt: skip
    assert out.exit_code in (1, 2), out.stderr
    assert "internal error" not in out.stderr


def test_entity_reference_in_signed_content(example: Path, tmp_path: Path) -> None:
    data = issue(example).replace(b"B.Simon@contoso.com</NameID>", b"&lt;&#x41;&amp;</NameID>", 1)
    out = verify(example, data, tmp_path)
    assert out.exit_code == 1
    undeclared = issue(example).replace(b"B.Simon@contoso.com</NameID>", b"&evil;</NameID>", 1)
    out = verify(example, undeclared, tmp_path)
    assert out.exit_code == 3 and "internal error" not in out.stderr


def test_python_module_entry_point_exists() -> None:
    assert (ROOT / "ssoctl" / "__main__.py").exists()
    assert base64 and copy  # imported for the helpers above


def test_refused_import_keeps_the_previous_sp_certificate(example: Path) -> None:
    """The old cleanup unlinked certs/sp-APP.pem when an import was refused after the
    certificate was written, leaving the tenant file pointing at nothing."""
    metadata = ROOT / "tests" / "data" / "metadata"
    first = run_cli(
        "metadata", "import", str(metadata / "ringcentral-euro.xml"), "--app", "ringcentral",
        "--now", NOW, tenant=example,
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    pem = example.parent / "certs" / "sp-ringcentral.pem"
    assert pem.exists()
    before = snapshot(example.parent)
    # Another region (refused by the gallery rules) with another certificate, which the
    # old code wrote before the refusal and then unlinked.
    other = etree.parse(str(metadata / "ringcentral-us.xml")).getroot()
    contoso = (example.parent / "certs" / "contoso-2026.pem").read_text()
    other.find(f".//{q(DS, 'X509Certificate')}").text = "".join(contoso.splitlines()[1:-1])
    refused_file = example.parent.parent / "us-other-cert.xml"
    refused_file.write_bytes(etree.tostring(other))
    refused = run_cli(
        "metadata", "import", str(refused_file), "--app", "ringcentral", "--now", NOW,
        tenant=example,
    )  # fmt: skip
    assert refused.exit_code == 1, refused.stderr
    assert snapshot(example.parent) == before


def test_signature_errors_carry_no_programmer_advice(example: Path, tmp_path: Path) -> None:
    out = verify(example, issue(example), tmp_path, "--at", "2020-01-01T00:00:00Z")
    assert out.exit_code == 1
    assert "SignatureConfiguration" not in out.stdout
    assert "not yet valid" in out.stdout or "not valid before" in out.stdout


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "huge.json", "certs", "/etc/passwd"])
def test_a_hostile_modeline_schema_is_never_read_past_its_cap(example: Path, target: str) -> None:
    """The modeline's $schema path comes from the tenant file (a pull request): a device,
    a FIFO with no writer, a folder or a huge file must not hang or exhaust validate."""
    folder = example.parent
    if target == "fifo":
        os.mkfifo(folder / "fifo")
    if target == "huge.json":
        with (folder / "huge.json").open("wb") as sparse:
            sparse.truncate(3 * 1024 * 1024 * 1024)  # sparse: 3 GB that costs no disk
    text = example.read_text().replace("$schema=tenant.schema.json", f"$schema={target}", 1)
    example.write_text(text)
    started = time.monotonic()
    out = run_cli("validate", str(example), "--now", NOW, "-f", "json")
    assert time.monotonic() - started < 20
    assert out.exit_code == 0, out.stderr  # a warning, nothing worse
    findings = json.loads(out.stdout)["files"][0]["findings"]
    copies = [f for f in findings if f["rule"] == "schema-copy"]
    assert len(copies) == 1 and copies[0]["severity"] == "warning"

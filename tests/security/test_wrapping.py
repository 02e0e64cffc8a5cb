"""Signature wrapping (XSW1-XSW8), comment injection and hostile XML against
`assertion verify`. Each attack is built from a valid ssoctl response; it must be
rejected, or leave the genuinely signed content as the only content read."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import NOW, run_cli
from tests.security.names import DS, SAML, SAMLP, q

EVIL = "admin@contoso.com"


def issue(tenant: Path, sign: str) -> etree._Element:
    out = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "B.Simon@contoso.com",
        "--now",
        NOW,
        "--sign",
        sign,
        tenant=tenant,
    )
    assert out.exit_code == 0, out.stderr
    return etree.fromstring(out.stdout_bytes)


def evil(assertion: etree._Element, new_id: str = "_evil") -> etree._Element:
    """A copy of the assertion with another identity and no signature."""
    forged = copy.deepcopy(assertion)
    forged.set("ID", new_id)
    for sig in forged.findall(q(DS, "Signature")):
        forged.remove(sig)
    forged.find(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}").text = EVIL
    return forged


def xsw1(root: etree._Element) -> etree._Element:
    # Response signed: a new unsigned Response, the original inside the Signature's Object.
    original = copy.deepcopy(root)
    root.set("ID", "_evil-response")
    assertion = root.find(q(SAML, "Assertion"))
    root.replace(assertion, evil(assertion))
    obj = etree.SubElement(root.find(q(DS, "Signature")), q(DS, "Object"))
    obj.append(original)
    return root


def xsw2(root: etree._Element) -> etree._Element:
    # Like XSW1, the original Response placed as a sibling before the signature.
    original = copy.deepcopy(root)
    root.set("ID", "_evil-response")
    assertion = root.find(q(SAML, "Assertion"))
    root.replace(assertion, evil(assertion))
    root.find(q(DS, "Signature")).addprevious(original)
    return root


def xsw3(root: etree._Element) -> etree._Element:
    # Assertion signed: an evil Assertion before the original.
    assertion = root.find(q(SAML, "Assertion"))
    assertion.addprevious(evil(assertion, assertion.get("ID")))
    return root


def xsw4(root: etree._Element) -> etree._Element:
    # The original Assertion wrapped inside the evil one.
    assertion = root.find(q(SAML, "Assertion"))
    forged = evil(assertion, assertion.get("ID"))
    root.replace(assertion, forged)
    forged.append(assertion)
    return root


def forge_with_signature(root: etree._Element) -> tuple[etree._Element, etree._Element]:
    """Replace the Assertion with an evil one that carries a copy of the genuine
    signature; return that signature and the original Assertion without its own."""
    assertion = root.find(q(SAML, "Assertion"))
    forged = evil(assertion, assertion.get("ID"))
    signature = copy.deepcopy(assertion.find(q(DS, "Signature")))
    forged.insert(1, signature)
    original = copy.deepcopy(assertion)
    original.remove(original.find(q(DS, "Signature")))
    root.replace(assertion, forged)
    return signature, original


def xsw5(root: etree._Element) -> etree._Element:
    # The signature moved into the evil Assertion; the original appended to the Response.
    _signature, original = forge_with_signature(root)
    root.append(original)
    return root


def xsw6(root: etree._Element) -> etree._Element:
    # The evil Assertion carries the signature; the original sits inside the Signature.
    signature, original = forge_with_signature(root)
    signature.append(original)
    return root


def xsw7(root: etree._Element) -> etree._Element:
    # The original inside an Extensions element; the evil Assertion as the visible one.
    assertion = root.find(q(SAML, "Assertion"))
    extensions = etree.Element(q(SAMLP, "Extensions"))
    root.replace(assertion, extensions)
    extensions.append(assertion)
    extensions.addnext(evil(assertion, "_evil"))
    return root


def xsw8(root: etree._Element) -> etree._Element:
    # The evil Assertion with the signature whose Object holds the unsigned original.
    signature, original = forge_with_signature(root)
    etree.SubElement(signature, q(DS, "Object")).append(original)
    return root


ATTACKS: list[tuple[str, str, Callable[[etree._Element], etree._Element]]] = [
    ("XSW1", "response", xsw1),
    ("XSW2", "response", xsw2),
    ("XSW3", "assertion", xsw3),
    ("XSW4", "assertion", xsw4),
    ("XSW5", "assertion", xsw5),
    ("XSW6", "assertion", xsw6),
    ("XSW7", "assertion", xsw7),
    ("XSW8", "assertion", xsw8),
]


def verify(tenant: Path, data: bytes, tmp_path: Path):
    path = tmp_path / "attack.xml"
    path.write_bytes(data)
    return run_cli(
        "assertion",
        "verify",
        str(path),
        "--app",
        "ringcentral",
        "--at",
        NOW,
        "-f",
        "json",
        tenant=tenant,
    )


@pytest.mark.parametrize(("name", "sign", "attack"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_signature_wrapping_is_rejected(
    example: Path,
    tmp_path: Path,
    name: str,
    sign: str,
    attack: Callable[[etree._Element], etree._Element],
):
    baseline = verify(example, etree.tostring(issue(example, sign)), tmp_path)
    assert baseline.exit_code == 0, baseline.stdout
    attacked = attack(issue(example, sign))
    assert EVIL.encode() in etree.tostring(attacked)
    out = verify(example, etree.tostring(attacked), tmp_path)
    doc = json.loads(out.stdout)
    if out.exit_code == 0:  # accepted: only the genuinely signed identity may be read
        assert doc["summary"]["name_id"] == "B.Simon@contoso.com", name
    else:
        assert out.exit_code == 1
        assert EVIL not in json.dumps(doc["summary"]), name


def test_comment_injection_does_not_change_identity(example: Path, tmp_path: Path):
    """A comment inside the NameID must not cut the identity short: exclusive C14N
    ignores comments, so the signature still verifies, and the value read is whole."""
    data = etree.tostring(issue(example, "assertion"))
    injected = data.replace(b">B.Simon@contoso.com</", b">B.Simon@contoso.com<!---->.evil.com</", 1)
    out = verify(example, injected, tmp_path)
    doc = json.loads(out.stdout)
    # the signed value was B.Simon@contoso.com; with the comment the text differs, so the
    # digest breaks -- or, if it verified, the identity read must be the whole text
    if out.exit_code == 0:
        assert doc["summary"]["name_id"] == "B.Simon@contoso.com.evil.com"
    else:
        assert not doc["summary"] or doc["summary"]["name_id"] != "B.Simon@contoso.com"


def test_comment_inside_signed_value_reads_whole_text(example: Path, tmp_path: Path):
    """Sign a NameID that already contains a comment (as an attacker registering
    admin@contoso.com.evil.com would): the reader must see the full value."""
    run_cli(
        "user", "add", "admin@contoso.com.evil.com", "--mail", "admin@contoso.com.evil.com",
        tenant=example,
    )  # fmt: skip
    run_cli("app", "assign", "ringcentral", "admin@contoso.com.evil.com", tenant=example)
    out = run_cli(
        "assertion",
        "issue",
        "--app",
        "ringcentral",
        "--user",
        "admin@contoso.com.evil.com",
        "--now",
        NOW,
        tenant=example,
    )
    data = out.stdout_bytes.replace(
        b">admin@contoso.com.evil.com</", b">admin@contoso.com<!---->.evil.com</", 1
    )
    result = verify(example, data, tmp_path)
    assert result.exit_code == 0, result.stdout  # comments are outside exclusive C14N
    assert json.loads(result.stdout)["summary"]["name_id"] == "admin@contoso.com.evil.com"


HOSTILE = {
    "xxe-file": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;'
    b"</samlp:Response>",
    "xxe-url": b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>',
    "billion-laughs": b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>',
    "external-dtd": b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
    "deep": b"<a>" * 5000 + b"</a>" * 5000,
    "not-xml": b"hello, this is not XML",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused(tmp_path: Path, name: str):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(HOSTILE[name])
    out = run_cli("assertion", "verify", str(path), "--trust-embedded-cert")
    assert out.exit_code == 3, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert "root:" not in out.stdout + out.stderr  # no /etc/passwd content


def test_oversized_input_is_refused(tmp_path: Path):
    path = tmp_path / "big.xml"
    path.write_bytes(b"<r>" + b"x" * (11 * 1024 * 1024) + b"</r>")
    out = run_cli("assertion", "decode", str(path))
    assert out.exit_code == 3 and "limit" in out.stderr

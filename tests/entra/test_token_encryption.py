"""Token encryption through Graph (issue 25): export reads the application's Encrypt
keyCredential named by tokenEncryptionKeyId into `encryption:`, plan reports a different
certificate, apply uploads it and points tokenEncryptionKeyId at it, then no drift."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from cryptography.hazmat.primitives import serialization

from ssoctl import certs
from ssoctl import tenant as wing
from tests.entra.conftest import Live, Run, make_der
from tests.entra.graphtwin import READ_ALL
from tests.entra.test_apply import WRITE


def test_export_reads_the_encryption_certificate_in_use(run: Run, live: Live) -> None:
    der = make_der(700, cn="sp-encryption")
    live.twin.add_encryption_certificate(live.wiki, make_der(600, cn="old"), active=False)
    live.twin.add_encryption_certificate(live.wiki, der, active=True)
    assert run("entra", "export", "--all").exit_code == 0
    wiki = wing.load(run.tenant).model.apps["wiki"]
    assert wiki.encryption is not None
    written = (run.folder / wiki.encryption.certificate).read_bytes()
    assert certs.parse_certificate(written, "x").public_bytes(serialization.Encoding.DER) == der
    assert wing.load(run.tenant).model.apps["ringcentral"].encryption is None
    plan = run("entra", "plan", "--format", "json")
    assert plan.exit_code == 0, plan.output  # no drift after export


def test_plan_and_apply_the_files_encryption_certificate(run: Run, live: Live) -> None:
    live.twin.knobs.roles = [*READ_ALL, *WRITE]
    assert run("entra", "export", "--all").exit_code == 0
    _key, cert = certs.generate(now=dt.datetime.now(dt.timezone.utc))
    (run.folder / "certs" / "sp-enc.pem").write_bytes(certs.cert_pem(cert))
    text = run.tenant.read_text().replace(
        "  wiki:\n", "  wiki:\n    encryption: {certificate: certs/sp-enc.pem}\n", 1
    )
    run.tenant.write_text(text)
    plan = run("entra", "plan", "--format", "json")
    assert plan.exit_code == 1
    wiki = next(a for a in json.loads(plan.stdout)["apps"] if a["name"] == "wiki")
    assert [d["field"] for d in wiki["differences"]] == ["encryption"]
    live.twin.writes.clear()
    applied = run("entra", "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    application = live.twin.application_of(live.wiki)
    der = cert.public_bytes(serialization.Encoding.DER)
    [encrypt] = [k for k in application["keyCredentials"] if k["usage"] == "Encrypt"]
    assert base64.b64decode(encrypt["key"]) == der
    assert application["tokenEncryptionKeyId"] == encrypt["keyId"]
    assert [m for m, _ in live.twin.writes] == ["PATCH", "PATCH"]
    again = run("entra", "plan")
    assert again.exit_code == 0, again.output
    assert hashlib.sha1(der).hexdigest().upper() in applied.output


def test_apply_turns_encryption_off_when_the_file_has_none(run: Run, live: Live) -> None:
    live.twin.knobs.roles = [*READ_ALL, *WRITE]
    live.twin.add_encryption_certificate(live.wiki, make_der(700, cn="sp-encryption"), active=True)
    assert run("entra", "export", "--all").exit_code == 0
    lines = [
        ln for ln in run.tenant.read_text().splitlines(keepends=True) if "encryption:" not in ln
    ]
    run.tenant.write_text("".join(lines))
    assert run("entra", "apply", "--auto-approve").exit_code == 0
    assert live.twin.application_of(live.wiki)["tokenEncryptionKeyId"] is None
    assert run("entra", "plan").exit_code == 0

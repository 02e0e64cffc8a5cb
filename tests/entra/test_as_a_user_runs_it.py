"""`ssoctl entra` as a user runs it against a local Graph: the twin on 127.0.0.1 over
TLS, reached through AZURE_AUTHORITY_HOST and SSOCTL_GRAPH_URL, trusted through
SSL_CERT_FILE, in a separate process (no monkeypatching)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.entra.conftest import TENANT_ID, build_twin
from tests.entra.graphtwin import serve_tls

ROOT = Path(__file__).resolve().parents[2]


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "twin.pem", folder / "twin.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_export_and_plan_against_a_local_graph_over_tls(tmp_path: Path) -> None:
    pytest.importorskip("msal", reason="the entra extra (msal) is not installed")
    live = build_twin()
    cert_file, key_file = _certificate(tmp_path)
    origin, server = serve_tls(live.twin, str(cert_file), str(key_file))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "SSOCTL_"))}
        env.update(
            AZURE_CLIENT_ID="11111111-2222-3333-4444-555555555555",
            AZURE_CLIENT_SECRET="twin-client-secret-7Q~x",
            AZURE_TENANT_ID=TENANT_ID,
            AZURE_AUTHORITY_HOST=origin,
            SSOCTL_GRAPH_URL=origin,
            SSL_CERT_FILE=str(cert_file),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
        )
        tenant = tmp_path / "tenant.yaml"

        def ssoctl(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "ssoctl", "-t", str(tenant), *args]
            return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

        made = ssoctl("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com")
        assert made.returncode == 0, made.stderr
        status = ssoctl("entra", "status")
        assert status.returncode == 0, status.stderr
        assert f"Graph at:    {origin}" in status.stdout
        assert "override:    $SSOCTL_GRAPH_URL is set" in status.stdout
        exported = ssoctl("entra", "export", "--all")
        assert exported.returncode == 0, exported.stderr
        assert re.search(r"exported 3 app\(s\)", exported.stderr)
        planned = ssoctl("entra", "plan", "--format", "json")
        assert planned.returncode == 0, planned.stderr + planned.stdout
        assert not json.loads(planned.stdout)["drift"]
        # Without SSL_CERT_FILE the twin's certificate is not trusted: a clear exit 3.
        env.pop("SSL_CERT_FILE")
        refused = ssoctl("entra", "plan")
        assert refused.returncode == 3, refused.stderr
        assert "internal error" not in refused.stderr
        assert "twin-client-secret" not in refused.stderr + refused.stdout
    finally:
        server.shutdown()

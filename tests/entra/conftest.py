"""Fixtures for `ssoctl entra`: a Graph twin holding RingCentral (euro), Mitel Connect
(CloudLink, several certificates, one inactive) and a custom app with claims, reached
in-process through httpx.WSGITransport, and a tenant file made by `ssoctl init`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ssoctl import certs
from ssoctl.cli.main import app as cli
from tests.entra.graphtwin import GraphTwin

pytest.importorskip("msal", reason="the entra extra (msal) is not installed")

TENANT_ID = "6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b"
CLAIMS_NS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"


def make_der(days: int, cn: str = "Microsoft Azure Federated SSO Certificate") -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    now = dt.datetime.now(dt.timezone.utc)
    _, cert = certs.generate(
        now=now - dt.timedelta(days=1), subject=f"CN={cn}", not_after=now + dt.timedelta(days=days)
    )
    return cert.public_bytes(Encoding.DER)


@dataclass
class Live:
    twin: GraphTwin
    ringcentral: str  # service principal ids
    mitel: str
    wiki: str
    thumbprints: dict[str, list[str]]


def build_twin() -> Live:
    twin = GraphTwin(TENANT_ID)
    alice = twin.add_user(
        "alice@contoso.com", displayName="Alice Adams", givenName="Alice", surname="Adams"
    )
    bob = twin.add_user(
        "bob@contoso.com", displayName="Bob Brown", givenName="Bob", surname="Brown"
    )
    carol = twin.add_user("carol@contoso.com", displayName="Carol Chu", mail=None)
    sales = twin.add_group("Sales Team", [bob, carol])
    rc, _ = twin.add_saml_app(
        "RingCentral",
        identifiers=["https://ssoeuro.ringcentral.com"],
        reply_urls=["https://ssoeuro.ringcentral.com/sp/ACS.saml2"],
        emails=["it@contoso.com"],
    )
    twin.set_claims(
        rc,
        ("userprincipalname", "emailAddress"),
        {
            f"{CLAIMS_NS}/givenname": "givenname",
            f"{CLAIMS_NS}/surname": "surname",
            f"{CLAIMS_NS}/emailaddress": "mail",
            f"{CLAIMS_NS}/name": "userprincipalname",
        },
    )
    rc_thumb = twin.add_signing_certificate(
        rc, make_der(1000), end="2029-12-01T00:00:00Z", active=True
    )
    twin.assign(rc, alice, "User")
    twin.assign(rc, sales, "Group")
    mitel, _ = twin.add_saml_app(
        "Mitel Connect",
        identifiers=["https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001"],
        reply_urls=["https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/consume"],
        login_url="https://accounts.mitel.io",
        logout_url="https://accounts.mitel.io/logout",
    )
    m1 = twin.add_signing_certificate(mitel, make_der(900), end="2029-06-01T00:00:00Z", active=True)
    m2 = twin.add_signing_certificate(
        mitel, make_der(1000), end="2029-12-01T00:00:00Z", active=False
    )
    twin.assign(mitel, alice, "User")
    wiki, _ = twin.add_saml_app(
        "Wiki",
        identifiers=["https://wiki.contoso.com"],
        reply_urls=["https://wiki.contoso.com/saml/acs", "https://wiki.contoso.com/saml/acs2"],
        relay_state="/home",
        reply_index={
            "https://wiki.contoso.com/saml/acs2": 0,
            "https://wiki.contoso.com/saml/acs": 1,
        },
    )
    twin.set_claims(wiki, ("mail", "persistent"), {"urn:wiki:email": "mail"})
    w1 = twin.add_signing_certificate(wiki, make_der(800), end="2028-12-01T00:00:00Z", active=True)
    twin.assign(wiki, bob, "User")
    return Live(twin, rc, mitel, wiki, {"rc": [rc_thumb], "mitel": [m1, m2], "wiki": [w1]})


@pytest.fixture
def live() -> Live:
    return build_twin()


class Run:
    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.env = {
            "AZURE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
            "AZURE_CLIENT_SECRET": "twin-client-secret-7Q~x",
            "XDG_CONFIG_HOME": str(folder / "config"),
        }
        for name in (
            "AZURE_TENANT_ID",
            "AZURE_AUTHORITY_HOST",
            "SSOCTL_GRAPH_URL",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_FEDERATED_TOKEN_FILE",
        ):
            monkeypatch.delenv(name, raising=False)

    @property
    def tenant(self) -> Path:
        return self.folder / "tenant.yaml"

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Any:
        runner = CliRunner()
        merged = {**self.env, **(env or {})}
        for key, value in merged.items():
            self.monkeypatch.setenv(key, value)
        return runner.invoke(cli, ["-t", str(self.tenant), *args], catch_exceptions=False)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: Live) -> Run:
    """The CLI against a fresh tenant file (ssoctl init) and the twin, in-process."""
    import ssoctl.entra.graph as graph
    import ssoctl.entra.transport as transport

    monkeypatch.setattr(
        transport, "make_client", lambda: httpx.Client(transport=httpx.WSGITransport(app=live.twin))
    )
    waits: list[float] = []
    elapsed = [0.0]

    def sleep(seconds: float) -> None:  # a clock that moves only when ssoctl waits
        waits.append(seconds)
        elapsed[0] += seconds

    monkeypatch.setattr(graph, "sleep", sleep)
    monkeypatch.setattr(graph, "clock", lambda: elapsed[0])
    runner = Run(tmp_path, monkeypatch)
    result = runner("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com")
    assert result.exit_code == 0, result.output
    runner.waits = waits  # type: ignore[attr-defined]
    return runner

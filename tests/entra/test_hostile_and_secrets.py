"""A hostile or failing Graph, and secrets: each failure is one clear line, exit 3, the
tenant file unchanged; no secret or token ever reaches the output, even with --debug."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.entra.conftest import TENANT_ID, Live, Run
from tests.entra.graphtwin import Knobs

SECRET = "twin-client-secret-7Q~x"


def _tokens(live: Live) -> list[str]:
    return sorted(live.twin.tokens)


def _clean(output: str, live: Live, debug: bool = False) -> None:
    assert SECRET not in output
    for token in _tokens(live):
        assert token not in output and token.split(".")[1] not in output
    assert debug or "Traceback" not in output


def _knobs(**values: object) -> Callable[[Knobs], None]:
    def change(knobs: Knobs) -> None:
        for name, value in values.items():
            setattr(knobs, name, value)

    return change


HOSTILE = {
    "oversized page": _knobs(oversized_page=40 * 1024 * 1024),
    "next link to another host": _knobs(page_size=1, next_link_origin="https://evil.example"),
    "not JSON": _knobs(non_json=True),
    "429 storm past the deadline": _knobs(throttle_every=1, retry_after="50"),
}
MESSAGES = {
    "oversized page": "larger than 32 MB",
    "next link to another host": "points to another origin (https://evil.example)",
    "not JSON": "a body that is not JSON",
    "429 storm past the deadline": "deadline would pass",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("debug", [False, True])
def test_hostile_graph_fails_cleanly_and_changes_nothing(
    run: Run, live: Live, case: str, debug: bool
) -> None:
    before = run.tenant.read_text()
    HOSTILE[case](live.twin.knobs)
    args = (["--debug"] if debug else []) + ["entra", "export", "--all"]
    result = run(*args)
    assert result.exit_code == 3, result.output
    assert MESSAGES[case] in result.output
    assert "internal error" not in result.output
    assert run.tenant.read_text() == before
    _clean(result.output, live, debug)
    planned = run(*(["--debug"] if debug else []), "entra", "plan")
    assert planned.exit_code == 3 and MESSAGES[case] in planned.output


def test_certificates_that_do_not_parse_are_warned_and_skipped(run: Run, live: Live) -> None:
    live.twin.knobs.bad_certificate = True
    result = run("entra", "export", "--all")
    assert result.exit_code == 0, result.output
    assert "the certificate does not parse; skipped" in result.output


def test_throttling_and_a_5xx_are_retried_after_retry_after(run: Run, live: Live) -> None:
    live.twin.knobs.throttle_every = 3
    live.twin.knobs.retry_after = "7"
    live.twin.knobs.fail_once = {"/v1.0/servicePrincipals"}
    result = run("entra", "export", "--all")
    assert result.exit_code == 0, result.output
    assert 7.0 in run.waits  # type: ignore[attr-defined]
    assert len(run.waits) >= 2  # type: ignore[attr-defined]


def test_graph_errors_name_code_request_id_and_fix(run: Run, live: Live) -> None:
    # Graph refuses what the token claims (a consent revoked since): only Graph can tell
    live.twin.knobs.refuse = {"/users"}
    live.twin.knobs.error_message = f"Insufficient privileges; your secret is {SECRET}"
    result = run("entra", "export", "--all")
    assert result.exit_code == 3, result.output
    assert "Graph refused GET /users: 403 Authorization_RequestDenied" in result.output
    assert "(request-id " in result.output
    assert "grant ssoctl's app registration User.Read.All" in result.output
    _clean(result.output, live)


def test_a_missing_permission_is_named_before_any_graph_call(run: Run, live: Live) -> None:
    live.twin.knobs.roles = ["Application.Read.All"]
    result = run("entra", "plan")
    assert result.exit_code == 3
    assert (
        "the token lacks Policy.Read.ApplicationConfiguration, User.Read.All, GroupMember.Read.All"
    ) in result.output
    assert "admin consent" in result.output
    assert not [e for e in live.twin.log if e[1].startswith(("/v1.0", "/beta"))]
    status = run("entra", "status")
    assert status.exit_code == 0
    assert "entra plan: needs Policy.Read.ApplicationConfiguration" in status.stdout


def test_wrong_secret_is_a_clear_error_without_the_secret(run: Run, live: Live) -> None:
    wrong = "wrong-secret-value-123"
    result = run("--debug", "entra", "status", env={"AZURE_CLIENT_SECRET": wrong})
    assert result.exit_code == 3
    assert "AADSTS7000215" in result.output and "make a new one" in result.output
    assert wrong not in result.output


def test_tenant_mismatch_is_a_usage_error_naming_both(run: Run) -> None:
    other = "00000000-1111-2222-3333-444444444444"
    result = run("entra", "plan", env={"AZURE_TENANT_ID": other})
    assert result.exit_code == 2
    assert other in result.output and TENANT_ID in result.output


def test_not_signed_in(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_CLIENT_ID", raising=False)
    run.env.pop("AZURE_CLIENT_ID")
    result = run("entra", "plan")
    assert result.exit_code == 2 and "not signed in to Entra" in result.output


@pytest.mark.parametrize("value", ["http://127.0.0.1:8443", "https://127.0.0.1/v1.0", "ftp://x"])
def test_overrides_must_be_https_origins(run: Run, value: str, monkeypatch) -> None:
    for variable in ("AZURE_AUTHORITY_HOST", "SSOCTL_GRAPH_URL"):
        monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
        result = run("entra", "status", env={variable: value})
        assert result.exit_code == 2, result.output
        assert variable in result.output


def test_status_names_identity_cloud_and_commands(run: Run, live: Live) -> None:
    result = run("entra", "status")
    assert result.exit_code == 0, result.output
    assert f"tenant:      {TENANT_ID} (public cloud)" in result.stdout
    assert "entra export: allowed" in result.stdout and "entra plan: allowed" in result.stdout
    assert "Application.Read.All" in result.stdout
    _clean(result.output, live)


def test_claims_mapping_policy_and_usgov_are_reported_not_guessed(run: Run, live: Live) -> None:
    live.twin.mapping_policies[live.wiki] = [
        {"id": "0f7e6b1a-0000-4000-8000-000000000001", "displayName": "Legacy claims"}
    ]
    result = run("entra", "export", "--all")
    assert result.exit_code == 0, result.output
    assert "portal claims are ignored for this app" in result.output
    from ssoctl import tenant as wing

    # the file's claims for the app are kept as they were (none: Entra's defaults)
    assert wing.load(run.tenant).model.apps["wiki"].claims is None


def test_certificate_credential_and_federated_token(run: Run, live: Live, tmp_path) -> None:
    import datetime as dt

    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
        pkcs12,
    )

    from ssoctl import certs

    key, cert = certs.generate(now=dt.datetime.now(dt.timezone.utc))
    pem = tmp_path / "client.pem"
    pem.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        + cert.public_bytes(Encoding.PEM)
    )
    base = {"AZURE_CLIENT_SECRET": ""}
    result = run("entra", "status", env={**base, "AZURE_CLIENT_CERTIFICATE_PATH": str(pem)})
    assert result.exit_code == 0, result.output
    assert f"certificate {pem}" in result.stdout
    pfx = tmp_path / "client.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"x", key, cert, None, BestAvailableEncryption(b"pfx-pass-123")
        )
    )
    result = run(
        "--debug",
        "entra",
        "status",
        env={
            **base,
            "AZURE_CLIENT_CERTIFICATE_PATH": str(pfx),
            "AZURE_CLIENT_CERTIFICATE_PASSWORD": "wrong-pass-456",
        },
    )
    assert result.exit_code == 3 and "wrong-pass-456" not in result.output
    result = run(
        "entra",
        "status",
        env={
            **base,
            "AZURE_CLIENT_CERTIFICATE_PATH": str(pfx),
            "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pfx-pass-123",
        },
    )
    assert result.exit_code == 0, result.output
    token_file = tmp_path / "federated.jwt"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOngifQ.c2ln")
    result = run(
        "entra",
        "status",
        env={
            **base,
            "AZURE_CLIENT_CERTIFICATE_PATH": "",
            "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
        },
    )
    assert result.exit_code == 0, result.output
    assert "federated token" in result.stdout and "eyJzdWIiOiJyZXBvOngifQ" not in result.output
    both = run("entra", "status", env={"AZURE_FEDERATED_TOKEN_FILE": str(token_file)})
    assert both.exit_code == 2 and "are both set" in both.output


def test_device_login_writes_a_private_cache_and_logout_removes_it(
    run: Run, live: Live, monkeypatch
) -> None:
    run.env.pop("AZURE_CLIENT_SECRET")
    monkeypatch.delenv("AZURE_CLIENT_SECRET", raising=False)
    client = run.env.pop("AZURE_CLIENT_ID")
    monkeypatch.delenv("AZURE_CLIENT_ID", raising=False)
    result = run("entra", "login", "--client-id", client)
    assert result.exit_code == 0, result.output
    assert "enter the code TWIN-CODE" in result.output
    assert "signed in as admin@contoso.com" in result.output
    cache = run.folder / "config" / "ssoctl" / "entra" / f"{TENANT_ID}.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700
    status = run("entra", "status")
    assert status.exit_code == 0, status.output
    assert "device-code login" in status.stdout and "admin@contoso.com" in status.stdout
    assert run("entra", "logout").exit_code == 0
    assert not cache.exists()
    assert run("entra", "status").exit_code == 2


def test_a_value_with_a_hidden_line_break_is_refused_and_nothing_written(
    run: Run, live: Live
) -> None:
    """Graph's strings go into YAML: the tenant file's gate (textchars) refuses what a
    reviewer would not see, and the export stops with exit 3, the file as it was."""
    live.twin.application_of(live.wiki)["identifierUris"] = ["https://wiki.contoso.com\u2028x"]
    before = run.tenant.read_text()
    result = run("entra", "export", "--all")
    assert result.exit_code == 3, result.output
    assert "cannot be written into tenant.yaml" in result.output
    assert run.tenant.read_text() == before
    assert not list((run.folder / "certs").glob("wiki-*"))


def test_usgov_uses_its_own_hosts_and_reports_claims_as_not_read(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    import ssoctl.entra.transport as transport
    from tests.entra.conftest import TENANT_ID, Run, build_twin

    live = build_twin()
    live.twin.cloud = "usgov"
    live.twin.knobs.no_claims_api = True
    hosts: list[str] = []

    def client() -> httpx.Client:
        def record(request: httpx.Request) -> None:
            hosts.append(request.url.host)

        return httpx.Client(
            transport=httpx.WSGITransport(app=live.twin), event_hooks={"request": [record]}
        )

    monkeypatch.setattr(transport, "make_client", client)
    run = Run(tmp_path, monkeypatch)
    made = run("init", "--tenant-id", TENANT_ID, "--domain", "contoso.com", "--cloud", "usgov")
    assert made.exit_code == 0, made.output
    result = run("entra", "export", "--all")
    assert result.exit_code == 0, result.output
    assert "claims not read: the usgov cloud has no claimsPolicy API" in result.output
    assert set(hosts) == {"login.microsoftonline.us", "graph.microsoft.us"}
    assert not [p for m, p in live.twin.log if p.startswith("/beta")]
    planned = run("entra", "plan", "--format", "json")
    assert planned.exit_code == 0, planned.output

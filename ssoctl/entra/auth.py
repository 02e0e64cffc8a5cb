"""Signing in to Graph with msal: app-only credentials from the environment, named as the
Azure SDKs name them, or the admin's own device-code login (`ssoctl entra login`).

Secrets stay in this module's objects: they are never formatted into a message, and every
message that quotes msal's answer goes through `redact` first (entra-graph.md A4)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssoctl.errors import OperationError, UsageError

if TYPE_CHECKING:
    import httpx

    from ssoctl.entra.clouds import Endpoints

MAX_SECRET_FILE = 64 * 1024
ENV_NAMES = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TENANT_ID",
)


@dataclass(frozen=True)
class Credential:
    """How ssoctl signs in. `secrets` are the strings no output may contain."""

    kind: str  # secret | certificate | federated | login
    client_id: str
    description: str  # for `entra status`: never holds a secret
    msal_credential: Any = field(repr=False, default=None)
    secrets: tuple[str, ...] = field(repr=False, default=())


def check_tenant(environ: Mapping[str, str], tenant_id: str, tenant_file: str) -> None:
    """AZURE_TENANT_ID, when set, must be the file's tenant: a token for one tenant must
    never be used to export into another's file."""
    given = (environ.get("AZURE_TENANT_ID") or "").strip()
    if given and given.lower() != tenant_id.lower():
        raise UsageError(
            f"$AZURE_TENANT_ID is {given} but {tenant_file} is tenant {tenant_id}.",
            hint="sign in to the file's tenant, or use the tenant file of the tenant you meant.",
        )


def from_environment(environ: Mapping[str, str]) -> Credential | None:
    """App-only credentials, or None when AZURE_CLIENT_ID is not set."""
    client_id = (environ.get("AZURE_CLIENT_ID") or "").strip()
    if not client_id:
        return None
    secret = environ.get("AZURE_CLIENT_SECRET")
    cert_path = environ.get("AZURE_CLIENT_CERTIFICATE_PATH")
    token_file = environ.get("AZURE_FEDERATED_TOKEN_FILE")
    chosen = [
        n
        for n, v in (
            ("AZURE_CLIENT_SECRET", secret),
            ("AZURE_CLIENT_CERTIFICATE_PATH", cert_path),
            ("AZURE_FEDERATED_TOKEN_FILE", token_file),
        )
        if v
    ]
    if len(chosen) > 1:
        raise UsageError(
            f"{' and '.join('$' + c for c in chosen)} are both set; ssoctl would not know "
            "which credential to use.",
            hint="set exactly one of them.",
        )
    if secret:
        return Credential(
            "secret", client_id, f"client secret of app {client_id}", secret, (secret,)
        )
    if cert_path:
        password = environ.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None
        cred, secrets = _certificate_credential(Path(cert_path), password)
        return Credential(
            "certificate",
            client_id,
            f"certificate {cert_path} of app {client_id}",
            cred,
            secrets,
        )
    if token_file:

        def assertion() -> str:
            # Read on every sign-in: the platform rotates the file (workload identity).
            text = _read_small(Path(token_file), "$AZURE_FEDERATED_TOKEN_FILE").strip()
            if not text:
                raise OperationError(f"$AZURE_FEDERATED_TOKEN_FILE {token_file} is empty.")
            return text

        first = assertion()
        return Credential(
            "federated",
            client_id,
            f"federated token of app {client_id} (no secret)",
            {"client_assertion": assertion},
            (first,),
        )
    raise UsageError(
        "$AZURE_CLIENT_ID is set, but no credential for it.",
        hint="set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or "
        "AZURE_FEDERATED_TOKEN_FILE (docs/entra.md), or unset AZURE_CLIENT_ID to use "
        "`ssoctl entra login`.",
    )


def _read_small(path: Path, what: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise OperationError(f"cannot read {what} {path}: {exc.strerror}.") from None
    if len(data) > MAX_SECRET_FILE:
        raise OperationError(f"{what} {path} is larger than {MAX_SECRET_FILE} bytes.")
    return data.decode("utf-8", "replace")


def _certificate_credential(path: Path, password: str | None) -> tuple[Any, tuple[str, ...]]:
    """msal's certificate credential (private key PEM, SHA-1 thumbprint, public certificate
    for subject-name/issuer auth) from a PEM with key and certificate, or a PFX."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OperationError(
            f"cannot read $AZURE_CLIENT_CERTIFICATE_PATH {path}: {exc.strerror}."
        ) from None
    secret_password = password.encode() if password else None
    key: Any
    cert: x509.Certificate | None
    try:
        if b"-----BEGIN" in raw:
            key = serialization.load_pem_private_key(raw, secret_password)
            cert = x509.load_pem_x509_certificate(raw)
        else:
            key, cert, _ = pkcs12.load_key_and_certificates(raw, secret_password)
    except (ValueError, TypeError):
        raise OperationError(
            f"$AZURE_CLIENT_CERTIFICATE_PATH {path} is not a PEM holding a private key and "
            "a certificate, nor a PFX that opens with $AZURE_CLIENT_CERTIFICATE_PASSWORD.",
            hint="check the file and the password variable.",
        ) from None
    if key is None or cert is None:
        raise OperationError(f"{path} lacks a private key or a certificate.")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    credential = {
        "private_key": key_pem,
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),
        "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }
    return credential, tuple(s for s in (key_pem, password) if s)


# Device-code login -------------------------------------------------------------------


def config_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ssoctl" / "entra"


def login_file(environ: Mapping[str, str], tenant_id: str) -> Path:
    return config_dir(environ) / f"{tenant_id.lower()}.json"


def _write_private(path: Path, data: bytes) -> None:
    """0600 in a 0700 folder, written atomically: the file holds refresh tokens."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _read_login(path: Path) -> dict[str, Any] | None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
        raise OperationError(
            f"{path} is not a private regular file (mode {stat.S_IMODE(info.st_mode):o}).",
            hint="remove it (`ssoctl entra logout`) and sign in again.",
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise OperationError(
            f"{path} cannot be read.", hint="`ssoctl entra logout`, then log in."
        ) from None
    return data if isinstance(data, dict) else None


def from_login(environ: Mapping[str, str], tenant_id: str) -> Credential | None:
    data = _read_login(login_file(environ, tenant_id))
    if not data or not isinstance(data.get("client_id"), str):
        return None
    return Credential(
        "login",
        data["client_id"],
        f"device-code login with app {data['client_id']}",
        data,
        (),
    )


def logout(environ: Mapping[str, str], tenant_id: str) -> bool:
    path = login_file(environ, tenant_id)
    if path.is_symlink() or path.exists():
        path.unlink()
        return True
    return False


@dataclass
class TokenSource:
    """A Graph access token for the endpoints, from the credential; msal caches it."""

    endpoints: Endpoints
    credential: Credential
    http: httpx.Client
    environ: Mapping[str, str]
    _app: Any = field(default=None, repr=False)

    def token(self) -> str:
        import httpx
        from msal.exceptions import MsalError

        try:
            result = self._acquire()
        except (MsalError, httpx.HTTPError, ValueError) as exc:
            # msal raises when Entra's answers are not what it expects (a twin, a proxy):
            # the type is enough; its text may quote a request.
            raise OperationError(
                f"signing in to Entra ({self.endpoints.authority_host}) failed: "
                f"{type(exc).__name__}.",
                hint="check tenant.cloud, $AZURE_AUTHORITY_HOST and the network.",
            ) from None
        if not isinstance(result, dict) or "access_token" not in result:
            raise self._failure(result)
        token = str(result["access_token"])
        return token

    def secrets(self) -> tuple[str, ...]:
        return self.credential.secrets

    def _acquire(self) -> Any:
        import msal

        from ssoctl.entra.transport import MsalHttp

        scopes = [self.endpoints.scope]
        # An overridden host is a twin msal does not know: skip its instance discovery
        # (a call to login.microsoftonline.com) and trust the host given.
        discovery = not self.endpoints.overridden
        if self.credential.kind == "login":
            cache = msal.SerializableTokenCache()
            cache.deserialize(json.dumps(self.credential.msal_credential.get("cache") or {}))
            app = msal.PublicClientApplication(
                self.credential.client_id,
                authority=self.endpoints.authority,
                http_client=MsalHttp(self.http),
                token_cache=cache,
                instance_discovery=discovery,
            )
            accounts = app.get_accounts()
            result = app.acquire_token_silent(scopes, account=accounts[0]) if accounts else None
            if result is None:
                raise UsageError(
                    "the saved login has expired.", hint="run `ssoctl entra login` again."
                )
            if cache.has_state_changed:
                saved = dict(self.credential.msal_credential)
                saved["cache"] = json.loads(cache.serialize())
                _write_private(
                    login_file(self.environ, self.endpoints.tenant_id),
                    json.dumps(saved).encode(),
                )
            return result
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self.credential.client_id,
                authority=self.endpoints.authority,
                client_credential=self.credential.msal_credential,
                http_client=MsalHttp(self.http),
                instance_discovery=discovery,
            )
        return self._app.acquire_token_for_client(scopes=scopes)

    def _failure(self, result: Any) -> OperationError:
        error = str(result.get("error", "no token")) if isinstance(result, dict) else "no token"
        text = result.get("error_description", "") if isinstance(result, dict) else ""
        first = redact(str(text).splitlines()[0] if text else "", self.secrets())[:400]
        first = first.rstrip(". ")
        return OperationError(
            f"signing in to Entra ({self.endpoints.authority_host}) failed: {error}"
            + (f": {first}" if first else "")
            + ".",
            hint=_login_fix(error, first),
        )


def _login_fix(error: str, text: str) -> str:
    if "AADSTS7000215" in text or "AADSTS7000222" in text:
        return "the client secret is wrong or expired: make a new one in the app registration."
    if "AADSTS700016" in text:
        return "the application (AZURE_CLIENT_ID) is not registered in this tenant."
    if "AADSTS90002" in text or "AADSTS90002" in error:
        return "the tenant ID is wrong, or in another cloud (tenant.cloud)."
    if "AADSTS1002012" in text:
        return "the app is registered in another cloud than tenant.cloud says."
    return "check the app registration and its credential (docs/entra.md)."


def device_login(
    endpoints: Endpoints,
    client_id: str,
    http: httpx.Client,
    environ: Mapping[str, str],
    show: Callable[[str], None],
) -> str:
    """`ssoctl entra login`: device code with the admin's own public-client app; the token
    cache is written 0600. Returns who signed in."""
    import msal

    from ssoctl.entra.transport import MsalHttp

    cache = msal.SerializableTokenCache()
    app = msal.PublicClientApplication(
        client_id,
        authority=endpoints.authority,
        http_client=MsalHttp(http),
        token_cache=cache,
        instance_discovery=not endpoints.overridden,
    )
    flow = app.initiate_device_flow(scopes=[endpoints.scope])
    if "user_code" not in flow:
        raise OperationError(
            f"Entra refused the device-code sign-in: {flow.get('error', 'unknown error')}: "
            f"{str(flow.get('error_description', '')).splitlines()[0:1]}",
            hint="the app registration must allow public client flows (docs/entra.md).",
        )
    show(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        source = TokenSource(endpoints, Credential("login", client_id, ""), http, environ)
        raise source._failure(result)
    saved = {
        "client_id": client_id,
        "cloud": endpoints.cloud,
        "cache": json.loads(cache.serialize()),
    }
    _write_private(login_file(environ, endpoints.tenant_id), json.dumps(saved).encode())
    claims = token_claims(str(result["access_token"]))
    return str(claims.get("upn") or claims.get("preferred_username") or "an account")


def credential(environ: Mapping[str, str], tenant_id: str) -> Credential:
    found = from_environment(environ) or from_login(environ, tenant_id)
    if found is None:
        raise UsageError(
            "not signed in to Entra.",
            hint="set AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH "
            "or AZURE_FEDERATED_TOKEN_FILE, or run `ssoctl entra login --client-id ID` "
            "(docs/entra.md).",
        )
    return found


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def token_claims(token: str) -> dict[str, Any]:
    """The access token's payload, read (not verified: Graph verifies it) for `status`
    and the permission check. A token that is not a JWT gives {}."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        data = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

"""An app's App Federation Metadata, as Entra publishes it: one core function for
`ssoctl metadata export --app` and the twin's federationmetadata.xml endpoint.

Every unexpired certificate of the app's set, inactive ones included, the signing one
first unless `first` names another; signed with the key of the certificate the app signs
with (the twin can sign only with a local key: see keyring.private_key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ssoctl.endpoints import idp_endpoints
from ssoctl.errors import InvalidInputError, UsageError
from ssoctl.tenant import KeyringEntry, LoadedTenant, PassphraseSource, keyring


@dataclass(frozen=True)
class AppMetadata:
    xml: bytes
    certificates: list[KeyringEntry]  # in KeyDescriptor order
    signer: KeyringEntry | None  # None when unsigned


def app_metadata(
    loaded: LoadedTenant,
    app: str,
    now: dt.datetime,
    *,
    passphrase: PassphraseSource,
    first: str | None = None,
    sign: bool = True,
) -> AppMetadata:
    from ssoctl.saml.metadata import IdpMetadataInput, signed_idp_metadata

    keyring.check_keys(loaded)
    entries = keyring.metadata_certificates(loaded, app, now)
    if not entries:
        raise InvalidInputError(
            f"app {app!r} has no valid signing certificate at {now:%Y-%m-%dT%H:%M:%SZ} "
            "(Entra: AADSTS50003).",
            hint=f"create one with `ssoctl cert new --app {app} --activate`.",
        )
    signer = entries[0]
    if first is not None:
        chosen = next((e for e in entries if e.name == first), None)
        if chosen is None:
            raise UsageError(
                f"--first {first!r} is not an unexpired certificate of {app!r}; "
                f"choose one of: {', '.join(e.name for e in entries)}."
            )
        entries = [chosen, *(e for e in entries if e is not chosen)]
    model = loaded.model
    app_id = model.apps[app].app_id
    endpoints = idp_endpoints(str(model.tenant.id), model.tenant.cloud, str(app_id or ""))
    key = keyring.private_key(loaded, signer.name, passphrase, app) if sign else None
    data = IdpMetadataInput(endpoints, [e.cert for e in entries], now, app)
    return AppMetadata(
        signed_idp_metadata(data, key, signer.cert), entries, signer if sign else None
    )

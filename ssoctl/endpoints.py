"""Entra's endpoints per cloud, kept as data (see shared/docs/entra-saml.md, Endpoints).

The US Government cloud's SAML entity ID is UNCONFIRMED: no source showed it, so it is
assumed equal to the public one and marked here, the one place to correct it.
"""

from __future__ import annotations

from dataclasses import dataclass

CLOUDS: dict[str, dict[str, str]] = {
    "public": {
        "login_host": "login.microsoftonline.com",
        "entity_id": "https://sts.windows.net/{tid}/",
    },
    "usgov": {
        "login_host": "login.microsoftonline.us",
        "entity_id": "https://sts.windows.net/{tid}/",  # UNCONFIRMED
        "entity_id_unconfirmed": (
            "UNCONFIRMED for SAML in the US Government cloud: no source shows it. Likely, "
            "because the v1 token issuer there is https://sts.windows.net/{tid}/ (Microsoft "
            "Q&A 1190472). Compare it with the Microsoft Entra Identifier your portal shows."
        ),
    },
}


@dataclass(frozen=True)
class IdpEndpoints:
    """What Entra shows under "Set up <app>": the values the SP portal needs."""

    entity_id: str
    login_url: str
    logout_url: str
    tenant_metadata_url: str
    app_metadata_url: str | None
    entity_id_unconfirmed: str | None = None  # why, where no source confirms the value
    # The Issuer of Entra's LogoutResponses (and the twin's LogoutRequests to other
    # session participants): the login host, not the entity ID (entra-saml.md, Single
    # logout, from ED single-sign-out-saml-protocol.md). An SP that looks the Issuer up
    # in the IdP metadata refuses it. usgov: the same shape on its login host, UNCONFIRMED.
    logout_issuer: str = ""


def idp_endpoints(tenant_id: str, cloud: str, app_id: str | None = None) -> IdpEndpoints:
    table = CLOUDS[cloud]
    base = f"https://{table['login_host']}/{tenant_id}"
    return IdpEndpoints(
        entity_id=table["entity_id"].format(tid=tenant_id),
        login_url=f"{base}/saml2",
        logout_url=f"{base}/saml2",
        tenant_metadata_url=f"{base}/FederationMetadata/2007-06/FederationMetadata.xml",
        app_metadata_url=(
            f"{base}/federationmetadata/2007-06/federationmetadata.xml?appid={app_id}"
            if app_id
            else None
        ),
        logout_issuer=f"{base}/",
        entity_id_unconfirmed=(
            table["entity_id_unconfirmed"].format(tid=tenant_id)
            if "entity_id_unconfirmed" in table
            else None
        ),
    )

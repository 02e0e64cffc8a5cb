"""The tenant model: typed, validated, and the source of `ssoctl schema`.

Pure data. Loading from YAML (with line/col) lives in `tenant.py`; this module only
says what a valid tenant file is. Unknown keys are errors everywhere (`extra="forbid"`):
a typo such as `reply_url:` must never be silently ignored.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

SCHEMA_ID = "https://ssoctl.dev/schema/tenant-v1.json"

NAME_ID_FORMATS: dict[str, str] = {
    "emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "windowsDomainQualifiedName": (
        "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
    ),
}

# Entra's claim sources that ssoctl can resolve from a user record, and the field each reads.
CLAIM_SOURCES: dict[str, str] = {
    "user.userprincipalname": "upn",
    "user.mail": "mail",
    "user.givenname": "given_name",
    "user.surname": "surname",
    "user.displayname": "display_name",
    "user.objectid": "object_id",
}

NameIdFormat = Literal[
    "emailAddress", "persistent", "unspecified", "transient", "windowsDomainQualifiedName"
]
ClaimSource = Literal[
    "user.userprincipalname",
    "user.mail",
    "user.givenname",
    "user.surname",
    "user.displayname",
    "user.objectid",
]
# A short machine name: used as a YAML key and on the command line.
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Upn = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=113)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]

GROUP_PREFIX = "group:"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantInfo(Strict):
    id: uuid.UUID = Field(description="Directory (tenant) ID, a GUID.")
    domain: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] = Field(
        description="Primary domain, for example contoso.com."
    )
    cloud: Literal["public", "usgov"] = Field("public", description="Entra cloud instance.")


class CertificateEntry(Strict):
    name: Name = Field(description="Name used by signing sets and commands.")
    cert: str = Field(description="Path to the PEM certificate, relative to the tenant file.")
    key: str | None = Field(
        None, description="Path to the PEM private key (mode 0600, may be encrypted)."
    )


class SigningSet(Strict):
    """Entra's model: a set of certificates, exactly one of them active."""

    certificates: list[Name] = Field(default_factory=list)
    active: Name | None = None
    mode: Literal["assertion", "response", "both"] = Field(
        "assertion", description="What Entra signs: the assertion (default), response, or both."
    )
    algorithm: Literal["sha256", "sha1"] = "sha256"

    @model_validator(mode="after")
    def _active_in_set(self) -> SigningSet:
        if self.active is not None and self.active not in self.certificates:
            raise ValueError(f"active certificate {self.active!r} is not in certificates")
        return self


class NameId(Strict):
    source: ClaimSource = "user.userprincipalname"
    format: NameIdFormat = "emailAddress"


class User(Strict):
    upn: Upn
    object_id: uuid.UUID = Field(description="Stable object ID, generated once.")
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None
    mail: Upn | None = None


class Group(Strict):
    name: Name
    object_id: uuid.UUID | None = None
    members: list[Upn] = Field(default_factory=list)


class App(Strict):
    template: Name = Field(description="Gallery template: ringcentral, mitel-connect, custom.")
    region: str | None = Field(None, description="Template region (RingCentral: us, euro).")
    platform: str | None = Field(None, description="Template platform (Mitel: micloud, cloudlink).")
    app_id: uuid.UUID = Field(description="Application (client) ID, for the metadata URL.")
    identifiers: list[Url] = Field(min_length=1, description="Identifier (Entity ID) values.")
    reply_urls: list[Url] = Field(min_length=1, description="Reply URLs (ACS); the first wins.")
    sign_on_url: Url | None = None
    relay_state: str | None = None
    logout_url: Url | None = None
    signing: SigningSet | None = Field(
        None, description="The app's own certificate set; the tenant default set otherwise."
    )
    name_id: NameId = Field(default_factory=NameId)
    claims: dict[str, ClaimSource] = Field(default_factory=dict)
    assignments: list[str] = Field(default_factory=list)
    sp_certificate: str | None = Field(
        None, description="SP signing certificate (PEM path), for signed AuthnRequests."
    )

    @field_validator("assignments")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for item in value:
            if not (item.startswith(GROUP_PREFIX) or "@" in item):
                raise ValueError(f"{item!r} is neither a UPN nor group:NAME")
        return value


class Tenant(Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": SCHEMA_ID, "title": "ssoctl tenant file"},
    )

    version: Literal[1] = Field(description="File format version.")
    tenant: TenantInfo
    certificates: list[CertificateEntry] = Field(default_factory=list)
    signing: SigningSet | None = Field(None, description="Tenant default certificate set.")
    users: list[User] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    apps: dict[Name, App] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_names(self) -> Tenant:
        _require_unique("users", [u.upn.lower() for u in self.users], "upn")
        _require_unique("groups", [g.name for g in self.groups], "name")
        _require_unique("certificates", [c.name for c in self.certificates], "name")
        known = {c.name for c in self.certificates}
        sets = [("signing", self.signing)] + [
            (f"apps.{n}.signing", a.signing) for n, a in self.apps.items()
        ]
        for where, sset in sets:
            for cert in sset.certificates if sset else []:
                if cert not in known:
                    raise ValueError(f"{where} names certificate {cert!r}, not in certificates")
        return self

    # Lookups used across commands and rules.
    def user(self, upn: str) -> User | None:
        wanted = upn.lower()
        return next((u for u in self.users if u.upn.lower() == wanted), None)

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def certificate(self, name: str) -> CertificateEntry | None:
        return next((c for c in self.certificates if c.name == name), None)

    def signing_set(self, app: str | None) -> SigningSet | None:
        """The app's own set, else the tenant default set (Entra's per-app certificates)."""
        if app is not None and self.apps[app].signing is not None:
            return self.apps[app].signing
        return self.signing

    def assigned_users(self, app: str) -> list[User]:
        """Users assigned directly or through a group, in file order."""
        upns: set[str] = set()
        for principal in self.apps[app].assignments:
            if principal.startswith(GROUP_PREFIX):
                group = self.group(principal[len(GROUP_PREFIX) :])
                upns.update(m.lower() for m in (group.members if group else []))
            else:
                upns.add(principal.lower())
        return [u for u in self.users if u.upn.lower() in upns]


def _require_unique(where: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{where}: {key} {value!r} appears twice")
        seen.add(value)


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the tenant file, generated from the model."""
    schema = Tenant.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def is_guid(value: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value) is not None

"""A test sign-in: resolve what Entra would send for (app, user), with Entra's checks.

Between the tenant file and `saml/response.py`: picks the ACS, audience, NameID and
attributes, applies Entra's refusals (each naming its AADSTS code), and the negative
cases people use to test an SP's rejection paths.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ssoctl import gallery
from ssoctl.endpoints import idp_endpoints
from ssoctl.errors import InvalidInputError, UsageError
from ssoctl.model import CLAIM_SOURCES, NAME_ID_FORMATS, Tenant, User
from ssoctl.saml.authnrequest import AuthnRequest
from ssoctl.saml.response import ResponseSpec
from ssoctl.xmlchars import first_non_xml_char

PASSWORD_METHOD = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"
CASES = (
    "expired",
    "not-yet-valid",
    "wrong-audience",
    "wrong-recipient",
    "unsigned",
    "bad-signature",
    "sha1",
)
WRONG_URL = "https://wrong.invalid/saml"


@dataclass(frozen=True)
class SignInRequest:
    app: str
    upn: str
    now: dt.datetime
    request: AuthnRequest | None = None
    name_id_format: str | None = None  # a key of NAME_ID_FORMATS or a URI
    extra_attributes: tuple[tuple[str, str], ...] = ()
    lifetime_minutes: int = 60
    force: bool = False


@dataclass(frozen=True)
class Resolved:
    spec: ResponseSpec
    warnings: list[str]


def user_value(user: User, source: str) -> str | None:
    value = getattr(user, CLAIM_SOURCES[source])
    return str(value) if value not in (None, "") else None


def resolve(tenant: Tenant, ask: SignInRequest) -> Resolved:
    """The ResponseSpec Entra would produce, or an error naming Entra's code."""
    app = tenant.apps[ask.app]
    template = gallery.get(app.template)
    user = tenant.user(ask.upn)
    if user is None:
        raise UsageError(
            f"no user {ask.upn!r} in the tenant file.",
            hint=f"add it with `ssoctl user add {ask.upn}`.",
        )
    warnings: list[str] = []
    assigned = {u.upn.lower() for u in tenant.assigned_users(ask.app)}
    if user.upn.lower() not in assigned:
        if not ask.force:
            raise InvalidInputError(
                f"AADSTS50105: {user.upn} is not assigned to {ask.app!r} (directly or through "
                "a group); Entra refuses the sign-in.",
                hint=f"`ssoctl app assign {ask.app} {user.upn}`, or pass --force to issue anyway.",
            )
        warnings.append(f"{user.upn} is not assigned to {ask.app!r} (AADSTS50105 in Entra).")
    if template.sso_mode == "sp-initiated" and ask.request is None:
        warnings.append(
            f"{template.display_name} is SP-initiated; without --request this is an "
            "unsolicited (IdP-initiated) response the SP may refuse."
        )

    idp = idp_endpoints(str(tenant.tenant.id), tenant.tenant.cloud, str(app.app_id))
    destination = app.reply_urls[0]  # Entra posts to the first Reply URL
    audience = app.identifiers[0]
    in_response_to = None
    if ask.request is not None:
        in_response_to = ask.request.id
        destination = ask.request.acs_url or destination
        audience = ask.request.issuer or audience
    if "://" not in audience and not audience.startswith("urn:"):
        audience = f"spn:{audience}"  # Entra's form for an Identifier that is not a URI

    fmt = ask.name_id_format or app.name_id.format
    if ask.request is not None and ask.request.name_id_format and ask.name_id_format is None:
        fmt = ask.request.name_id_format  # a NameIDPolicy in the request wins
    format_uri = NAME_ID_FORMATS.get(fmt, fmt)
    name_id = user_value(user, app.name_id.source)
    if name_id is None:
        raise InvalidInputError(
            f"AADSTS501241: {user.upn} has no {app.name_id.source}, the app's NameID source.",
            hint="fill that field of the user, or change the app's name_id.source.",
        )

    attributes: list[tuple[str, list[str]]] = []
    defaults = [
        ("http://schemas.microsoft.com/identity/claims/tenantid", str(tenant.tenant.id)),
        ("http://schemas.microsoft.com/identity/claims/objectidentifier", str(user.object_id)),
        ("http://schemas.microsoft.com/identity/claims/displayname", user.display_name),
        ("http://schemas.microsoft.com/identity/claims/identityprovider", idp.entity_id),
        ("http://schemas.microsoft.com/claims/authnmethodsreferences", PASSWORD_METHOD),
    ]
    attributes += [(name, [value]) for name, value in defaults if value]
    required = template.required_claims
    for claim, source in app.effective_claims().items():
        value = user_value(user, source)
        if value is None:
            if claim not in required:
                continue  # Entra leaves a claim out when its source is empty for the user
            message = (
                f"{user.upn} has no {source}, so the claim {claim} is left out: "
                f"{template.display_name} requires it and would reject the sign-in."
            )
            if not ask.force:
                raise InvalidInputError(
                    message,
                    hint=f"set the user's {CLAIM_SOURCES[source]} (`ssoctl user set "
                    f"{user.upn} --{CLAIM_SOURCES[source].replace('_', '-')} ...`), "
                    "or pass --force to issue without the claim.",
                )
            warnings.append(message)
            continue
        attributes.append((claim, [value]))
    for name, value in ask.extra_attributes:
        attributes = [a for a in attributes if a[0] != name] + [(name, [value])]
    _refuse_non_xml_values(
        user.upn,
        [
            ("the NameID", [name_id]),
            ("the NameID format (--name-id-format)", [format_uri]),
            *attributes,
            *[("a claim name", [name]) for name, _values in attributes],
        ],
    )

    spec = ResponseSpec(
        issuer=idp.entity_id,
        destination=destination,
        audience=audience,
        name_id=name_id,
        name_id_format=format_uri,
        attributes=attributes,
        now=ask.now,
        in_response_to=in_response_to,
        lifetime=dt.timedelta(minutes=ask.lifetime_minutes),
    )
    return Resolved(spec, warnings)


def _refuse_non_xml_values(upn: str, claims: list[tuple[str, list[str]]]) -> None:
    """A control character from --attr cannot be written in XML at all (the tenant model
    refuses them in the file, with a location); say which claim holds it."""
    for claim, values in claims:
        for value in values:
            bad = first_non_xml_char(value)
            if bad:
                raise InvalidInputError(
                    f"{claim} for {upn} contains {bad}, a character XML cannot carry: {value!r}.",
                    hint="remove it from the user record in the tenant file, or from the "
                    "option that gave it (--attr, --name-id-format).",
                )


def apply_case(spec: ResponseSpec, case: str | None) -> ResponseSpec:
    """Negative cases that change content; signing cases are applied by the caller."""
    if case == "expired":
        return replace(spec, now=spec.now - spec.lifetime - dt.timedelta(minutes=30))
    if case == "not-yet-valid":
        return replace(spec, now=spec.now + dt.timedelta(minutes=60))
    if case == "wrong-audience":
        return replace(spec, audience=WRONG_URL)
    if case == "wrong-recipient":
        return replace(spec, destination=WRONG_URL, recipient=WRONG_URL)
    return spec

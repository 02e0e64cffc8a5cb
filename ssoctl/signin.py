"""A test sign-in: resolve what Entra would send for (app, user), with Entra's checks.

Between the tenant file and `saml/response.py`: picks the ACS, audience, NameID and
attributes, applies Entra's refusals (each naming its AADSTS code), and the negative
cases people use to test an SP's rejection paths.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ssoctl.endpoints import idp_endpoints
from ssoctl.errors import EntraRefusal, InvalidInputError, UsageError
from ssoctl.saml.response import ResponseSpec, Signer
from ssoctl.tenant import LoadedTenant, PassphraseSource, encryption_certificate, gallery
from ssoctl.tenant.model import CLAIM_SOURCES, NAME_ID_FORMATS, Tenant, User
from ssoctl.urls import audience_for
from ssoctl.xmlchars import first_non_xml_char

if TYPE_CHECKING:
    from ssoctl.saml.authnrequest import AuthnRequest
    from ssoctl.saml.verify import Expectations

AMR = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/"
PASSWORD_METHOD = f"{AMR}password"


@dataclass(frozen=True)
class AuthnMethod:
    """How the user signed in, as Entra writes it: AuthnContextClassRef and the values of
    the authnmethodsreferences claim (shared/docs/entra-saml.md, "More of the Response")."""

    class_ref: str
    references: tuple[str, ...]
    # Other classes a request may ask for that this sign-in meets; the Response then names
    # the requested one. UNCONFIRMED from a source, kept as data: Entra accepts the
    # PasswordProtectedTransport that most SP libraries request by default (python3-saml,
    # Shibboleth) for a password sign-in; refusing it would fail SPs that Entra passes.
    also: tuple[str, ...] = ()


AUTHN_METHODS: dict[str, AuthnMethod] = {
    "password": AuthnMethod(
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
        (PASSWORD_METHOD,),
        ("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",),
    ),
    "x509": AuthnMethod("urn:oasis:names:tc:SAML:2.0:ac:classes:X509", (f"{AMR}x509",)),
    "windows": AuthnMethod(
        "urn:federation:authentication:windows", ("urn:federation:authentication:windows",)
    ),
    # UNCONFIRMED which class Entra writes after MFA; the facts list multipleauthn among the
    # classes it uses, and the claim carries the password and the second factor.
    "mfa": AuthnMethod(
        "http://schemas.microsoft.com/claims/multipleauthn",
        (PASSWORD_METHOD, "http://schemas.microsoft.com/claims/multipleauthn"),
    ),
}
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def persistent_id(secret: bytes, tenant_id: str, app: str, object_id: str) -> str:
    """A stable, opaque, pairwise NameID for (user, app): Base64 of HMAC-SHA256, keyed with
    the tenant's pairwise secret (keyring.pairwise_secret: 0600, beside the keys, never
    committed), over "ssoctl-persistent-v2|TENANT ID|APP NAME|USER OBJECT ID".

    Keyed because every input is public: an SP reads the tenant ID and the user's object
    ID from its own Response, and with an unkeyed hash could compute what another SP
    receives for the same person. Entra's own pairwise IDs are opaque and differ from
    these: the twin's persistent NameIDs are for testing, never for a real SP's records.
    """
    message = f"ssoctl-persistent-v2|{tenant_id}|{app}|{object_id}".encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode("ascii")


def _no_pairwise_secret() -> bytes:
    raise UsageError(
        "a persistent NameID needs the tenant's pairwise secret, and this caller gave none.",
        hint="use the persistent format through `ssoctl assertion issue` or `idp serve`.",
    )


def transient_id() -> str:
    """A fresh random NameID for one sign-in."""
    return "_" + secrets.token_hex(20)


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
    relay_state: str | None = None  # --relay-state: wins over both below
    request_relay_state: str | None = None  # posted back in SP-initiated sign-in
    authn_method: str = "password"
    authn_instant: dt.datetime | None = None  # default: the issue time
    new_transient: Callable[[], str] = transient_id
    # The tenant's pairwise secret, asked for only when the NameID is persistent (reading
    # it may create it: keyring.pairwise_secret).
    pairwise_secret: Callable[[], bytes] = _no_pairwise_secret


@dataclass(frozen=True)
class Resolved:
    spec: ResponseSpec
    warnings: list[str]
    relay_state: str | None = None


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
            raise EntraRefusal(
                "AADSTS50105",
                f"{user.upn} is not assigned to {ask.app!r} (directly or through "
                "a group); Entra refuses the sign-in.",
                hint=f"`ssoctl app assign {ask.app} {user.upn}`, or pass --force to issue anyway.",
            )
        warnings.append(f"{user.upn} is not assigned to {ask.app!r} (AADSTS50105 in Entra).")
    if template.sso_mode == "sp-initiated" and ask.request is None:
        warnings.append(
            f"{template.display_name} is SP-initiated; without --request this is an "
            "unsolicited (IdP-initiated) response the SP may refuse."
        )

    idp = idp_endpoints(str(tenant.tenant.id), tenant.tenant.cloud)
    missing = app.missing_fields()
    if missing:
        raise InvalidInputError(
            f"app {ask.app!r} is incomplete: no {' and no '.join(missing)} yet.",
            hint=f"`ssoctl metadata import SP-METADATA --app {ask.app}`, or `ssoctl app set "
            f"{ask.app} --identifier ... --reply-url ...`.",
        )
    destination = app.reply_urls[0]  # Entra posts to the first Reply URL
    audience = app.identifiers[0]
    in_response_to = None
    relay_state = app.relay_state  # IdP-initiated: the app's configured Relay State
    if ask.request is not None:
        in_response_to = ask.request.id
        destination = ask.request.acs_url or destination
        audience = ask.request.issuer or audience
        relay_state = ask.request_relay_state  # SP-initiated: what the SP sent
    if ask.relay_state is not None:
        relay_state = ask.relay_state
    audience = audience_for(audience)

    if ask.authn_method not in AUTHN_METHODS:
        raise UsageError(
            f"--authn-method {ask.authn_method!r}: choose one of {', '.join(AUTHN_METHODS)}."
        )
    method = AUTHN_METHODS[ask.authn_method]
    class_ref = method.class_ref
    if ask.request is not None:
        from ssoctl.saml.authnrequest import check_authn_context  # only for SP-initiated

        class_ref = check_authn_context(
            ask.request, (method.class_ref, *method.also), ask.authn_method
        )

    fmt = ask.name_id_format or app.name_id.format
    if ask.request is not None and ask.request.name_id_format and ask.name_id_format is None:
        fmt = ask.request.name_id_format  # a NameIDPolicy in the request wins
    format_uri = NAME_ID_FORMATS.get(fmt, fmt)
    if format_uri == TRANSIENT:
        name_id: str | None = ask.new_transient()
    elif format_uri == PERSISTENT:
        name_id = persistent_id(
            ask.pairwise_secret(), str(tenant.tenant.id), ask.app, str(user.object_id)
        )
    else:  # unspecified, emailAddress, Windows: the configured source
        name_id = user_value(user, app.name_id.source)
    if name_id is None:
        raise EntraRefusal(
            "AADSTS501241",
            f"{user.upn} has no {app.name_id.source}, the app's NameID source.",
            hint="fill that field of the user, or change the app's name_id.source.",
        )

    attributes: list[tuple[str, list[str]]] = []
    defaults = [
        ("http://schemas.microsoft.com/identity/claims/tenantid", str(tenant.tenant.id)),
        ("http://schemas.microsoft.com/identity/claims/objectidentifier", str(user.object_id)),
        ("http://schemas.microsoft.com/identity/claims/displayname", user.display_name),
        ("http://schemas.microsoft.com/identity/claims/identityprovider", idp.entity_id),
    ]
    attributes += [(name, [value]) for name, value in defaults if value]
    attributes.append(
        ("http://schemas.microsoft.com/claims/authnmethodsreferences", list(method.references))
    )
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
        authn_instant=ask.authn_instant,
        authn_context=class_ref,
        name_id_sp_name_qualifier=(
            ask.request.sp_name_qualifier if ask.request is not None else None
        ),
    )
    return Resolved(spec, warnings, relay_state)


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


def app_signer(
    loaded: LoadedTenant,
    app: str,
    now: dt.datetime,
    passphrase: PassphraseSource,
    *,
    mode: str | None = None,
    algorithm: str | None = None,
) -> Signer:
    """How the app's Responses are signed now: the certificate it signs with and its key,
    the set's mode and algorithm unless overridden. AADSTS50003 when nothing can sign."""
    from ssoctl.tenant import keyring

    entry = keyring.usable_active(loaded, app, now)
    if entry is None:
        raise EntraRefusal(
            "AADSTS50003",
            f"app {app!r} has no valid signing certificate at {now.isoformat()}; Entra "
            "refuses its sign-ins.",
            hint=f"`ssoctl cert new --activate --app {app}`.",
        )
    sset = keyring.signing_set(loaded, app)
    chosen = entry
    if entry.key_path is None:
        # Entra's own certificate: Entra keeps its key. Test Responses are signed with a
        # valid certificate of the set whose key is here, and say so (design.md, "Live
        # Entra"); with none, private_key explains what to do.
        ring = keyring.entries(loaded)
        local = [
            ring[n] for n in (sset.certificates if sset else [])
            if n in ring and ring[n].key_path and ring[n].validity.state(now) == "valid"
        ]  # fmt: skip
        chosen = local[-1] if local else entry
    key = keyring.private_key(loaded, chosen.name, passphrase, app)
    return Signer(
        key=key,
        cert=chosen.cert,
        algorithm=algorithm or (sset.algorithm if sset else "sha256"),
        mode=mode or (sset.mode if sset else "assertion"),
    )


def local_signing_note(loaded: LoadedTenant, app: str, now: dt.datetime) -> str | None:
    """The sentence a test Response carries when the twin signs it with a local key
    because Entra signs with a certificate whose key only Entra holds."""
    from ssoctl.tenant import keyring

    entry = keyring.usable_active(loaded, app, now)
    if entry is None or entry.key_path is not None:
        return None
    signer_name = next(
        (n for n in reversed(keyring.signing_set(loaded, app).certificates)  # type: ignore[union-attr]
         if (e := keyring.entries(loaded).get(n)) and e.key_path
         and e.validity.state(now) == "valid"),
        None,
    )  # fmt: skip
    if signer_name is None:
        return None
    return (
        f"signed with the local test certificate {signer_name}: Entra signs {app} with "
        f"{entry.name}, whose key only Entra holds, so an SP that trusts only Entra's "
        "certificate refuses this test Response"
    )


@dataclass(frozen=True)
class Issue:
    """A sign-in resolved and ready to be issued (signin.issue): each `response(new_id)`
    is one signed Response, XML bytes and its ID. `--count N` calls it N times."""

    spec: ResponseSpec
    relay_state: str | None
    warnings: list[str]
    signer: Signer | None  # None: the unsigned case
    case: str | None
    encrypt_for: bytes | None = None  # the app's token-encryption certificate, PEM

    def response(self, new_id: Callable[[], str]) -> tuple[bytes, str]:
        data, response_id, _ = self.response_with_ids(new_id)
        return data, response_id

    def response_with_ids(self, new_id: Callable[[], str]) -> tuple[bytes, str, str]:
        """The Response, its ID and its Assertion's ID (Entra's SessionIndex, which a
        LogoutRequest to the app names)."""
        data, response_id, assertion_id, _ = self.response_and_tree(new_id)
        return data, response_id, assertion_id

    def response_and_tree(self, new_id: Callable[[], str]) -> tuple[bytes, str, str, Any]:
        """As response_with_ids, with the tree the bytes were serialized from: None when
        the bytes were changed afterwards (a negative case), so the tree is not them."""
        from ssoctl.saml import response

        root, response_id, assertion_id = response.build(self.spec, new_id)
        tampered_inside = self.case == "bad-signature" and self.encrypt_for is not None
        root = response.sign_response(
            root, response_id, assertion_id, self.signer, encrypt_for=self.encrypt_for,
            alter=_tamper_name_id if tampered_inside else None,
        )  # fmt: skip
        data = response.to_bytes(root)
        tree: Any = root
        if tampered_inside and self.signer is not None and self.signer.mode == "response":
            # Only the Response is signed, over the ciphertext: change one ciphertext byte.
            data, tree = _tamper_ciphertext(data), None
        elif self.case == "bad-signature" and not tampered_inside:
            # One signed byte changed after signing: the NameID's first character.
            marker = f">{self.spec.name_id}</".encode()
            tampered = f">X{self.spec.name_id[1:]}</".encode()
            data, tree = data.replace(marker, tampered, 1), None
        return data, response_id, assertion_id, tree


def _tamper_name_id(assertion: Any) -> None:
    """bad-signature, encrypted: one signed character changed before encryption."""
    from ssoctl.saml.xml import tag

    name_id = assertion.find(f"{tag('saml', 'Subject')}/{tag('saml', 'NameID')}")
    if name_id is not None and name_id.text:
        name_id.text = "X" + name_id.text[1:]


def _tamper_ciphertext(data: bytes) -> bytes:
    marker = b"CipherValue>"
    at = data.rfind(marker) + len(marker)
    if at < len(marker):
        return data
    flipped = b"B" if data[at : at + 1] == b"A" else b"A"
    return data[:at] + flipped + data[at + 1 :]


def issue(
    loaded: LoadedTenant,
    ask: SignInRequest,
    passphrase: PassphraseSource,
    *,
    case: str | None = None,
    mode: str | None = None,
    algorithm: str | None = None,
) -> Issue:
    """What Entra sends for `ask` (resolve), with one of the negative CASES applied, signed
    as the app signs (app_signer) unless the case says otherwise. The one pipeline of
    `assertion issue`, the twin and the benchmarks."""
    if case is not None and case not in CASES:
        raise UsageError(f"unknown case {case!r}; cases: {', '.join(CASES)}.")
    resolved = resolve(loaded.model, ask)
    spec = apply_case(resolved.spec, case)
    signer = None
    if case != "unsigned":
        chosen = "sha1" if case == "sha1" else algorithm
        signer = app_signer(loaded, ask.app, ask.now, passphrase, mode=mode, algorithm=chosen)
    note = local_signing_note(loaded, ask.app, ask.now) if signer is not None else None
    warnings = [*resolved.warnings, *([note] if note else [])]
    encrypt_for = encryption_certificate(loaded, ask.app)
    return Issue(spec, resolved.relay_state, warnings, signer, case, encrypt_for)


def expectations_for(
    loaded: LoadedTenant,
    app: str,
    *,
    at: dt.datetime,
    skew: dt.timedelta = dt.timedelta(minutes=5),
    in_response_to: str | None = None,
    ignore_cert_dates: bool = False,
    decryption_key: Any = None,
) -> Expectations:
    """What `assertion verify --app` (and a test SP) trusts for `app`: every certificate
    of the app's signing set (Entra's rollover: the SP may hold the next one already),
    Entra's Issuer for the tenant, the app's Reply URLs, and its Identifiers as Entra
    writes them in the Audience."""
    from ssoctl.saml.verify import Expectations
    from ssoctl.tenant import keyring, require_app

    require_app(loaded.model, app, loaded.path)
    model = loaded.model
    sset = keyring.signing_set(loaded, app)
    ring = keyring.entries(loaded)
    entry = model.apps[app]
    return Expectations(
        trusted=[ring[n].cert for n in (sset.certificates if sset else [])],
        at=at,
        skew=skew,
        in_response_to=in_response_to,
        ignore_cert_dates=ignore_cert_dates,
        issuer=idp_endpoints(str(model.tenant.id), model.tenant.cloud).entity_id,
        reply_urls=list(entry.reply_urls),
        identifiers=list(dict.fromkeys(audience_for(i) for i in entry.identifiers)),
        decryption_key=decryption_key,
    )

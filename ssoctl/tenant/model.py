"""The tenant model: typed, validated, and the source of `ssoctl schema`.

Pure data. Loading from YAML (with line/col) lives in `tenant.py`; this module only
says what a valid tenant file is. Unknown keys are errors everywhere
(`forbid_unknown_fields`): a typo such as `reply_url:` must never be silently ignored.

msgspec, not pydantic: it validates the same types and writes the JSON Schema, and it
imports in ~5 ms where pydantic takes ~100 ms, which alone would break the start-up
budget of `ssoctl app list` (benchmarks/bench_startup.py). msgspec stops at the first error,
so `validate()` below walks the type hints to report every problem at once.

No `from __future__ import annotations` here, unlike the rest of ssoctl: msgspec and
the walk would have to eval every string annotation at start-up.
"""

import functools
import re
import types
import typing
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta, field

from ssoctl.xmlchars import first_non_xml_char

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

CLAIMS_NS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
# The claims Entra gives every new SAML app, in its order, after the five it always sends
# (shared/docs/entra-saml.md, "More of the Response"). An app whose `claims:` is not
# written gets these; a written `claims:` is the app's whole list (Attributes & Claims).
ENTRA_DEFAULT_CLAIMS: dict[str, str] = {
    f"{CLAIMS_NS}givenname": "user.givenname",
    f"{CLAIMS_NS}surname": "user.surname",
    f"{CLAIMS_NS}emailaddress": "user.mail",
    f"{CLAIMS_NS}name": "user.userprincipalname",
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
# `(?!\n)$`, not `$`: Python's `$` also matches before a trailing newline ("x\n").
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?!\n)$"
UPN_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+(?!\n)$"
DOMAIN_PATTERN = r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?!\n)$"
PRINCIPAL_PATTERN = r"^(group:[A-Za-z0-9][A-Za-z0-9._-]*|[^@\s]+@[^@\s]+)(?!\n)$"
Name = Annotated[str, Meta(pattern=NAME_PATTERN)]
Upn = Annotated[str, Meta(pattern=UPN_PATTERN, max_length=113)]
Url = Annotated[str, Meta(min_length=1, max_length=2048)]
Domain = Annotated[str, Meta(pattern=DOMAIN_PATTERN)]
# What each pattern means, for messages: a person should not have to read a regex.
PATTERN_WORDS = {
    NAME_PATTERN: "a name of 1 to 64 letters, digits, '.', '_' or '-' that starts with a "
    "letter or digit (no spaces)",
    UPN_PATTERN: "an address such as B.Simon@contoso.com",
    DOMAIN_PATTERN: "a domain such as contoso.com",
    PRINCIPAL_PATTERN: "a UPN such as B.Simon@contoso.com, or group:NAME",
}
Guid = uuid.UUID

GROUP_PREFIX = "group:"


def _doc(text: str) -> Any:
    return Meta(description=text)


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class TenantInfo(Strict, frozen=True, kw_only=True):
    id: Annotated[Guid, _doc("Directory (tenant) ID, a GUID.")]
    domain: Annotated[Domain, _doc("Primary domain, for example contoso.com.")]
    cloud: Annotated[Literal["public", "usgov"], _doc("Entra cloud instance.")] = "public"
    example: Annotated[
        bool,
        _doc(
            "This file is an example on purpose (docs, demos, tests), such as "
            "examples/contoso: validate does not report its placeholder values. Never set "
            "it for a real tenant."
        ),
    ] = False


class CertificateEntry(Strict, frozen=True, kw_only=True):
    name: Annotated[Name, _doc("Name used by signing sets and commands.")]
    cert: Annotated[str, _doc("Path to the PEM certificate, relative to the tenant file.")]
    key: Annotated[str | None, _doc("Path to the PEM private key (mode 0600).")] = None
    upload: Annotated[
        bool,
        _doc(
            "Upload this certificate with its private key to Entra as a PFX at the next "
            '`ssoctl entra apply` (Entra\'s "Import certificate"): Entra then signs with your '
            "key, and the production key exists on the machine that runs ssoctl. Needs key."
        ),
    ] = False
    public_demo_key: Annotated[
        bool,
        _doc(
            "The key is published on purpose (a demo such as examples/contoso): validate "
            "reports it as committed with an info note instead of an error. Never set it "
            "for a real tenant."
        ),
    ] = False


class SigningSet(Strict, frozen=True, kw_only=True):
    """Entra's model: a set of certificates, exactly one of them active."""

    certificates: Annotated[
        list[Name], _doc("Names of keyring certificates in this set (Entra: the app's list).")
    ] = field(default_factory=list)
    active: Annotated[
        Name | None, _doc("The one Entra signs with; the others wait (rollover).")
    ] = None
    mode: Annotated[
        Literal["assertion", "response", "both"],
        _doc("What Entra signs: the assertion (default), the response, or both."),
    ] = "assertion"
    algorithm: Annotated[
        Literal["sha256", "sha1"], _doc("Signing algorithm (Entra: SHA-256 unless changed).")
    ] = "sha256"
    new_in_entra: Annotated[
        list[Name],
        _doc(
            "Certificates for Entra to generate at the next `ssoctl entra apply` "
            "(`cert new --app APP --in-entra`): Entra keeps the key; each becomes an "
            "inactive certificate of this set, public part only, once Entra made it."
        ),
    ] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.active is not None and self.active not in self.certificates:
            raise ValueError(f"active certificate {self.active!r} is not in certificates")


class NameId(Strict, frozen=True, kw_only=True):
    """The Unique User Identifier (Name ID) claim."""

    source: Annotated[ClaimSource, _doc("The user attribute Entra sends.")] = (
        "user.userprincipalname"
    )
    format: Annotated[NameIdFormat, _doc("Name identifier format.")] = "emailAddress"


class User(Strict, frozen=True, kw_only=True):
    """A test user, as in Entra's directory."""

    upn: Annotated[Upn, _doc("User principal name, e.g. B.Simon@contoso.com.")]
    object_id: Annotated[Guid, _doc("Stable object ID, generated once.")]
    display_name: Annotated[str | None, _doc("Display name (user.displayname).")] = None
    given_name: Annotated[str | None, _doc("Given name (user.givenname).")] = None
    surname: Annotated[str | None, _doc("Surname (user.surname).")] = None
    mail: Annotated[
        Upn | None, _doc("Mail (user.mail); none until a mailbox or the admin sets one.")
    ] = None


class Group(Strict, frozen=True, kw_only=True):
    """A group of test users; assign it to an app as group:NAME."""

    name: Annotated[Name, _doc("Group name.")]
    object_id: Annotated[Guid | None, _doc("Stable object ID, generated once.")] = None
    members: Annotated[list[Upn], _doc("UPNs of its members.")] = field(default_factory=list)


Principal = Annotated[
    str,
    Meta(
        pattern=PRINCIPAL_PATTERN,
        description="A UPN, or group:NAME.",
    ),
]


class Encryption(Strict, frozen=True, kw_only=True):
    """SAML token encryption (Entra: the app's "Token encryption" certificate)."""

    certificate: Annotated[
        str,
        _doc(
            "The SP's encryption certificate (PEM path, relative to the tenant file): Entra "
            "encrypts the app's assertions with its public key, and so do the twin and "
            "`assertion issue`."
        ),
    ]


class App(Strict, frozen=True, kw_only=True):
    template: Annotated[Name, _doc("Gallery template: ringcentral, mitel-connect, custom.")]
    region: Annotated[str | None, _doc("Template region (RingCentral: us, euro).")] = None
    platform: Annotated[str | None, _doc("Template platform (Mitel: micloud, cloudlink).")] = None
    app_id: Annotated[
        Guid | None,
        _doc(
            "Application ID that Entra assigned (enterprise application overview page); "
            "it makes the App Federation Metadata URL. Unset until the admin gives it."
        ),
    ] = None
    identifiers: Annotated[
        list[Url], Meta(description="Identifier (Entity ID); empty while the app is incomplete.")
    ] = field(default_factory=list)
    reply_urls: Annotated[
        list[Url], Meta(description="Reply URLs; the first wins. Empty while incomplete.")
    ] = field(default_factory=list)
    sign_on_url: Annotated[Url | None, _doc("Sign on URL (SP-initiated apps).")] = None
    relay_state: Annotated[str | None, _doc("Relay State (optional).")] = None
    logout_url: Annotated[Url | None, _doc("Logout URL (optional).")] = None
    notification_emails: Annotated[
        list[Upn],
        Meta(
            max_length=5,
            description="Notification Email: who Entra mails before a signing certificate "
            "expires (the portal takes at most 5).",
        ),
    ] = field(default_factory=list)
    signing: Annotated[
        SigningSet | None, _doc("The app's own certificate set; the tenant default otherwise.")
    ] = None
    name_id: Annotated[NameId, _doc("Unique User Identifier (Name ID).")] = field(
        default_factory=NameId
    )
    claims: Annotated[
        dict[str, ClaimSource] | None,
        _doc(
            "Attributes & Claims: claim name -> source, in the order sent. Left out, the app "
            "gets Entra's defaults (givenname, surname, emailaddress, name)."
        ),
    ] = None
    assignments: Annotated[
        list[Principal], _doc("Users (UPN) and groups (group:NAME) assigned to the app.")
    ] = field(default_factory=list)
    sp_certificate: Annotated[
        str | None, _doc("SP signing certificate (PEM path), for signed AuthnRequests.")
    ] = None
    encryption: Annotated[
        Encryption | None, _doc("Token encryption: assertions encrypted for the SP.")
    ] = None

    def missing_fields(self) -> list[str]:
        """ "identifiers" and/or "reply_urls" when still empty (an incomplete app)."""
        return [k for k in ("identifiers", "reply_urls") if not getattr(self, k)]

    def effective_claims(self) -> dict[str, str]:
        """The claims Entra sends for this app: the written list, else Entra's defaults."""
        return dict(self.claims) if self.claims is not None else dict(ENTRA_DEFAULT_CLAIMS)


class Tenant(Strict, frozen=True, kw_only=True):
    version: Annotated[Literal[1], _doc("File format version.")]
    tenant: Annotated[TenantInfo, _doc("The Entra tenant: its ID, domain and cloud.")]
    certificates: Annotated[list[CertificateEntry], _doc("Signing certificates (the keyring).")] = (
        field(default_factory=list)
    )
    signing: Annotated[SigningSet | None, _doc("Tenant default certificate set.")] = None
    users: Annotated[list[User], _doc("Test users.")] = field(default_factory=list)
    groups: Annotated[list[Group], _doc("Groups of test users.")] = field(default_factory=list)
    apps: Annotated[dict[Name, App], _doc("SAML apps, by name.")] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
        own = self.apps.get(app) if app is not None else None
        if own is not None and own.signing is not None:
            return own.signing
        return self.signing

    def assigned_upns(self, app: str) -> set[str]:
        """The UPNs (lower case) that may use `app`: assigned directly, or as a member of
        an assigned group (Entra gives an app to a group's direct members). The one answer
        to "who may use this app"; `apps_for` is the same question asked per user."""
        upns: set[str] = set()
        for principal in self.apps[app].assignments:
            if principal.startswith(GROUP_PREFIX):
                group = self.group(principal[len(GROUP_PREFIX) :])
                upns.update(m.lower() for m in (group.members if group else []))
            else:
                upns.add(principal.lower())
        return upns

    def assigned_users(self, app: str) -> list[User]:
        """Users assigned directly or through a group, in file order."""
        upns = self.assigned_upns(app)
        return [u for u in self.users if u.upn.lower() in upns]

    def apps_for(self, upn: str) -> list[str]:
        """The apps `upn` may use, directly or through any of its groups, in file order:
        what My Apps, the twin's picker and `user list` show."""
        wanted = upn.lower()
        return [name for name in self.apps if wanted in self.assigned_upns(name)]


def _require_unique(where: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{where}: {key} {value!r} appears twice")
        seen.add(value)


def is_guid(value: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value) is not None


@dataclass(frozen=True)
class Problem:
    """One validation problem: the key path (list of keys and indexes) and a message.
    `at_key` is true when the problem is the key itself (unknown key), not its value."""

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False


def validate(data: Any) -> tuple[Tenant | None, list[Problem]]:
    """The typed tenant, or every problem found. `data` is plain dicts, lists, scalars."""
    if isinstance(data, dict):
        # A section written as a bare key (`apps:` with nothing under it) means empty.
        empty = {"certificates": list, "users": list, "groups": list, "apps": dict}
        data = {k: (empty[k]() if v is None and k in empty else v) for k, v in data.items()}
    # The usual case, a valid file, in one pass of msgspec's own C code, plus the two
    # checks msgspec does not make (characters XML cannot carry; the cross checks of
    # _cross_problems). Anything wrong: the walk below finds every problem with its place.
    try:
        tenant = msgspec.convert(data, Tenant)
    except msgspec.ValidationError:
        tenant = None
    if tenant is not None and not _has_non_xml_text(data) and not _cross_problems(data):
        return tenant, []
    found: list[Problem] = []
    _check(data, Tenant, (), found)
    if not found:
        found = _cross_problems(data)
    if found:
        return None, found
    try:
        return msgspec.convert(data, Tenant), []
    except msgspec.ValidationError as exc:  # a check the walk does not know; report it
        return None, [Problem((), _clean(str(exc)))]


def _has_non_xml_text(node: Any) -> bool:
    """A key or string anywhere in `node` holds a character XML cannot carry (the walk
    reports each one where it is)."""
    if isinstance(node, str):
        return first_non_xml_char(node) is not None
    if isinstance(node, dict):
        return any(_has_non_xml_text(k) or _has_non_xml_text(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_non_xml_text(v) for v in node)
    return False


def _cross_problems(data: dict[str, Any]) -> list[Problem]:
    """Checks across entries (unique names, certificate references), each located at the
    offending value; the same rules as the __post_init__ methods, which guard the types."""
    found: list[Problem] = []

    def unique(section: str, key: str, fold: bool) -> None:
        seen: dict[str, int] = {}
        for index, entry in enumerate(data.get(section) or []):
            value = str(entry.get(key, ""))
            norm = value.lower() if fold else value
            if norm in seen:
                found.append(
                    Problem(
                        (section, index, key),
                        f"{key} {value!r} appears twice (first at {section}[{seen[norm]}])",
                    )
                )
            seen.setdefault(norm, index)

    for index, entry in enumerate(data.get("certificates") or []):
        if isinstance(entry, dict) and entry.get("upload") and not entry.get("key"):
            found.append(
                Problem(
                    ("certificates", index, "upload"),
                    "upload: true needs the certificate's key (key:); Entra's own "
                    "certificates are never uploaded",
                )
            )
    unique("users", "upn", True)
    unique("groups", "name", False)
    unique("certificates", "name", False)
    known = {str(c.get("name")) for c in data.get("certificates") or []}
    sets: list[tuple[tuple[str | int, ...], Any]] = [(("signing",), data.get("signing"))]
    sets += [
        (("apps", name, "signing"), app.get("signing"))
        for name, app in (data.get("apps") or {}).items()
    ]
    for where, sset in sets:
        if not sset:
            continue
        names = [str(n) for n in sset.get("certificates") or []]
        for index, name in enumerate(names):
            if name not in known:
                found.append(
                    Problem(
                        (*where, "certificates", index),
                        f"certificate {name!r} is not in the keyring (certificates:)",
                    )
                )
        for index, name in enumerate(str(n) for n in sset.get("new_in_entra") or []):
            if name in known or name in names:
                found.append(
                    Problem(
                        (*where, "new_in_entra", index),
                        f"{name!r} is already a certificate name; Entra's new one needs its own",
                    )
                )
        active = sset.get("active")
        if active is not None and str(active) not in names:
            found.append(
                Problem(
                    (*where, "active"),
                    f"active certificate {active!r} is not in this set's certificates",
                )
            )
    return found


_CROSS_CHECKED: frozenset[type] = frozenset({Tenant, SigningSet})


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _check(node: Any, tp: Any, path: tuple[str | int, ...], out: list[Problem]) -> None:
    """Walk `node` along type `tp`, appending every problem; msgspec judges the leaves."""
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        _check_struct(node, tp, path, out)
        return
    if origin is Annotated:
        base = typing.get_args(tp)[0]
        if _is_container(base):
            before = len(out)
            _check(node, base, path, out)
            if len(out) == before and typing.get_origin(base) in (list, dict):
                _leaf(node, tp, path, out)  # constraints on the container (min_length)
            return
        _leaf(node, tp, path, out)
        return
    if origin is list and isinstance(node, list):
        (item,) = typing.get_args(tp)
        for index, value in enumerate(node):
            _check(value, item, (*path, index), out)
        return
    if origin is dict and isinstance(node, dict):
        key_type, value_type = typing.get_args(tp)
        for key, value in node.items():
            _leaf(key, key_type, (*path, key), out, what="key")
            _check(value, value_type, (*path, key), out)
        return
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if node is None and len(options) < len(typing.get_args(tp)):
            return
        if len(options) == 1:
            _check(node, options[0], path, out)
            return
    _leaf(node, tp, path, out)


def _is_container(tp: Any) -> bool:
    """A type the walk descends into (rather than handing it to msgspec whole)."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return True
    origin = typing.get_origin(tp)
    if origin in (list, dict):
        return True
    if origin in (Union, types.UnionType):
        return any(_is_container(a) for a in typing.get_args(tp))
    return False


def _check_struct(node: Any, cls: type, path: tuple[str | int, ...], out: list[Problem]) -> None:
    if not isinstance(node, dict):
        out.append(Problem(path, f"expected a mapping, got {_kind(node)}"))
        return
    hints = _hints(cls)
    required = {f.name for f in msgspec.structs.fields(cls) if f.required}
    names: tuple[str, ...] = getattr(cls, "__struct_fields__", ())
    before = len(out)
    for key in node:
        if key not in hints:
            out.append(
                Problem(
                    (*path, key),
                    f"unknown key {key!r}; check its spelling against `ssoctl schema`",
                    at_key=True,
                )
            )
    for name in names:
        if name in node:
            _check(node[name], hints[name], (*path, name), out)
        elif name in required:
            out.append(Problem((*path, name), f"required key {name!r} is missing"))
    if len(out) == before and cls not in _CROSS_CHECKED:
        try:
            msgspec.convert(node, cls)  # runs __post_init__ cross-checks
        except msgspec.ValidationError as exc:
            out.append(Problem(path, _clean(str(exc))))


def _leaf(
    node: Any, tp: Any, path: tuple[str | int, ...], out: list[Problem], what: str = "value"
) -> None:
    try:
        msgspec.convert(node, tp)
        bad = first_non_xml_char(node) if isinstance(node, str) else None
        if bad:
            out.append(
                Problem(
                    path,
                    f"{what} {node!r} contains {bad}, a character XML cannot carry "
                    "(every value may end up in metadata or a SAML Response); remove it",
                    at_key=what == "key",
                )
            )
    except msgspec.ValidationError as exc:
        message = _clean(str(exc))
        choices = literal_values(tp)
        if choices and message.startswith("invalid enum value"):
            message = f"expected one of: {', '.join(map(str, choices))}"
        if isinstance(node, (str, int, float, bool)) or node is None:
            out.append(Problem(path, f"{what} {node!r} is not valid: {message}"))
        else:
            out.append(Problem(path, f"{_kind(node)} here is not valid: {message}"))


def _clean(message: str) -> str:
    text = re.sub(r" - at `\$[^`]*`$", "", message)
    text = text.replace("Expected `", "expected ").replace("`", "")
    for pattern, words in PATTERN_WORDS.items():
        for shown in (pattern, pattern.replace("\\", "\\\\")):
            text = text.replace(f"expected str matching regex '{shown}'", f"expected {words}")
    return text[0].lower() + text[1:] if text else text


def literal_values(tp: Any) -> tuple[Any, ...]:
    """The values of a Literal type (through Annotated and Optional), else ()."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return literal_values(typing.get_args(tp)[0])
    if origin is Literal:
        return typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return tuple(v for arg in typing.get_args(tp) for v in literal_values(arg))
    return ()


def value_problem(value: Any, tp: Any) -> str | None:
    """Why `value` is not a valid `tp` (a field type of this module), in the words the
    tenant file's own errors use; None when it is valid. The command line checks its
    options with this, so a value is judged by the same rule wherever it is written."""
    found: list[Problem] = []
    _leaf(value, tp, (), found)
    return found[0].message if found else None


def _kind(node: Any) -> str:
    if isinstance(node, dict):
        return "a mapping"
    return "a list" if isinstance(node, list) else type(node).__name__

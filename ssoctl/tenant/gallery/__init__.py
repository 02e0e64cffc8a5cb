"""The app gallery: templates kept as data, one YAML file per app beside this module.

A template says what Entra's gallery entry and the SP expect: SSO mode, the regions or
platforms with their exact endpoints or patterns, Sign-on URL choices, required claims,
the user-matching rule, provisioning and clouds. Correcting a fact means editing YAML.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Literal

import msgspec
import yaml
from msgspec import field

from ssoctl.errors import UsageError
from ssoctl.tenant.model import ClaimSource, NameId

# Placeholders usable in endpoint patterns, and what each may stand for.
PLACEHOLDERS = {
    "host": r"{label}(?:\.{label})+(?::\d{{1,5}})?".format(
        label=r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    ),
    "path": r"[^\s#]*",
    "account-id": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "any": r"\S.*",
}


class _Data(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class UserMatching(_Data, frozen=True, kw_only=True):
    rule: Literal["none", "mail-equals-upn"] = "none"
    note: str | None = None


class Provisioning(_Data, frozen=True, kw_only=True):
    supported: bool
    protocol: str | None = None
    tenant_url: str | None = None
    note: str | None = None


class Variant(_Data, frozen=True, kw_only=True):
    description: str
    identifiers: list[str] = field(default_factory=list)
    reply_urls: list[str] = field(default_factory=list)
    legacy_identifiers: list[str] = field(default_factory=list)
    who: str | None = None  # which accounts belong here, in the admin's terms
    identifier_patterns: list[str] | None = None
    reply_url_patterns: list[str] | None = None
    sign_on_urls: list[str] | None = None
    user_matching: UserMatching | None = None
    sp_side: list[str] | None = None


class Template(_Data, frozen=True, kw_only=True):
    name: str
    display_name: str
    description: str
    sso_mode: Literal["idp-initiated", "sp-initiated", "either"]
    clouds: list[Literal["public", "usgov"]]
    provisioning: Provisioning
    variant_kind: Literal["region", "platform"] | None
    default_variant: str | None
    variants: dict[str, Variant]
    identifier_patterns: list[str] = field(default_factory=list)
    reply_url_patterns: list[str] = field(default_factory=list)
    sign_on_urls: list[str] = field(default_factory=list)
    legacy_sign_on_urls: list[str] = field(default_factory=list)
    name_id: NameId
    required_claims: dict[str, ClaimSource]
    user_matching: UserMatching = field(default_factory=UserMatching)
    sp_side: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def variant(self, name: str | None) -> Variant | None:
        return self.variants.get(name) if name else None

    def require_variant(self, name: str | None) -> tuple[str | None, Variant | None]:
        """The named (or default) variant; a usage error listing valid ones otherwise."""
        if self.variant_kind is None:
            if name:
                raise UsageError(f"template {self.name!r} has no regions or platforms.")
            return None, None
        # Regions are never defaulted: a European admin silently given the US endpoints
        # gets sign-ins that fail. Platforms may have a default (Mitel's shared portal).
        chosen = name or (self.default_variant if self.variant_kind == "platform" else None)
        if chosen is None or chosen not in self.variants:
            flag = f"--{self.variant_kind}"
            what = f"unknown {self.variant_kind} {chosen!r}" if chosen else f"{flag} is required"
            listed = "; ".join(
                f"{n}: {v.description}" + (f" ({v.who})" if v.who else "")
                for n, v in self.variants.items()
            )
            raise UsageError(
                f"{what} for {self.display_name}. {self.variant_kind.capitalize()}s: {listed}.",
                hint=f"pass {flag} with one of: {', '.join(self.variants)}.",
            )
        return chosen, self.variants[chosen]

    # Effective values: a variant's own value wins over the template's.
    def identifier_patterns_for(self, variant: Variant | None) -> list[str]:
        if variant and variant.identifier_patterns is not None:
            return variant.identifier_patterns
        return self.identifier_patterns

    def reply_url_patterns_for(self, variant: Variant | None) -> list[str]:
        if variant and variant.reply_url_patterns is not None:
            return variant.reply_url_patterns
        return self.reply_url_patterns

    def sign_on_urls_for(self, variant: Variant | None) -> list[str]:
        if variant and variant.sign_on_urls is not None:
            return variant.sign_on_urls
        return self.sign_on_urls

    def user_matching_for(self, variant: Variant | None) -> UserMatching:
        return variant.user_matching if variant and variant.user_matching else self.user_matching

    def sp_side_for(self, variant: Variant | None) -> list[str]:
        return variant.sp_side if variant and variant.sp_side is not None else self.sp_side


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Compile an endpoint pattern such as `https://x/{account-id}` into a full-match regex."""
    parts = re.split(r"\{([a-z-]+)\}", pattern)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            if part not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{part}}} in {pattern!r}")
            out.append(f"(?:{PLACEHOLDERS[part]})")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def matches(url: str, patterns: list[str]) -> bool:
    return any(pattern_regex(p).fullmatch(url) for p in patterns)


@functools.lru_cache(maxsize=1)
def templates() -> dict[str, Template]:
    """All templates, by name, in file-name order."""
    found: dict[str, Template] = {}
    folder = resources.files(__package__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            # libyaml's loader: the pure-Python one took ~60 ms for three small files.
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(entry.read_text(encoding="utf-8"), Loader=loader)
            template = msgspec.convert(data, Template)
            found[template.name] = template
    return found


def get(name: str) -> Template:
    try:
        return templates()[name]
    except KeyError:
        valid = ", ".join(templates())
        raise UsageError(
            f"no gallery template named {name!r}; available: {valid}.",
            hint="run `ssoctl gallery list`.",
        ) from None

"""Rules about apps: URLs, gallery endpoints, SSO mode, claims."""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

from ssoctl.findings import Finding, Severity
from ssoctl.rules.registry import Context, register
from ssoctl.tenant import gallery
from ssoctl.tenant.model import App
from ssoctl.urls import MAX_REPLY_URLS, format_problems, host_of, https_problem


def _url_fields(app: App) -> Iterator[tuple[str, int | None, str]]:
    for i, url in enumerate(app.identifiers):
        if "://" in url:
            yield "identifiers", i, url
    for i, url in enumerate(app.reply_urls):
        yield "reply_urls", i, url
    for key in ("sign_on_url", "logout_url"):
        value = getattr(app, key)
        if value:
            yield key, None, value


def _path(name: str, key: str, index: int | None) -> tuple[str | int, ...]:
    return ("apps", name, key) if index is None else ("apps", name, key, index)


@register("url-https", Severity.error)
def url_https(ctx: Context) -> Iterator[Finding]:
    """Identifier, Reply, Sign-on and Logout URLs use https.

    Entra accepts http only for localhost. An http Reply URL cannot be saved in Entra,
    and a Response posted over http would expose the assertion. Fix: use the https URL
    the SP documents.
    """
    for name, app in ctx.model.apps.items():
        for key, index, url in _url_fields(app):
            problem = https_problem(url)
            if problem:
                yield ctx.finding(
                    f"{problem}; change {key} of app {name!r} to https.",
                    *_path(name, key, index),
                )


@register("url-format", Severity.error)
def url_format(ctx: Context) -> Iterator[Finding]:
    """Reply URLs follow Entra's format rules.

    At most 256 characters and at most 256 Reply URLs per app; none of ``! $ ' ( ) , ;``;
    no fragment, no wildcard (discouraged by Entra: a warning), no explicit `:443`, no
    surrounding whitespace. Reply URLs are matched case-sensitively (AADSTS50011 when
    the SP asks for one that differs).
    """
    for name, app in ctx.model.apps.items():
        if len(app.reply_urls) > MAX_REPLY_URLS:
            yield ctx.finding(
                f"app {name!r} has {len(app.reply_urls)} Reply URLs; "
                f"Entra allows {MAX_REPLY_URLS}.",
                "apps",
                name,
                "reply_urls",
            )
        for index, url in enumerate(app.reply_urls):
            for problem in format_problems(url):
                severity = Severity.warning if problem.discouraged else None
                yield ctx.finding(
                    f"Reply URL {problem.text}; {problem.fix}.",
                    "apps",
                    name,
                    "reply_urls",
                    index,
                    severity=severity,
                )


def _lookalike(host: str, known: set[str]) -> str | None:
    for candidate in known:
        if host != candidate and SequenceMatcher(None, host, candidate).ratio() >= 0.8:
            return candidate
    return None


@register("gallery-endpoint", Severity.error)
def gallery_endpoint(ctx: Context) -> Iterator[Finding]:
    """Identifier and Reply URL match the template's known endpoints.

    For RingCentral the values are exact per region (`us`, `euro`); a Reply URL of one
    region with an Identifier of another, a `region:` that disagrees with the URLs, and a
    look-alike host (`ssoeuro.ringcentral.co`) are errors. For Mitel, a value outside the
    platform's known pattern is a warning only: no source confirms Mitel's patterns, so
    they are hints, never a refusal. A wrong Identifier gives AADSTS700016 at sign-in; a
    wrong Reply URL gives AADSTS50011.
    """
    templates = gallery.templates()
    for name, app in ctx.model.apps.items():
        template = templates.get(app.template)
        if template is None:
            yield ctx.finding(
                f"app {name!r} uses template "
                f"{app.template!r}, which the gallery does not have "
                f"({', '.join(templates)}).",
                "apps",
                name,
                "template",
            )
            continue
        chosen = app.region or app.platform
        key = "region" if app.region else "platform"
        if template.variant_kind and chosen not in template.variants:
            valid = ", ".join(template.variants)
            where = ("apps", name, key) if chosen else ("apps", name)
            yield ctx.finding(
                f"app {name!r}: {template.variant_kind} {chosen!r} is not one of {valid}.",
                *where,
            )
            continue
        variant = template.variant(chosen)
        yield from _exact(ctx, name, app, template, chosen, key)
        for field, patterns in (
            ("identifiers", template.identifier_patterns_for(variant)),
            ("reply_urls", template.reply_url_patterns_for(variant)),
        ):
            if variant and getattr(variant, field):
                continue  # exact values known: checked above
            for index, url in enumerate(getattr(app, field)):
                if patterns and not gallery.matches(url, patterns):
                    code = "AADSTS700016" if field == "identifiers" else "AADSTS50011"
                    yield ctx.finding(
                        f"{url!r} does not match the pattern seen for "
                        f"{template.display_name} ({' or '.join(patterns)}); no source "
                        f"confirms the pattern, so check the value in the SP's portal "
                        f"({code} at sign-in if it is wrong).",
                        "apps",
                        name,
                        field,
                        index,
                        severity=Severity.warning,
                    )


def _exact(
    ctx: Context, name: str, app: App, template: gallery.Template, chosen: str | None, key: str
) -> Iterator[Finding]:
    variant = template.variant(chosen)
    if variant is None:
        return
    for field, code in (("identifiers", "AADSTS700016"), ("reply_urls", "AADSTS50011")):
        expected: list[str] = getattr(variant, field)
        if not expected:
            continue
        for index, url in enumerate(getattr(app, field)):
            if url in expected:
                continue
            if field == "identifiers" and url in variant.legacy_identifiers:
                yield ctx.finding(
                    f"{url!r} is the legacy {template.display_name} {chosen} Identifier; it "
                    f"stays valid for accounts set up with it (new ones use {expected[0]!r}).",
                    "apps",
                    name,
                    field,
                    index,
                    severity=Severity.info,
                )
                continue
            other = next(
                (v for v, var in template.variants.items() if url in getattr(var, field)), None
            )
            known_hosts = {
                host_of(u) for var in template.variants.values() for u in getattr(var, field)
            }
            lookalike = _lookalike(host_of(url), known_hosts)
            if other:
                message = (
                    f"{url!r} is the {other} {template.variant_kind} value but the app "
                    f"says {key} {chosen!r}; use {expected[0]!r} or set {key}: {other} "
                    f"({code} at sign-in)."
                )
            elif lookalike:
                message = (
                    f"{url!r} has host {host_of(url)!r}, a look-alike of {lookalike!r}; "
                    f"{template.display_name} {chosen} uses {expected[0]!r} ({code})."
                )
            else:
                message = (
                    f"{url!r} is not {template.display_name}'s {chosen} value "
                    f"{expected[0]!r} ({code} at sign-in)."
                )
            yield ctx.finding(message, "apps", name, field, index)


@register("identifier-unique", Severity.error)
def identifier_unique(ctx: Context) -> Iterator[Finding]:
    """No Identifier is shared by two apps of one tenant.

    Entra refuses a second app with the same Identifier; an SP's AuthnRequest would be
    ambiguous. Fix: each app keeps its own entity ID.
    """
    seen: dict[str, str] = {}
    for name, app in ctx.model.apps.items():
        for index, identifier in enumerate(app.identifiers):
            if identifier in seen and seen[identifier] != name:
                yield ctx.finding(
                    f"Identifier {identifier!r} is also used "
                    f"by app {seen[identifier]!r}; Identifiers must be unique in a "
                    "tenant.",
                    "apps",
                    name,
                    "identifiers",
                    index,
                )
            seen.setdefault(identifier, name)


@register("sso-mode", Severity.error)
def sso_mode(ctx: Context) -> Iterator[Finding]:
    """The Sign-on URL fits the app's SSO mode.

    SP-initiated apps (Mitel Connect) need a Sign-on URL, one of the template's choices:
    without it, launching from My Apps sends an IdP-initiated Response the SP refuses.
    IdP-initiated apps (RingCentral) with a Sign-on URL get a warning: Entra would then
    send users to the SP instead of posting a Response.
    """
    for name, app in ctx.model.apps.items():
        template = gallery.templates().get(app.template)
        if template is None:
            continue
        choices = template.sign_on_urls_for(template.variant(app.region or app.platform))
        if template.sso_mode == "sp-initiated":
            if not app.sign_on_url:
                hint = f" such as {choices[0]!r}" if choices else ""
                yield ctx.finding(
                    f"app {name!r} is SP-initiated and needs a sign_on_url{hint}.",
                    "apps",
                    name,
                )
            elif choices and app.sign_on_url not in choices:
                yield ctx.finding(
                    f"Sign-on URL {app.sign_on_url!r} is not one of {', '.join(choices)}.",
                    "apps",
                    name,
                    "sign_on_url",
                )
        elif template.sso_mode == "idp-initiated" and app.sign_on_url:
            yield ctx.finding(
                f"app {name!r} is IdP-initiated; a Sign-on URL makes "
                "Entra send users to the SP instead of posting a Response; "
                "remove it.",
                "apps",
                name,
                "sign_on_url",
                severity=Severity.warning,
            )


@register("required-claims", Severity.error)
def required_claims(ctx: Context) -> Iterator[Finding]:
    """The template's required claims are configured, from the right source.

    RingCentral needs `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress`
    from `user.mail`; without it RingCentral cannot match the user and refuses the sign-in.
    """
    for name, app in ctx.model.apps.items():
        template = gallery.templates().get(app.template)
        if template is None:
            continue
        for claim, source in template.required_claims.items():
            got = app.effective_claims().get(claim)
            if got is None:
                yield ctx.finding(
                    f"app {name!r} lacks the claim {claim} "
                    f"({source}), which {template.display_name} requires.",
                    "apps",
                    name,
                    "claims" if app.claims is not None else "template",
                )
            elif got != source:
                yield ctx.finding(
                    f"claim {claim} reads {got}; {template.display_name} expects {source}.",
                    "apps",
                    name,
                    "claims",
                    claim,
                )


@register("app-id-missing", Severity.warning)
def app_id_missing(ctx: Context) -> Iterator[Finding]:
    """The app's Application ID (the one Entra assigned) is not recorded.

    Entra assigns it when the enterprise application is created; the App Federation
    Metadata URL that SPs such as RingCentral fetch is built on it, so until it is
    recorded `app show` prints that URL with a placeholder. Fix: copy it from the
    enterprise application's Overview page and run `ssoctl app set NAME --app-id GUID`.
    """
    for name, app in ctx.model.apps.items():
        if app.app_id is None:
            yield ctx.finding(
                f"app {name!r} has no app_id: its App Federation Metadata URL is unknown. "
                f"Copy the Application ID from Entra (the app's Overview page) and run "
                f"`ssoctl app set {name} --app-id GUID`.",
                "apps",
                name,
            )


@register("app-signing-set", Severity.info)
def app_signing_set(ctx: Context) -> Iterator[Finding]:
    """An app signs with the tenant default set instead of its own (a file written
    before per-app sets).

    In Entra every enterprise app has its own SAML signing certificates; a rollover of
    a shared set changes every app at once. It keeps working. Fix, when convenient:
    `ssoctl cert activate ACTIVE --app NAME` gives the app its own set, a copy of the
    default one, still signing with the same certificate.
    """
    if ctx.model.signing is None:
        return
    for name, app in ctx.model.apps.items():
        if app.signing is None:
            yield ctx.finding(
                f"app {name!r} signs with the tenant default set; Entra gives each app its "
                f"own. `ssoctl cert activate {ctx.model.signing.active or 'NAME'} --app "
                f"{name}` gives it its own set without changing what it signs with.",
                "apps",
                name,
            )


@register("app-incomplete", Severity.warning)
def app_incomplete(ctx: Context) -> Iterator[Finding]:
    """An app has no Identifier or no Reply URL yet.

    Allowed while setting up an account-specific app (Mitel Connect), whose values come
    from the SP's portal or its metadata; until then no sign-in can be tested or made.
    Fix: `ssoctl metadata import SP-METADATA --app NAME`, or `ssoctl app set NAME
    --identifier URL --reply-url URL`.
    """
    for name, app in ctx.model.apps.items():
        missing = app.missing_fields()
        if missing:
            yield ctx.finding(
                f"app {name!r} has no {' and no '.join(missing)} yet; fill them with "
                f"`ssoctl metadata import SP-METADATA --app {name}` or `ssoctl app set {name} "
                "--identifier URL --reply-url URL`.",
                "apps",
                name,
            )


@register("logout-issuer", Severity.info)
def logout_issuer(ctx: Context) -> Iterator[Finding]:
    """An app has a Logout URL: Entra's LogoutResponses carry another Issuer than its
    sign-in Responses.

    Entra's LogoutResponse Issuer is `https://login.microsoftonline.com/{tenant}/`, not
    the Microsoft Entra Identifier `https://sts.windows.net/{tenant}/` of its Responses and
    metadata (shared/docs/entra-saml.md, Single logout). An SP that looks the Issuer up
    in the IdP's metadata (SimpleSAMLphp, python3-saml in strict mode) refuses Entra's
    LogoutResponse, and its users see an error after signing out. The twin sends the same
    Issuer, so try single logout through it. Fix: check the SP accepts that Issuer for
    logout, or leave the Logout URL empty.
    """
    from ssoctl.endpoints import idp_endpoints

    tenant = ctx.model.tenant
    issuer = idp_endpoints(str(tenant.id), tenant.cloud).logout_issuer
    for name, app in ctx.model.apps.items():
        if app.logout_url:
            yield ctx.finding(
                f"app {name!r} has a Logout URL: Entra's LogoutResponses carry the Issuer "
                f"{issuer}, not the Microsoft Entra Identifier; check that the SP accepts "
                "it (try single logout through `ssoctl idp serve`).",
                "apps", name, "logout_url",
            )  # fmt: skip

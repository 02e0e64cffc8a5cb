"""The checks an SP runs on a SAML Response, each with a pass/fail line and a reason.

Identity and attributes are read ONLY from the element signxml returns as signed, and a
Response whose structure is ambiguous (several assertions, duplicate IDs, a signature
that covers something other than the Response or its one Assertion) is refused: this is
the defence against signature wrapping (XSW1-XSW8).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from lxml import etree

from ssoctl.certs import thumbprint_sha1
from ssoctl.instants import parse_instant
from ssoctl.saml import signing
from ssoctl.saml.response import STATUS_SUCCESS
from ssoctl.saml.summary import audience_restrictions, summarize
from ssoctl.saml.xml import NS, tag, text_of


@dataclass(frozen=True)
class Expectations:
    """What the SP knows. Empty lists mean "not checked" (for example with --cert only)."""

    trusted: list[x509.Certificate]
    at: dt.datetime
    skew: dt.timedelta = dt.timedelta(minutes=5)
    issuer: str | None = None
    reply_urls: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    in_response_to: str | None = None
    trust_embedded: bool = False
    ignore_cert_dates: bool = False  # as most SP libraries: the key, not the dates, matters
    # The SP's private key for EncryptedAssertion and EncryptedID (xmlenc.load_key), or
    # None: an encrypted assertion is then refused, naming --decrypt-key.
    decryption_key: Any = None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not checked
    reason: str
    warning: bool = False  # passed, with something the admin should know (SHA-1)


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return all(c.ok is not False for c in self.checks) and bool(self.checks)

    def add(self, name: str, ok: bool | None, reason: str, *, warning: bool = False) -> bool:
        self.checks.append(Check(name, ok, reason, warning))
        return ok is not False


def _times(named: list[tuple[str, str | None]], problems: list[str]) -> list[dt.datetime | None]:
    """Each present value parsed; one that is not an xs:dateTime is a problem, never
    silently ignored (an SP that ignores a NotBefore it cannot read accepts too early)."""
    parsed = []
    for name, value in named:
        moment = parse_instant(value) if value else None
        if value and moment is None:
            problems.append(f"{name} {value!r} is not an xs:dateTime")
        parsed.append(moment)
    return parsed


def verify_response(root: etree._Element, expect: Expectations) -> Outcome:
    out = Outcome()
    out.add("parse", True, "well-formed, no DTD, within size and depth limits")
    if root.tag != tag("samlp", "Response"):
        out.add(
            "structure", False, f"the root is <{etree.QName(root).localname}>, not samlp:Response"
        )
        return out
    status = root.find(f"{tag('samlp', 'Status')}/{tag('samlp', 'StatusCode')}")
    code = status.get("Value") if status is not None else None
    if not out.add(
        "status",
        code == STATUS_SUCCESS,
        "Success" if code == STATUS_SUCCESS else f"status is {code or 'missing'}",
    ):
        return out

    encrypted = root.find(tag("saml", "EncryptedAssertion")) is not None
    response_signed = root.find(tag("ds", "Signature")) is not None
    if encrypted and not response_signed:
        # Only the Assertion can be signed: decrypt first, then verify it as usual.
        decrypted = _decrypted(root, expect, out)
        if decrypted is None:
            return out
        root = decrypted
    assertion = _structure(root, out)
    if assertion is None:
        return out
    signed = _signature(root, assertion, expect, out)
    if signed is None:
        return out
    if encrypted and response_signed:
        # The Response's signature covers the ciphertext: verified above on the message as
        # sent; what it vouches for is then decrypted, and an Assertion signature inside
        # is verified too (SAML Core 6.2: sign, then encrypt).
        opened = _decrypted(signed, expect, out)
        if opened is None:
            return out
        signed = opened
        if _structure(signed, out) is None:  # the decrypted Response, checked as any other
            return out
        inner = signed.find(tag("saml", "Assertion"))
        if inner is not None and inner.find(tag("ds", "Signature")) is not None:
            _verify_inner(signed, _trusted_for(root, expect), expect, out)
    if signed.find(f".//{tag('saml', 'Subject')}/{tag('saml', 'EncryptedID')}") is not None:
        # The NameID is decrypted only now: the signature that covers it is verified.
        opened = _decrypted(signed, expect, out, ids=True)
        if opened is None:
            return out
        signed = opened
    # From here on, read only from the signed element.
    signed_assertion = (
        signed if signed.tag == tag("saml", "Assertion") else signed.find(tag("saml", "Assertion"))
    )
    signed_response = signed if signed.tag == tag("samlp", "Response") else None
    if signed_assertion is None:
        out.add("structure", False, "the signed Response holds no Assertion")
        return out
    _content_checks(signed_response, root, signed_assertion, expect, out)
    out.summary = summarize(
        signed_assertion,
        signed_response if signed_response is not None else root,
        response_signed=signed_response is not None,
    )
    return out


def _decrypted(
    root: etree._Element, expect: Expectations, out: Outcome, ids: bool = False
) -> etree._Element | None:
    """A copy of `root` with its EncryptedAssertion (or, with `ids`, the EncryptedID of
    its Subject) decrypted, or None with the reason recorded."""
    import copy

    from ssoctl.errors import SsoctlError
    from ssoctl.saml import xmlenc

    if expect.decryption_key is None:
        out.add(
            "decryption",
            False,
            f"the {'NameID' if ids else 'assertion'} is encrypted: give the SP's private "
            "key with --decrypt-key PEM",
        )
        return None
    opened = copy.deepcopy(root)
    try:
        done = (xmlenc.decrypt_ids if ids else xmlenc.decrypt_assertions)(
            opened, expect.decryption_key
        )
    except SsoctlError as exc:
        out.add("decryption", False, exc.message)
        return None
    warning = "; ".join(done.warnings)
    out.add(
        "decryption",
        True,
        f"{done.elements} element(s) decrypted ({', '.join(dict.fromkeys(done.algorithms))})"
        + (f"; {warning}" if warning else ""),
        warning=bool(warning),
    )
    return opened


def _trusted_for(root: etree._Element, expect: Expectations) -> list[x509.Certificate]:
    if expect.trusted or not expect.trust_embedded:
        return list(expect.trusted)
    embedded = signing.embedded_certificate(root)
    return [embedded] if embedded is not None else []


def _structure(root: etree._Element, out: Outcome) -> etree._Element | None:
    """Exactly one Assertion, a direct child of the Response, and no duplicate IDs.
    Assertions inside an Assertion's Advice are the IdP's evidence, not the statement
    about the user: they are not counted, and never read as identity or claims."""
    advice = tag("saml", "Advice")
    assertions = [
        a
        for a in root.iter(tag("saml", "Assertion"))
        if not any(p.tag == advice for p in a.iterancestors())
    ]
    direct = root.findall(tag("saml", "Assertion"))
    encrypted = root.findall(tag("saml", "EncryptedAssertion"))
    if encrypted:
        # A signed Response around an EncryptedAssertion: its signature is verified
        # before decryption, on the message as sent; the EncryptedAssertion stands for
        # the one Assertion until then.
        if len(encrypted) + len(direct) != 1:
            out.add(
                "structure",
                False,
                f"{len(encrypted)} EncryptedAssertion and {len(direct)} Assertion elements "
                "directly under the Response; exactly one is allowed",
            )
            return None
        out.add("structure", True, "one EncryptedAssertion, directly under the Response")
        return encrypted[0]
    if len(direct) > 1:
        # SAML Profiles 4.1.4.2 allows several Assertions about the same subject; Entra
        # sends one, and python3-saml refuses more ("SAML Response must contain 1
        # assertion"): which one an SP reads is where signature-wrapping attacks hide.
        out.add(
            "structure",
            False,
            f"{len(direct)} Assertions directly under the Response: the SSO profile allows "
            "several about one user (SAML Profiles 4.1.4.2), but ssoctl, like python3-saml, "
            "accepts exactly one (Entra sends one; with several, which one is read is where "
            "signature wrapping hides)",
        )
        return None
    if len(assertions) != 1 or len(direct) != 1:
        out.add(
            "structure",
            False,
            f"{len(assertions)} Assertion elements ({len(direct)} directly under the "
            "Response); exactly one is allowed (signature wrapping defence)",
        )
        return None
    ids = Counter(e.get("ID") for e in root.iter() if isinstance(e.tag, str) and e.get("ID"))
    duplicates = [i for i, n in ids.items() if n > 1]
    if duplicates:
        out.add("structure", False, f"duplicate ID {duplicates[0]!r} (signature wrapping)")
        return None
    out.add("structure", True, "one Assertion, directly under the Response; IDs unique")
    return direct[0]


def _signature(
    root: etree._Element, assertion: etree._Element, expect: Expectations, out: Outcome
) -> etree._Element | None:
    """Verify the Response's signature if it has one, else the Assertion's; return the
    element signxml vouches for."""
    response_sig = root.find(tag("ds", "Signature"))
    assertion_sig = assertion.find(tag("ds", "Signature"))
    if response_sig is None and assertion_sig is None:
        out.add("signature", False, "neither the Response nor the Assertion is signed")
        return None
    target, owner = (root, "Response") if response_sig is not None else (assertion, "Assertion")
    wanted_id = target.get("ID")
    candidates = list(expect.trusted)
    # The message's own certificate is used only when nothing is trusted: with an app's
    # or a given certificate it would let any key "verify" (a forgery must never pass).
    embedded_only = expect.trust_embedded and not candidates
    if embedded_only:
        embedded = signing.embedded_certificate(target)
        if embedded is None:
            out.add("signature", False, f"the {owner} signature carries no X509Certificate")
            return None
        candidates = [embedded]
    if not candidates:
        out.add(
            "signature",
            False,
            "no trusted certificate: give --app, --cert or --trust-embedded-cert",
        )
        return None
    errors = []
    for cert in candidates:
        try:
            verified = signing.verify(etree.tostring(target), cert, at=_check_at(cert, expect))
        except signing.SignatureError as exc:
            errors.append(str(exc))
            continue
        signed = verified.signed_element
        if signed.get("ID") != wanted_id or signed.tag != target.tag:
            out.add(
                "signature",
                False,
                f"the signature covers {signed.get('ID')!r}, not the "
                f"{owner} {wanted_id!r} (signature wrapping)",
            )
            return None
        trust = (
            "the certificate embedded in the message (integrity only: it does not prove who signed)"
            if embedded_only
            else "a trusted certificate"
        )
        out.add(
            "signature",
            True,
            f"the {owner} signature verifies with {trust}"
            + (
                "; certificate dates NOT checked (--ignore-cert-dates)"
                if expect.ignore_cert_dates
                else ""
            ),
            warning=expect.ignore_cert_dates,
        )
        out.add(
            "certificate",
            True if not embedded_only else None,
            f"thumbprint {thumbprint_sha1(cert)}"
            + ("" if not embedded_only else " (embedded; not checked against a trusted list)"),
        )
        weak = verified.weak
        out.add(
            "algorithm",
            True,
            f"{verified.signature_method.rsplit('#', 1)[-1]}: SHA-1 is weak; Entra's default "
            "is SHA-256"
            if weak
            else f"{verified.signature_method.rsplit('#', 1)[-1]}",
            warning=weak,
        )
        if response_sig is not None and assertion_sig is not None:
            _verify_inner(signed, [cert, *(c for c in candidates if c is not cert)], expect, out)
        return signed
    out.add(
        "signature",
        False,
        f"the {owner} signature does not verify: {_why(target, candidates, errors)}",
    )
    return None


def _why(target: etree._Element, trusted: list[x509.Certificate], errors: list[str]) -> str:
    """Why no trusted certificate verified the signature, in words: most often the message
    was signed by another certificate (another app, another tenant, a rolled-over key)."""
    embedded = signing.embedded_certificate(target)
    known = [thumbprint_sha1(c) for c in trusted]
    if embedded is not None and thumbprint_sha1(embedded) not in known:
        return (
            f"it was signed by a certificate that is not trusted here (thumbprint "
            f"{thumbprint_sha1(embedded)}); trusted: {', '.join(known)}"
        )
    reason = next((e for e in reversed(errors) if e.strip(" :")), "")
    return reason or "the signature value does not match the signed content"


def _check_at(cert: x509.Certificate, expect: Expectations) -> dt.datetime:
    return signing.judged_at(cert, expect.at, expect.ignore_cert_dates)


def _verify_inner(
    signed_response: etree._Element,
    candidates: list[x509.Certificate],
    expect: Expectations,
    out: Outcome,
) -> None:
    """The Assertion's own signature, when the Response is signed too: it must verify
    with a trusted certificate (the Response's first), under the same date rules."""
    inner = signed_response.find(tag("saml", "Assertion"))
    if inner is None:
        return
    errors = []
    for cert in candidates:
        try:
            signing.verify(etree.tostring(inner), cert, at=_check_at(cert, expect))
        except signing.SignatureError as exc:
            errors.append(str(exc))
            continue
        out.add("assertion-signature", True, "the Assertion's own signature verifies too")
        return
    out.add(
        "assertion-signature",
        False,
        f"the Assertion's signature does not verify: {_why(inner, candidates, errors)}",
    )


def _content_checks(
    response: etree._Element | None,
    root: etree._Element,
    assertion: etree._Element,
    expect: Expectations,
    out: Outcome,
) -> None:
    """Every value checked here comes from the signed Assertion, or from the Response when
    the Response itself was signed (`response`); `root` (possibly unsigned) is only ever
    an extra constraint, never what satisfies a check."""
    saml = NS["saml"]
    issuer = text_of(assertion.find(f"{{{saml}}}Issuer"))
    if expect.issuer:
        out.add(
            "issuer",
            issuer == expect.issuer,
            f"{issuer}" if issuer == expect.issuer else f"{issuer!r}, expected {expect.issuer!r}",
        )
    else:
        out.add("issuer", None, f"{issuer} (not checked: give --issuer, or --app)")

    subject = assertion.find(f"{{{saml}}}Subject")
    name_id = subject.find(f"{{{saml}}}NameID") if subject is not None else None
    if name_id is None or not text_of(name_id):
        encrypted = subject is not None and subject.find(f"{{{saml}}}EncryptedID") is not None
        out.add(
            "subject",
            False,
            "the Subject has an EncryptedID, which ssoctl cannot decrypt: no identity to check"
            if encrypted
            else "the Assertion has no NameID: it names nobody (Entra: AADSTS501241)",
        )
    else:
        out.add("subject", True, f"NameID {text_of(name_id)}")

    # Destination: only trustworthy when the Response itself was signed.
    destination = (response if response is not None else root).get("Destination")
    data = assertion.find(
        f"{{{saml}}}Subject/{{{saml}}}SubjectConfirmation/{{{saml}}}SubjectConfirmationData"
    )
    recipient = data.get("Recipient") if data is not None else None
    if expect.reply_urls:
        good = recipient in expect.reply_urls and (
            destination is None or destination in expect.reply_urls
        )
        out.add(
            "destination",
            good,
            f"Recipient {recipient}, Destination {destination}"
            if good
            else f"Recipient {recipient!r} / Destination {destination!r} not among the "
            f"expected ACS URLs {expect.reply_urls}; the SP refuses a Response meant for "
            "another ACS",
        )
    else:
        out.add(
            "destination",
            None,
            f"Recipient {recipient} (not checked: give --destination or --sp-metadata, or --app)",
        )

    restrictions = audience_restrictions(assertion)
    audiences = [a for r in restrictions for a in r]
    if expect.identifiers:
        # SAML Core 2.5.1.4: the Assertion is addressed to the SP only if EVERY
        # AudienceRestriction names it.
        missing = [r for r in restrictions if not any(a in expect.identifiers for a in r)]
        good = bool(restrictions) and not missing
        out.add(
            "audience",
            good,
            f"{audiences}"
            if good
            else "no AudienceRestriction"
            if not restrictions
            else f"an AudienceRestriction {missing[0]} names none of the Identifiers "
            f"{expect.identifiers} (every AudienceRestriction must)",
        )
    else:
        out.add(
            "audience",
            None,
            f"{audiences} (not checked: give --audience or --sp-metadata, or --app)",
        )

    conditions = assertion.find(f"{{{saml}}}Conditions")
    problems: list[str] = []
    not_before, not_after, confirm_after = _times(
        [
            ("NotBefore", conditions.get("NotBefore") if conditions is not None else None),
            ("NotOnOrAfter", conditions.get("NotOnOrAfter") if conditions is not None else None),
            (
                "SubjectConfirmationData/@NotOnOrAfter",
                data.get("NotOnOrAfter") if data is not None else None,
            ),
        ],
        problems,
    )
    at, skew = expect.at, expect.skew
    if not_before and at + skew < not_before:
        problems.append(f"not valid before {not_before.isoformat()}")
    for limit in (not_after, confirm_after):
        if limit and at - skew >= limit:
            problems.append(f"expired at {limit.isoformat()}")
    if conditions is None or conditions.get("NotOnOrAfter") is None:
        problems.append("Conditions/@NotOnOrAfter is missing")
    out.add(
        "time",
        not problems,
        f"valid at {at.isoformat()} (skew {int(skew.total_seconds() // 60)} min)"
        if not problems
        else "; ".join(dict.fromkeys(problems)) + f" (checked at {at.isoformat()})",
    )

    if expect.in_response_to is not None:
        # Only signed content counts: the Response's attribute when the Response was
        # signed, and the signed Assertion's SubjectConfirmationData.
        values = [
            response.get("InResponseTo") if response is not None else None,
            data.get("InResponseTo") if data is not None else None,
        ]
        got = {v for v in values if v is not None}
        good = got == {expect.in_response_to}
        out.add(
            "in-response-to",
            good,
            expect.in_response_to
            if good
            else "no signed InResponseTo (the unsigned Response's does not count)"
            if not got
            else f"InResponseTo {sorted(got)} does not match {expect.in_response_to!r}",
        )

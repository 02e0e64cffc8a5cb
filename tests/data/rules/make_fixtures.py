"""Writes tests/data/rules/<rule>/*.yaml from pass/tenant.yaml by small text edits.

Each case names an anchor (a substring of the edited text, plus a column offset); the
`# expect: RULE LINE:COL` line is computed from the text, not from ssoctl, so the tests
check the tool against an independent position. Run from tests/data/rules/:

    python make_fixtures.py
"""

from __future__ import annotations

import pathlib

base = pathlib.Path("pass/tenant.yaml").read_text()
RC_REPLY = "reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]"
RC_ID = "identifiers: [https://ssoeuro.ringcentral.com]"
Edit = tuple[str, str]
Case = tuple[str, list[Edit], tuple[str, int] | None, list[str]]
cases: dict[str, list[Case]] = {
    # rule: [(filename, [(old, new)], anchor-in-new-text, extra directives)]
    "syntax": [
        (
            "bad-indent.yaml",
            [("  domain: contoso.com\n", "  domain: contoso.com\n    cloud: [x\n")],
            None,
            ["# expect: syntax 6:10"],
        )
    ],
    "schema": [
        (
            "unknown-key.yaml",
            [("    region: euro\n", "    region: euro\n    reply_url: https://x.example.com\n")],
            ("    reply_url:", 4),
            [],
        ),
        (
            "duplicate-key.yaml",
            [("  cloud: public\n", "  cloud: public\n  cloud: usgov\n")],
            ("  cloud: usgov", 2),
            [],
        ),
        (
            "wrong-type.yaml",
            [("    assignments: [B.Simon@contoso.com]\n", "    assignments: 42\n")],
            ("42", 0),
            [],
        ),
        (
            "duplicate-upn.yaml",
            [
                (
                    "groups:\n",
                    "  - upn: b.simon@contoso.com\n    object_id: 11111111-2222-4333-8444-555555555555\ngroups:\n",
                )
            ],
            ("b.simon@contoso.com\n    object_id: 1111", 0),
            [],
        ),
        (
            "unknown-cert-in-set.yaml",
            [("  certificates: [contoso-2026, next]\n", "  certificates: [contoso-2026, nxet]\n")],
            ("nxet", 0),
            [],
        ),
        (
            "missing-key.yaml",
            [("  mitel-connect:\n    template: mitel-connect\n", "  mitel-connect:\n")],
            ("  mitel-connect:", 2),
            [],
        ),
        (
            "control-character.yaml",
            [("    display_name: B.Simon\n", '    display_name: "B.\\x07Simon"\n')],
            ('"B.\\x07Simon"', 0),
            [],
        ),
    ],
    "app-id-missing": [
        (
            "no-app-id.yaml",
            [("    app_id: bb64ead1-81d6-47eb-998a-094603b3f753\n", "")],
            ("  ringcentral:", 2),
            [],
        ),
    ],
    "app-signing-set": [
        (
            "inherits-default.yaml",
            [
                (
                    "    reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]\n"
                    "    signing: {certificates: [contoso-2026, next], active: contoso-2026}\n",
                    "    reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]\n",
                )
            ],
            ("  ringcentral:", 2),
            ["# exit: 0"],
        ),
    ],
    "app-incomplete": [
        (
            "no-reply-url.yaml",
            [
                (
                    "    reply_urls: [https://authentication.api.mitel.io/2017-09-01/saml2/"
                    "contoso-0001/acs]\n",
                    "",
                )
            ],
            ("  mitel-connect:", 2),
            ["# exit: 0"],
        ),
    ],
    "url-https": [
        (
            "http-reply.yaml",
            [
                (
                    "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/acs",
                    "http://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/acs",
                )
            ],
            ("http://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/acs", 0),
            [],
        )
    ],
    "url-format": [
        (
            "fragment.yaml",
            [("contoso-0001/acs]", "contoso-0001/acs#top]")],
            ("https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/acs#top", 0),
            [],
        ),
        (
            "port-443.yaml",
            [
                (
                    "https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001/acs",
                    "https://authentication.api.mitel.io:443/2017-09-01/saml2/contoso-0001/acs",
                )
            ],
            ("https://authentication.api.mitel.io:443", 0),
            [],
        ),
    ],
    "gallery-endpoint": [
        (
            "region-mismatch.yaml",
            [(RC_REPLY, "reply_urls: [https://sso.ringcentral.com/sp/ACS.saml2]")],
            ("https://sso.ringcentral.com/sp/ACS.saml2", 0),
            [],
        ),
        (
            "lookalike-host.yaml",
            [(RC_ID, "identifiers: [https://ssoeuro.ringcentral.co]")],
            ("https://ssoeuro.ringcentral.co]", 0),
            [],
        ),
        (
            "region-field.yaml",
            [("    region: euro\n", "    region: us\n")],
            ("https://ssoeuro.ringcentral.com]", 0),
            [],
        ),
        (
            "mitel-pattern.yaml",
            [
                (
                    "identifiers: [https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001]",
                    "identifiers: [https://auth.mitel.example.com/saml2/contoso-0001]",
                )
            ],
            ("https://auth.mitel.example.com", 0),
            ["# exit: 0"],
        ),
    ],
    "identifier-unique": [
        (
            "shared-identifier.yaml",
            [
                (
                    "identifiers: [https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001]",
                    "identifiers: [https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001]\n    # same as ringcentral's below\n",
                ),
                ("    template: mitel-connect\n", "    template: custom\n"),
                ("    platform: cloudlink\n", ""),
                (
                    "identifiers: [https://authentication.api.mitel.io/2017-09-01/saml2/contoso-0001]",
                    "identifiers: [https://ssoeuro.ringcentral.com]",
                ),
            ],
            ("https://ssoeuro.ringcentral.com]\n    # same", 0),
            [],
        )
    ],
    "sso-mode": [
        (
            "mitel-no-sign-on.yaml",
            [("    sign_on_url: https://accounts.mitel.io\n", "")],
            ("  mitel-connect:", 2),
            [],
        ),
        (
            "mitel-wrong-sign-on.yaml",
            [
                (
                    "sign_on_url: https://accounts.mitel.io",
                    "sign_on_url: https://portal.shoretelsky.com",
                )
            ],
            ("https://portal.shoretelsky.com", 0),
            [],
        ),
    ],
    "required-claims": [
        (
            "no-email-claim.yaml",
            [
                (
                    "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress: user.mail\n",
                    "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name: user.userprincipalname\n",
                )
            ],
            ("    claims:", 4),
            [],
        )
    ],
    "user-matching": [
        (
            "mail-differs.yaml",
            [("    mail: B.Simon@contoso.com\n", "    mail: britta.simon@contoso.com\n")],
            ("britta.simon@contoso.com", 0),
            [],
        )
    ],
    "assignment-unknown": [
        (
            "typo.yaml",
            [
                (
                    "assignments: [B.Simon@contoso.com, group:Sales]",
                    "assignments: [B.Simon@contoso.com, group:Saels]",
                )
            ],
            ("group:Saels", 0),
            [],
        )
    ],
    "no-assignments": [
        (
            "nobody.yaml",
            [("    assignments: [B.Simon@contoso.com]\n", "")],
            ("  mitel-connect:", 2),
            [],
        )
    ],
    "claim-source-missing": [
        (
            "no-mail.yaml",
            [
                ("    mail: B.Simon@contoso.com\n", ""),
                ("    platform: cloudlink\n", "    platform: cloudlink\n"),
            ],
            ("  - upn: B.Simon", 4),
            ["# exit: 1"],
        )
    ],
    "cert-file": [
        (
            "missing-encryption-cert.yaml",
            [
                (
                    "    sign_on_url: https://accounts.mitel.io\n",
                    "    sign_on_url: https://accounts.mitel.io\n"
                    "    encryption: {certificate: ../certs/no-such-sp-enc.pem}\n",
                )
            ],
            ("../certs/no-such-sp-enc.pem", 0),
            [],
        ),
        (
            "missing-cert.yaml",
            [("cert: ../certs/next.pem", "cert: ../certs/gone.pem")],
            ("../certs/gone.pem", 0),
            [],
        )
    ],
    "cert-expiry": [
        ("expired.yaml", [], ("active: contoso-2026", 8), ["# now: 2030-01-01T00:00:00Z"]),
        (
            "expiring.yaml",
            [],
            ("active: contoso-2026", 8),
            ["# now: 2029-11-01T00:00:00Z", "# exit: 0"],
        ),
        ("no-active.yaml", [("  active: contoso-2026\n", "")], ("signing:", 0), []),
    ],
    "rollover": [
        (
            "no-successor.yaml",
            [("  certificates: [contoso-2026, next]\n", "  certificates: [contoso-2026]\n")],
            ("signing:", 0),
            ["# now: 2029-10-15T00:00:00Z"],
        )
    ],
    "cert-strength": [
        (
            "weak-key.yaml",
            [
                ("cert: ../certs/next.pem", "cert: ../certs/weak-1024.pem"),
                ("key: ../certs/next.key", "key: ../certs/weak-1024.key"),
            ],
            ("../certs/weak-1024.pem", 0),
            [],
        ),
        (
            "key-mismatch.yaml",
            [("key: ../certs/next.key", "key: ../certs/short.key")],
            ("../certs/short.key", 0),
            [],
        ),
        (
            "sha1-signing.yaml",
            [("  active: contoso-2026\n", "  active: contoso-2026\n  algorithm: sha1\n")],
            ("sha1", 0),
            ["# exit: 0"],
        ),
    ],
    "schema-copy": [
        (
            "remote-modeline.yaml",
            [
                (
                    "version: 1\n",
                    "# yaml-language-server: $schema=https://ssoctl.dev/schema/tenant-v1.json\n"
                    "version: 1\n",
                )
            ],
            ("https://ssoctl.dev", 0),
            ["# exit: 0"],
        ),
        (
            "missing-copy.yaml",
            [("version: 1\n", "# yaml-language-server: $schema=tenant.schema.json\nversion: 1\n")],
            ("tenant.schema.json", 0),
            ["# exit: 0"],
        ),
    ],
    "identifier-trailing-slash": [
        (
            "slash.yaml",
            [
                (
                    "    assignments: [B.Simon@contoso.com]\n",
                    "    assignments: [B.Simon@contoso.com]\n"
                    "  wiki:\n"
                    "    template: custom\n"
                    "    app_id: 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5\n"
                    "    identifiers: [https://wiki.contoso.com/]\n"
                    "    reply_urls: [https://wiki.contoso.com/saml/acs]\n"
                    "    assignments: [B.Simon@contoso.com]\n",
                )
            ],
            ("https://wiki.contoso.com/]", 0),
            ["# exit: 0"],
        ),
    ],
    "nameid-transient": [
        (
            "transient.yaml",
            [
                (
                    "    sign_on_url: https://accounts.mitel.io\n",
                    "    sign_on_url: https://accounts.mitel.io\n"
                    "    name_id: {source: user.userprincipalname, format: transient}\n",
                )
            ],
            ("transient}", 0),
            ["# exit: 0"],
        ),
    ],
    "claim-restricted": [
        (
            "role.yaml",
            [
                (
                    "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress: user.mail\n",
                    "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress: user.mail\n"
                    "      http://schemas.microsoft.com/ws/2008/06/identity/claims/role: user.displayname\n",
                )
            ],
            ("role: user.displayname", 6),
            [],
        ),
    ],
    "key-file": [
        ("world-readable.yaml", [], ("../certs/contoso-2026.key", 0), ["# chmod-key: 644"])
    ],
    # The docs' tenant GUID, once the file no longer says it is an example.
    "placeholder": [
        ("docs-tenant-id.yaml", [("  example: true\n", "")], ("8c3f0a52-9d0e", 0), []),
        (
            "mitel-account.yaml",
            [
                ("  example: true\n", ""),
                ("  id: 8c3f0a52-9d0e-4b7a-a3a1-2f5b1c7d9e11\n",
                 "  id: 3d1f7a20-5b6c-4d8e-9f01-a2b3c4d5e6f7\n"),
                ("bb64ead1-81d6-47eb-998a-094603b3f753", "5e0c2d1a-7f3b-4c6d-8e9f-0a1b2c3d4e5f"),
                ("882f7abf-96d2-478b-9017-577003fb8fbc", "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
                ("saml2/contoso-0001]", "saml2/ACCOUNT]"),
                ("saml2/contoso-0001/acs", "saml2/acme-7731/acs"),
            ],
            ("https://authentication.api.mitel.io/2017-09-01/saml2/ACCOUNT", 0),
            [],
        ),
    ],
    "logout-issuer": [
        (
            "logout-url.yaml",
            [
                (
                    "    sign_on_url: https://accounts.mitel.io\n",
                    "    sign_on_url: https://accounts.mitel.io\n"
                    "    logout_url: https://accounts.mitel.io/logout\n",
                )
            ],
            ("https://accounts.mitel.io/logout", 0),
            [],
        )
    ],
}
for rule, variants in cases.items():
    d = pathlib.Path(rule)
    d.mkdir(exist_ok=True)
    for fname, edits, anchor, directives in variants:
        text = base
        for old, new in edits:
            assert old in text, (rule, fname, old)
            text = text.replace(old, new, 1)
        header = "\n".join(directives)
        expect = []
        lines_before = len(directives) + 1  # the expect line itself
        if anchor is not None:
            needle, offset = anchor
            idx = text.index(needle)
            line = text.count("\n", 0, idx) + 1 + lines_before
            col = idx - (text.rfind("\n", 0, idx) + 1) + 1 + offset
            expect = [f"# expect: {rule} {line}:{col}"]
        elif not any(x.startswith("# expect") for x in directives):
            raise SystemExit(f"no expectation for {rule}/{fname}")
        lines = expect + directives  # syntax cases give their expectation literally
        out = "\n".join(lines) + "\n" + text
        (d / fname).write_text(out)
print("done")

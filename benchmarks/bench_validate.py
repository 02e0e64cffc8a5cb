"""Validation budget: `ssoctl validate` on 200 generated tenant files (10 apps and 20 users
each) in one process, against check-jsonschema validating the same files against
`ssoctl schema`, measured in the same run.

Run: python benchmarks/bench_validate.py [--files N]
Budget: <= 3 s, and no slower than check-jsonschema (which checks only the schema).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CERTS = ROOT / "examples" / "contoso" / "certs"


def tenant_text(index: int, apps: int, users: int) -> str:
    lines = [
        "version: 1",
        "tenant:",
        f"  id: {uuid.UUID(int=index + 1)}",
        f"  domain: tenant{index}.example.com",
        "  cloud: public",
        "certificates:",
        "  - name: sso",
        "    cert: certs/contoso-2026.pem",
        "    key: certs/contoso-2026.key",
        "signing:",
        "  certificates: [sso]",
        "  active: sso",
        "users:",
    ]
    for u in range(users):
        upn = f"user{u}@tenant{index}.example.com"
        lines += [
            f"  - upn: {upn}",
            f"    object_id: {uuid.UUID(int=index * 1000 + u)}",
            f"    display_name: User {u}",
            "    given_name: Given",
            "    surname: Sur",
            f"    mail: {upn}",
        ]
    lines += ["groups:", "  - name: All", "    members:"]
    lines += [f"      - user{u}@tenant{index}.example.com" for u in range(users)]
    lines.append("apps:")
    for a in range(apps):
        if a == 0:  # one RingCentral app: its Identifier is unique in a tenant
            lines += [
                f"  rc{a}:",
                "    template: ringcentral",
                "    region: euro",
                f"    app_id: {uuid.UUID(int=index * 100 + a + 7)}",
                "    identifiers: [https://ssoeuro.ringcentral.com]",
                "    reply_urls: [https://ssoeuro.ringcentral.com/sp/ACS.saml2]",
                "    claims:",
                "      http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress:"
                " user.mail",
                "    assignments: [group:All]",
            ]
        else:
            base = f"https://authentication.api.mitel.io/2017-09-01/saml2/acct-{index}-{a}"
            lines += [
                f"  mitel{a}:",
                "    template: mitel-connect",
                "    platform: cloudlink",
                f"    app_id: {uuid.UUID(int=index * 100 + a + 7)}",
                f"    identifiers: [{base}]",
                f"    reply_urls: [{base}/acs]",
                "    sign_on_url: https://accounts.mitel.io",
                "    assignments: [group:All]",
            ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    exe = shutil.which("ssoctl")
    ssoctl = [exe] if exe else [sys.executable, "-m", "ssoctl"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(CERTS, folder / "certs")
        (folder / "certs" / "contoso-2026.key").chmod(0o600)
        files = []
        for i in range(args.files):
            path = folder / f"tenant{i:03d}.yaml"
            path.write_text(tenant_text(i, apps=10, users=20))
            files.append(str(path))
        schema = folder / "schema.json"
        schema.write_bytes(
            subprocess.run([*ssoctl, "schema"], check=True, capture_output=True).stdout
        )
        start = time.perf_counter()
        ours = subprocess.run(
            [*ssoctl, "validate", *files, "--format", "json", "--now", "2027-01-15T10:00:00Z"],
            capture_output=True,
        )
        ours_s = time.perf_counter() - start
        if ours.returncode != 0:
            print(ours.stdout.decode()[-2000:], ours.stderr.decode()[-2000:])
            print("ssoctl validate reported problems in generated files")
            return 1
        checker = shutil.which("check-jsonschema")
        theirs_s = None
        if checker:
            start = time.perf_counter()
            theirs = subprocess.run(
                [checker, "--schemafile", str(schema), *files], capture_output=True
            )
            theirs_s = time.perf_counter() - start
            if theirs.returncode != 0:
                print(theirs.stdout.decode()[-2000:])
                return 1
        print(
            f"ssoctl validate, {args.files} files:    {ours_s:6.2f} s   (budget 3.0 s) "
            f"{'ok' if ours_s <= 3.0 else 'OVER BUDGET'}"
        )
        if theirs_s is None:
            print("check-jsonschema not installed: comparison skipped")
            return 0 if ours_s <= 3.0 else 1
        ratio = ours_s / theirs_s
        print(f"check-jsonschema, same files: {theirs_s:6.2f} s")
        print(
            f"ratio ssoctl / check-jsonschema: {ratio:.2f} (budget <= 1.0) "
            f"{'ok' if ratio <= 1.0 else 'OVER BUDGET'}"
        )
        return 0 if ours_s <= 3.0 and ratio <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

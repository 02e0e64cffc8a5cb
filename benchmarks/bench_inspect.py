"""Streaming budget: `ssoctl metadata inspect --entity-id X` on a generated ~50 MB
aggregate of 10,000 SP entities, the whole command including start-up.

Run: python benchmarks/bench_inspect.py
Prints wall time and peak RSS of the command, next to `python -c "import typer"` measured
in the same run. Budget: <= 1.0 s and <= 100 MB peak RSS.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CERT = (ROOT / "examples" / "contoso" / "certs" / "contoso-2026.pem").read_text()
BODY = "".join(CERT.strip().splitlines()[1:-1])
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def certificate_bodies(count: int) -> list[str]:
    """`count` distinct certificates (Base64), as a real aggregate has: one per entity.
    One RSA key signs them all (a new key per certificate would take minutes)."""
    import base64
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    bodies = []
    for i in range(count):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sp{i:05d}.example.org")])
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(i + 1)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        der = cert.public_bytes(serialization.Encoding.DER)
        bodies.append(base64.b64encode(der).decode())
    return bodies


def entity(i: int, body: str = BODY) -> str:
    host = f"sp{i:05d}.example.org"
    # Organization and ContactPerson padding gives real aggregates' ~5 KB per entity.
    padding = "".join(
        f'<md:ContactPerson contactType="technical"><md:GivenName>Ops {n}</md:GivenName>'
        f"<md:EmailAddress>mailto:ops{n}@{host}</md:EmailAddress></md:ContactPerson>"
        for n in range(12)
    )
    return (
        f'<md:EntityDescriptor entityID="https://{host}/shibboleth">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{POST}" Location="https://{host}/acs" '
        'index="0" isDefault="true"/></md:SPSSODescriptor>'
        f'<md:Organization><md:OrganizationName xml:lang="en">Org {i}</md:OrganizationName>'
        f'<md:OrganizationDisplayName xml:lang="en">Organization number {i}'
        f'</md:OrganizationDisplayName><md:OrganizationURL xml:lang="en">https://{host}/'
        f"</md:OrganizationURL></md:Organization>{padding}</md:EntityDescriptor>\n"
    )


def generate(path: Path, count: int, distinct: bool = True) -> None:
    """The aggregate; each entity with a certificate of its own (`distinct`), for signing
    and encryption, or all sharing one (the old benchmark, which flattered a cache)."""
    bodies = certificate_bodies(count) if distinct else [BODY] * count
    with path.open("w") as out:
        out.write(
            f'<?xml version="1.0"?>\n<md:EntitiesDescriptor xmlns:md="{MD}" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Name="urn:bench">\n'
        )
        for i in range(count):
            out.write(entity(i, bodies[i]))
        out.write("</md:EntitiesDescriptor>\n")


def run(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode())
        raise SystemExit(1)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> int:
    exe = shutil.which("ssoctl")
    ssoctl = [exe] if exe else [sys.executable, "-m", "ssoctl"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "aggregate.xml"
        generate(path, 10_000)
        size_mb = path.stat().st_size / 1e6
        wanted = "https://sp07500.example.org/shibboleth"
        reference, _ = run([sys.executable, "-c", "import typer"])
        # RUSAGE_CHILDREN keeps the maximum over all children: measure ours in a fresh
        # grandchild so the peak is its own.
        command = [*ssoctl, "metadata", "inspect", str(path), "--entity-id", wanted, "-f", "json"]
        probe = (
            "import resource,subprocess,sys,time;s=time.perf_counter();"
            f"r=subprocess.run({command!r},"
            "capture_output=True);t=time.perf_counter()-s;"
            "print(r.returncode,t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)"
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, check=True
            ).stdout.split()
            if out[0] != "0":
                print("inspect failed")
                return 1
            runs.append((float(out[1]), float(out[2])))
        seconds = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(f"aggregate: {size_mb:.1f} MB, 10,000 SP entities")
        print(f"python -c 'import typer' (reference): {reference:.3f} s")
        print(
            f"ssoctl metadata inspect --entity-id:  {seconds:.3f} s (best of 3; "
            f"{seconds / reference:.1f}x reference)  budget 1.0 s "
            f"{'ok' if seconds <= 1.0 else 'OVER BUDGET'}"
        )
        print(f"peak RSS: {peak:.0f} MB  budget 100 MB {'ok' if peak <= 100 else 'OVER BUDGET'}")
        return 0 if seconds <= 1.0 and peak <= 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())

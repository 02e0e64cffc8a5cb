"""Private keys in files about to be committed (`ssoctl check-keys`, the pre-commit hook
`ssoctl-no-private-keys`): found by their content, whatever the file is called, as
pre-commit-hooks' detect-private-key does. A key that a tenant file beside it marks
`public_demo_key: true` (a published demo such as examples/contoso) is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The markers detect-private-key looks for (pre-commit-hooks), and PKCS#8's encrypted form.
MARKERS = (
    b"BEGIN RSA PRIVATE KEY",
    b"BEGIN DSA PRIVATE KEY",
    b"BEGIN EC PRIVATE KEY",
    b"BEGIN OPENSSH PRIVATE KEY",
    b"BEGIN PRIVATE KEY",
    b"BEGIN ENCRYPTED PRIVATE KEY",
    b"PuTTY-User-Key-File-2",
    b"BEGIN SSH2 ENCRYPTED PRIVATE KEY",
    b"BEGIN PGP PRIVATE KEY BLOCK",
    b"BEGIN OpenVPN Static key V1",
)
MAX_READ = 16 * 1024 * 1024


@dataclass(frozen=True)
class Found:
    path: Path
    marker: str
    demo: bool  # allowed: a tenant file beside it marks it public_demo_key


def scan(paths: list[Path]) -> list[Found]:
    found = []
    for path in paths:
        try:
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                data = handle.read(MAX_READ)
        except OSError:
            continue
        marker = next((m for m in MARKERS if m in data), None)
        if marker is not None:
            found.append(Found(path, marker.decode(), _public_demo(path)))
    return found


def _public_demo(key: Path) -> bool:
    """Whether a tenant file in the key's folder or the one above lists this very file
    as the key of a certificate marked public_demo_key."""
    from ssoctl import tenant
    from ssoctl.errors import SsoctlError

    target = key.resolve()
    for folder in (key.parent, key.parent.parent):
        for name in ("tenant.yaml", "tenant.yml"):
            candidate = folder / name
            if not candidate.is_file():
                continue
            try:
                loaded = tenant.load(candidate)
            except SsoctlError:
                continue
            for entry in loaded.model.certificates:
                if entry.key and entry.public_demo_key and loaded.resolve(entry.key) == target:
                    return True
    return False

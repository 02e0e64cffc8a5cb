"""Regenerate the pictures in docs/img/ from the real tool:

- validate.svg: the text report of `ssoctl validate` on a tenant file with mistakes;
- app-show.svg: the paste sheet of `ssoctl app show ringcentral`;
  both recorded by rich (Console(record=True).save_svg) from ssoctl's own coloured output;
- twin-*.png: the twin's pages in headless Chromium, from the end-to-end browser test
  (SSOCTL_ARTIFACTS=docs/img pytest tests/e2e -k picker), when --twin is given.

Run from the repository root: python3 scripts/gen_doc_images.py [--twin]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
NOW = "2027-01-15T10:00:00Z"


def run(*args: str, cwd: Path) -> str:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "ssoctl", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    return done.stdout


def svg(ansi: str, name: str, title: str) -> None:
    with open(os.devnull, "w") as nowhere:
        console = Console(record=True, width=100, force_terminal=True, file=nowhere)
        console.print(Text.from_ansi(ansi.rstrip("\n")))
        console.save_svg(str(IMG / name), title=title)
    print(f"wrote docs/img/{name}")


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "examples" / "contoso", work / "contoso")
        for key in (work / "contoso" / "certs").glob("*.key"):
            key.chmod(0o600)
        svg(
            run("-t", "contoso/tenant.yaml", "app", "show", "ringcentral", cwd=work),
            "app-show.svg",
            "ssoctl app show ringcentral",
        )
        tenant = work / "contoso" / "tenant.yaml"
        tenant.write_text(
            tenant.read_text()
            .replace("reply_urls: [https://ssoeuro", "reply_urls: [http://ssoeuro")
            .replace("    region: euro\n", "    region: us\n")
        )
        svg(
            run("validate", "contoso/tenant.yaml", "--now", NOW, cwd=work),
            "validate.svg",
            "ssoctl validate contoso/tenant.yaml",
        )
    if "--twin" in sys.argv:
        env = {**os.environ, "SSOCTL_ARTIFACTS": str(IMG)}
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "tests/e2e", "-k", "picker or my_apps or 50105"],
            cwd=ROOT,
            env=env,
            check=True,
        )


if __name__ == "__main__":
    main()

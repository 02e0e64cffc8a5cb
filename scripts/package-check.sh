#!/usr/bin/env bash
# The package as a user gets it: build the sdist and wheel, check them with twine, check
# that the sdist carries the test suite, then install the wheel alone in fresh virtual
# environments, at the lowest dependency versions pyproject.toml allows (uv's
# --resolution lowest-direct) and at the newest, and run the CLI smoke test on each.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
python3 -m build --outdir "$out/dist" . >/dev/null 2>&1 || python3 -m build --outdir "$out/dist" .
python3 -m twine check --strict "$out"/dist/*
sdist=$(ls "$out"/dist/*.tar.gz)
listing=$(tar -tzf "$sdist")
for required in tests/conftest.py tests/data/entra-response-2022.xml tests/golden \
                docs/quickstart.md examples/contoso/tenant.yaml LICENSE; do
  grep -q "/$required" <<<"$listing" || { echo "sdist lacks $required" >&2; exit 1; }
done
wheel=$(ls "$out"/dist/*.whl)
python3 - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
meta = next(n for n in names if n.endswith("METADATA"))
text = zipfile.ZipFile(sys.argv[1]).read(meta).decode()
assert "License-Expression: MIT" in text, "no SPDX license expression"
assert any(n.endswith("licenses/LICENSE") for n in names), "LICENSE not in the wheel"
assert any(n.endswith("ssoctl/tenant/gallery/ringcentral.yaml") for n in names)
assert any(n.endswith("ssoctl/py.typed") for n in names)
PY
lowest_python=$(ls -d "$HOME"/.pyenv/versions/3.10.*/bin/python 2>/dev/null | sort -V | tail -1)
for resolution in lowest-direct highest; do
  venv="$out/venv-$resolution"
  uv venv -q -p "${lowest_python:-python3}" "$venv"
  # "direct" means pyproject.toml's own dependencies: pin them as resolved from it, then
  # install the wheel alone against exactly those pins.
  uv pip compile -q pyproject.toml --resolution "$resolution" \
    --python "$venv/bin/python" -o "$out/pins-$resolution.txt"
  VIRTUAL_ENV="$venv" uv pip install -q -c "$out/pins-$resolution.txt" "$wheel"
  echo "== $resolution: $(VIRTUAL_ENV="$venv" uv pip freeze -q | grep -iE '^(typer|rich|lxml|signxml|cryptography|pyyaml|httpx|ruamel.yaml|msgspec|dulwich|hypercorn)==' | tr '\n' ' ')"
  SSOCTL="$venv/bin/ssoctl" bash scripts/smoke.sh
done

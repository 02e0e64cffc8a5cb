#!/usr/bin/env bash
# Regenerate the validate golden reports (run from the repository root) after an
# intended change, then review the diff: it is the change users will see.
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/data/rules/certs "$work/certs"
chmod 600 "$work"/certs/*.key
mkdir "$work/case"
cp tests/data/rules/gallery-endpoint/region-mismatch.yaml "$work/case/"
cd "$work"
for fmt in text json sarif junit github; do
  python3 -m ssoctl validate case/region-mismatch.yaml -f "$fmt" --now 2027-01-15T10:00:00Z \
    > "$root/tests/golden/validate-region-mismatch.$fmt" || true
done

#!/usr/bin/env bash
# A CLI smoke test of an installed ssoctl: SSOCTL=/path/to/bin/ssoctl bash scripts/smoke.sh
# Runs the main jobs on a private copy of the bundled example, from another folder, so
# nothing here comes from the source tree but the example's data.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
ssoctl="${SSOCTL:-ssoctl}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'echo "smoke: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cp -r "$here/examples/contoso" "$work/contoso"
chmod 600 "$work"/contoso/certs/*.key
cd "$work"
tenant=contoso/tenant.yaml
now=2027-01-15T10:00:00Z
"$ssoctl" --version
"$ssoctl" --help >/dev/null
"$ssoctl" validate "$tenant" --now "$now" --strict >/dev/null
"$ssoctl" validate "$tenant" --now "$now" --format sarif >/dev/null
"$ssoctl" -t "$tenant" app show ringcentral | grep -q "https://ssoeuro.ringcentral.com"
"$ssoctl" -t "$tenant" metadata export --app ringcentral --now "$now" --out idp.xml 2>/dev/null
grep -q "EntityDescriptor" idp.xml
"$ssoctl" -t "$tenant" assertion issue --app ringcentral --user B.Simon@contoso.com \
  --now "$now" --out response.xml 2>/dev/null
"$ssoctl" -t "$tenant" assertion verify response.xml --app ringcentral --at "$now" >/dev/null
"$ssoctl" -t "$tenant" user set B.Simon@contoso.com --surname Simons 2>/dev/null
grep -q "surname: Simons" "$tenant"
"$ssoctl" schema --out schema.json 2>/dev/null
"$ssoctl" gallery list >/dev/null
# The twin on its HTTP server (Hypercorn at this resolution's version): the picker, a
# rebound Host refused, then Ctrl-C.
"$ssoctl" -t "$tenant" idp serve --port 0 --processes 1 2>serve.log &
twin=$!
for _ in $(seq 100); do grep -q "on http://" serve.log && break; sleep 0.1; done
base=$(grep -o "http://[0-9.]*:[0-9]*" serve.log | head -1)
python3 - "$base" <<'PY'
import sys, urllib.error, urllib.request
base = sys.argv[1]
with urllib.request.urlopen(base + "/", timeout=10) as reply:
    assert reply.status == 200 and b"Pick an account" in reply.read()
request = urllib.request.Request(base + "/", headers={"Host": "rebound.example"})
try:
    urllib.request.urlopen(request, timeout=10)
    raise SystemExit("a rebound Host was served")
except urllib.error.HTTPError as refused:
    assert refused.code == 421, refused.code
PY
kill -INT "$twin"
wait "$twin"
grep -q "stopping the twin" serve.log
echo "smoke: ok ($("$ssoctl" --version))"

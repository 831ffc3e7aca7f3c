#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not
# installed yet (one apt-get call, only when something is missing).
set -euo pipefail
missing=()
for package in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
(( ${#missing[@]} == 0 )) && exit 0
echo "installing missing packages: ${missing[*]}"
if [[ $(id -u) != 0 ]]; then
  echo "error: run as root, or install them yourself: apt-get install ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

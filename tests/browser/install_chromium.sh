#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_browser.py), unless present.
# Playwright drives it with executable_path=/usr/bin/chromium; its own browser download
# does not work here, so never run `playwright install`.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists do not know chromium yet
if ! apt-cache show chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version

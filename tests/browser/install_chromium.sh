#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_browser.py), unless present.
# Playwright drives it with executable_path=/usr/bin/chromium; its own browser download
# does not work here, so never run `playwright install`.
#
# In CI (CI set) a failure here fails the run. Elsewhere (a laptop without apt-get, or
# without root or sudo), it says why and exits 0: the browser test then skips with that
# reason, and every other test still runs.
set -uo pipefail
# (BACKPROP_LAB_CHROMIUM: another path, for the test of this script)
if [ -x "${BACKPROP_LAB_CHROMIUM:-/usr/bin/chromium}" ]; then
  exit 0
fi
in_ci() { case "${CI:-}" in "" | 0 | false | no | False | FALSE) return 1 ;; *) return 0 ;; esac; }
cannot() {
  if in_ci; then
    echo "install_chromium: $1 (CI must run the browser test)" >&2
    exit 1
  fi
  echo "install_chromium: $1; the browser test will be skipped" >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get on this machine (not Debian or Ubuntu)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    cannot "installing chromium needs root or password-less sudo"
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists do not know chromium yet
if ! apt-cache show chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq || cannot "apt-get update failed"
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
  || cannot "apt-get install chromium failed"
/usr/bin/chromium --version

#!/usr/bin/env bash
# Debian's chromium for the panel's browser tests (playwright-core drives /usr/bin/chromium, or the Chromium-based
# browser $HOMEIQ_CHROMIUM names, e.g. the Google Chrome of GitHub's runners).
# Idempotent: does nothing when that browser exists; otherwise installs Debian's package (needs root).
set -euo pipefail

CHROMIUM="${HOMEIQ_CHROMIUM:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: $CHROMIUM is missing and apt-get is not available; install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-browser: installing chromium needs root (run as root, or install sudo)" >&2
    exit 1
  fi
fi

echo "setup-browser: installing Debian's chromium"
if ! "${SUDO[@]}" apt-get update -qq; then
  echo "setup-browser: apt-get update failed; check the network and the apt sources" >&2
  exit 1
fi
if ! DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium; then
  echo "setup-browser: apt-get install chromium failed; see the apt output above" >&2
  exit 1
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "setup-browser: the chromium package is installed but $CHROMIUM is missing" >&2
  exit 1
fi
echo "setup-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"

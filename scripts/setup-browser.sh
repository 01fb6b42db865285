#!/usr/bin/env bash
# Debian's chromium for the panel's browser tests (playwright-core drives /usr/bin/chromium, or the Chromium-based
# browser $HOMEIQ_CHROMIUM names, e.g. the Google Chrome of GitHub's runners).
# Idempotent: does nothing when that browser exists; otherwise installs Debian's package (needs root).
set -euo pipefail

CHROMIUM="${HOMEIQ_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi
bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" setup-browser chromium "$CHROMIUM"
echo "setup-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"

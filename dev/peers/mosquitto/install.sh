#!/usr/bin/env bash
# Debian's Mosquitto MQTT broker, for the tests that set up Home Assistant's mqtt integration against a real broker.
# Idempotent: does nothing when the broker and mosquitto_passwd are installed; otherwise installs the package
# (needs root, or sudo). The package's own service is not used: dev/peers/mosquitto.ts starts a broker per
# test on loopback with its own configuration. Prints the broker's path on stdout.
set -euo pipefail

BROKER=/usr/sbin/mosquitto
PASSWD=/usr/bin/mosquitto_passwd

installed() {
  [[ -x "$BROKER" && -x "$PASSWD" ]]
}

if installed; then
  printf '%s\n' "$BROKER"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "mosquitto: $BROKER is missing and apt-get is not available; install Debian's mosquitto package" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "mosquitto: installing the package needs root (run as root, or install sudo)" >&2
    exit 1
  fi
fi

echo "mosquitto: installing Debian's mosquitto" >&2
if ! "${SUDO[@]}" apt-get update -qq >&2; then
  echo "mosquitto: apt-get update failed; check the network and the apt sources" >&2
  exit 1
fi
if ! DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends mosquitto >&2; then
  echo "mosquitto: apt-get install mosquitto failed; see the apt output above" >&2
  exit 1
fi
if ! installed; then
  echo "mosquitto: the package is installed but $BROKER or $PASSWD is missing" >&2
  exit 1
fi
echo "mosquitto: $("$BROKER" -h 2>/dev/null | head -n 1 || echo mosquitto) installed" >&2
printf '%s\n' "$BROKER"

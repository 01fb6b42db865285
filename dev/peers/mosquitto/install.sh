#!/usr/bin/env bash
# Debian's Mosquitto MQTT broker, for the tests that set up Home Assistant's mqtt integration against a real broker.
# Idempotent: does nothing when the broker and mosquitto_passwd are installed; otherwise installs the package
# (needs root, or sudo). The package's own service is not used: dev/peers/mosquitto.ts starts a broker per
# test on loopback with its own configuration. Prints the broker's path on stdout.
set -euo pipefail

BROKER=/usr/sbin/mosquitto
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/../../../scripts/apt-install.sh" mosquitto mosquitto "$BROKER" /usr/bin/mosquitto_passwd
printf '%s\n' "$BROKER"

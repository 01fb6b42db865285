#!/usr/bin/env bash
# Provision a cached virtualenv with Home Assistant Core for HomeIQ's tests.
#
# Usage: tests/peers/homeassistant/provision.sh [--force]
#
# Builds ${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/homeassistant/<version>/venv with
# homeassistant==<version> (from ./VERSION) plus the PyPI requirements of every
# integration that config/configuration.yaml makes Home Assistant load, so that
# `python -m homeassistant --skip-pip` starts without any network access.
#
# Resolution is pinned in time: HA's own package_constraints.txt is applied,
# and pip only considers files uploaded before ./PIP_UPLOADED_PRIOR_TO, so
# unpinned transitive deps resolve as they did when this HA release was
# current (newer ones break it, e.g. josepy 2 vs. acme 2.8).
#
# A marker file in the venv records a fingerprint of the inputs; a complete
# venv with a matching marker is reused (takes well under a second). Otherwise
# the venv is rebuilt from scratch. Concurrent runs serialize on a lock file.
#
# Progress: "[ha-provision] <elapsed>s ..." lines on stderr. pip output goes to
# <cache>/provision.log. On success the only stdout line is the venv's python.
#
# Environment:
#   HOMEIQ_CACHE   cache root (default: $HOME/.cache/homeiq)
#   HOMEIQ_PYTHON  base interpreter for the venv (default: python3). HA
#                  2024.3 runs on Python 3.11/3.12; 2024.4+ needs 3.12. If it
#                  does not fit, pip fails the "install homeassistant" step
#                  with "requires a different Python".
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIP_VERSION="26.3" # first pip line with --uploaded-prior-to is 26.x

log() {
  printf '[ha-provision] %4ss %s\n' "$SECONDS" "$*" >&2
}

die() {
  printf '[ha-provision] %4ss ERROR: %s\n' "$SECONDS" "$*" >&2
  exit 1
}

# Read the first non-comment, non-blank line of a file.
read_setting() {
  local value
  value="$(grep -v '^[[:space:]]*#' "$1" | tr -d '[:space:]')" ||
    die "cannot read $1"
  [[ -n "$value" ]] || die "$1 is empty"
  printf '%s' "$value"
}

# step NAME CMD...: run CMD with its output appended to the log; on failure
# print one line naming the step and the log, and exit.
step() {
  local name="$1"
  shift
  log "$name"
  printf '\n===== %s (%ss): %s\n' "$name" "$SECONDS" "$*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    die "step '$name' failed; see $LOG (tail: $(tail -n 1 "$LOG" | cut -c1-200))"
  fi
}

# to_file FILE CMD...: run CMD with stdout to FILE (stderr stays with the caller).
to_file() {
  local out="$1"
  shift
  "$@" >"$out"
}

FORCE=0
case "${1:-}" in
  "") ;;
  --force) FORCE=1 ;;
  *) die "usage: $0 [--force]" ;;
esac

VERSION="$(read_setting "$HERE/VERSION")"
CUTOFF="$(read_setting "$HERE/PIP_UPLOADED_PRIOR_TO")"
CONFIG_TEMPLATE="$HERE/config/configuration.yaml"
REQ_SCRIPT="$HERE/integration_requirements.py"
BASE_PYTHON="${HOMEIQ_PYTHON:-python3}"

CACHE_DIR="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/homeassistant/$VERSION"
VENV="$CACHE_DIR/venv"
VPY="$VENV/bin/python"
MARKER="$VENV/.homeiq-provisioned"
LOG="$CACHE_DIR/provision.log"

mkdir -p "$CACHE_DIR" || die "cannot create cache dir $CACHE_DIR"

# Everything that changes what ends up in the venv.
FINGERPRINT="$(
  {
    printf 'version=%s cutoff=%s pip=%s\n' "$VERSION" "$CUTOFF" "$PIP_VERSION"
    cat "$0" "$REQ_SCRIPT" "$CONFIG_TEMPLATE"
  } | sha256sum | cut -d' ' -f1
)"

exec 9>"$CACHE_DIR/.lock"
if ! flock -n 9; then
  log "waiting for another provision run (lock $CACHE_DIR/.lock)"
  flock -w 1800 9 || die "timed out waiting for lock $CACHE_DIR/.lock"
fi

if [[ "$FORCE" == 0 && -x "$VPY" && -f "$MARKER" ]] &&
  [[ "$(cat "$MARKER")" == "$FINGERPRINT" ]]; then
  log "reusing $VENV (homeassistant $VERSION)"
  printf '%s\n' "$VPY"
  exit 0
fi

: >"$LOG"
log "building $VENV (homeassistant $VERSION, PyPI files before $CUTOFF); log: $LOG"

command -v "$BASE_PYTHON" >/dev/null 2>&1 ||
  die "base python '$BASE_PYTHON' not found (set HOMEIQ_PYTHON)"
log "base python: $BASE_PYTHON ($("$BASE_PYTHON" -V 2>&1))"

rm -rf "$VENV"
step "create venv" "$BASE_PYTHON" -m venv "$VENV"
step "install pip $PIP_VERSION" "$VPY" -m pip install --disable-pip-version-check "pip==$PIP_VERSION"

PIP=("$VPY" -m pip install --disable-pip-version-check --uploaded-prior-to "$CUTOFF")

# HA's package_constraints.txt ships inside the wheel: install HA alone first,
# then resolve its dependencies under those constraints.
step "install homeassistant $VERSION (no deps)" "${PIP[@]}" --no-deps "homeassistant==$VERSION"
CONSTRAINTS="$("$VPY" -c 'import homeassistant, pathlib; print(pathlib.Path(homeassistant.__file__).parent / "package_constraints.txt")')" ||
  die "cannot locate package_constraints.txt; see $LOG"
step "install homeassistant dependencies" "${PIP[@]}" -c "$CONSTRAINTS" "homeassistant==$VERSION"

REQS="$CACHE_DIR/integration-requirements.txt"
step "resolve integration requirements" \
  to_file "$REQS" "$VPY" "$REQ_SCRIPT" "$CONFIG_TEMPLATE"
log "integration requirements: $(paste -sd' ' "$REQS")"
step "install integration requirements" "${PIP[@]}" -c "$CONSTRAINTS" -r "$REQS"

step "pip check" "$VPY" -m pip check
DOMAINS="$CACHE_DIR/integration-domains.txt"
step "list integrations" \
  to_file "$DOMAINS" "$VPY" "$REQ_SCRIPT" "$CONFIG_TEMPLATE" --domains
step "import $(wc -l <"$DOMAINS") integrations" "$VPY" - "$DOMAINS" <<'PY'
import importlib, sys
failed = []
for domain in open(sys.argv[1], encoding="utf-8").read().split():
    try:
        importlib.import_module(f"homeassistant.components.{domain}")
    except Exception as err:  # noqa: BLE001
        failed.append(f"{domain}: {err!r}")
print("\n".join(failed) or "all imported")
sys.exit(1 if failed else 0)
PY

printf '%s\n' "$FINGERPRINT" >"$MARKER"
log "done: $(du -sh "$VENV" | cut -f1) in $VENV"
printf '%s\n' "$VPY"

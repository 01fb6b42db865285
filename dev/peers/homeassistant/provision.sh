#!/usr/bin/env bash
# Provision a cached virtualenv with Home Assistant Core for HomeIQ's tests.
#
# Usage: dev/peers/homeassistant/provision.sh [main|floor] [--force]
#
# The role (default main) picks a line of ./VERSIONS: the Home Assistant
# version, the Python minor version it runs on, and the pip cutoff date. Builds
# ${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/homeassistant/<version>-py<python>/<fingerprint>/venv
# with homeassistant==<version> plus the PyPI requirements of every integration
# that config/configuration.yaml makes Home Assistant load, and of those the
# tests set up at run time (EXTRA_INTEGRATIONS below), so that
# `python -m homeassistant --skip-pip` starts without any network access.
#
# Resolution is pinned in time: HA's own package_constraints.txt is applied,
# and pip only considers files uploaded before the role's cutoff date, so
# unpinned transitive deps resolve as they did when this HA release was
# current (newer ones break it, e.g. josepy 2 vs. acme 2.8).
#
# The interpreter is found, in this order: $HOMEIQ_PYTHON_<major>_<minor>
# (e.g. HOMEIQ_PYTHON_3_13=/opt/python/bin/python3.13), `python<X.Y>` on PATH,
# the newest pyenv-installed <X.Y>.z. Each candidate must really be Python X.Y
# with the venv module; if none is, one line says what to install or set.
#
# Each venv lives in a folder named after a fingerprint of its inputs (this
# script, integration_requirements.py and the config template, comments left
# out, plus the role's line), so checkouts whose inputs differ keep one venv
# each instead of rebuilding a shared one in turn, and a rebuild that fails
# (offline, say) never takes away a venv that works. A complete venv (its
# marker holds the fingerprint) is reused in well under a second; venvs of the
# same version unused for PRUNE_DAYS are removed after a build. Concurrent runs
# serialize on a lock file.
#
# Progress: "[ha-provision] <elapsed>s ..." lines on stderr. pip output goes to
# <cache>/provision.log. On success the only stdout line is the venv's python.
#
# Environment:
#   HOMEIQ_CACHE              cache root (default: $HOME/.cache/homeiq)
#   HOMEIQ_PYTHON_<X>_<Y>     the base interpreter for Python X.Y (optional)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIP_VERSION="26.3" # first pip line with --uploaded-prior-to is 26.x
# Integrations tests set up at run time through the UI/config entries or their own config, so not in the
# template: `influxdb` (the incumbent in `npm run bench -- versus-ha`, and its sensor platform) and `mqtt`.
EXTRA_INTEGRATIONS="influxdb,mqtt"
PRUNE_DAYS=2

log() {
  printf '[ha-provision] %4ss %s\n' "$SECONDS" "$*" >&2
}

die() {
  printf '[ha-provision] %4ss ERROR: %s\n' "$SECONDS" "$*" >&2
  exit 1
}

# The fields of ./VERSIONS for a role: version, python, cutoff (one line, space separated).
read_role() {
  local line
  line="$(grep -v '^[[:space:]]*#' "$HERE/VERSIONS" | awk -v r="$1" '$1 == r { print $2, $3, $4 }')" ||
    die "cannot read $HERE/VERSIONS"
  [[ -n "$line" ]] || die "no role '$1' in $HERE/VERSIONS (roles: $(grep -v '^[[:space:]]*#' "$HERE/VERSIONS" | awk 'NF { printf "%s ", $1 }'))"
  printf '%s' "$line"
}

# is_python CANDIDATE X.Y: the candidate runs, is Python X.Y and has the venv module.
is_python() {
  "$1" -c "import sys, venv; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$2' else 1)" >/dev/null 2>&1
}

# find_python X.Y: prints the base interpreter for Python X.Y, or dies with one line saying what to do.
find_python() {
  local want="$1" var="HOMEIQ_PYTHON_${1//./_}" candidate version root
  if [[ -n "${!var:-}" ]]; then
    is_python "${!var}" "$want" || die "$var=${!var} is not a working Python $want (with the venv module)"
    printf '%s' "${!var}"
    return
  fi
  if candidate="$(command -v "python$want" 2>/dev/null)" && is_python "$candidate" "$want"; then
    printf '%s' "$candidate"
    return
  fi
  if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3,3nr); do
      candidate="$root/versions/$version/bin/python$want"
      if is_python "$candidate" "$want"; then
        printf '%s' "$candidate"
        return
      fi
    done
  fi
  die "Home Assistant $VERSION needs Python $want: none found (tried \$$var, python$want on PATH, pyenv); install it (e.g. 'pyenv install $want') or set $var to its interpreter"
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
ROLE=main
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    main | floor) ROLE="$arg" ;;
    *) die "usage: $0 [main|floor] [--force]" ;;
  esac
done

read -r VERSION PYTHON_MINOR CUTOFF <<<"$(read_role "$ROLE")"
[[ -n "$CUTOFF" ]] || die "role '$ROLE' in $HERE/VERSIONS needs: role version python cutoff"
CONFIG_TEMPLATE="$HERE/config/configuration.yaml"
REQ_SCRIPT="$HERE/integration_requirements.py"

# Everything that changes what ends up in the venv; whole-line comments and blank lines do not.
FINGERPRINT="$(
  {
    printf 'version=%s python=%s cutoff=%s pip=%s extra=%s\n' "$VERSION" "$PYTHON_MINOR" "$CUTOFF" "$PIP_VERSION" "$EXTRA_INTEGRATIONS"
    grep -hvE '^[[:space:]]*(#|$)' "${BASH_SOURCE[0]}" "$REQ_SCRIPT" "$CONFIG_TEMPLATE"
  } | sha256sum | cut -d' ' -f1
)"

CACHE_DIR="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/homeassistant/$VERSION-py$PYTHON_MINOR"
HOME_DIR="$CACHE_DIR/${FINGERPRINT:0:16}"
VENV="$HOME_DIR/venv"
VPY="$VENV/bin/python"
MARKER="$VENV/.homeiq-provisioned"
LOG="$HOME_DIR/provision.log"

mkdir -p "$HOME_DIR" || die "cannot create cache dir $HOME_DIR"

exec 9>"$CACHE_DIR/.lock"
if ! flock -n 9; then
  log "waiting for another provision run (lock $CACHE_DIR/.lock)"
  flock -w 1800 9 || die "timed out waiting for lock $CACHE_DIR/.lock"
fi

if [[ "$FORCE" == 0 && -x "$VPY" && -f "$MARKER" ]] &&
  [[ "$(cat "$MARKER")" == "$FINGERPRINT" ]]; then
  log "reusing $VENV (homeassistant $VERSION, $ROLE)"
  touch "$HOME_DIR/last-used"
  printf '%s\n' "$VPY"
  exit 0
fi

BASE_PYTHON="$(find_python "$PYTHON_MINOR")" || exit 1
: >"$LOG"
log "building $VENV (homeassistant $VERSION, $ROLE, PyPI files before $CUTOFF); log: $LOG"
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

REQS="$HOME_DIR/integration-requirements.txt"
step "resolve integration requirements" \
  to_file "$REQS" "$VPY" "$REQ_SCRIPT" "$CONFIG_TEMPLATE" --also "$EXTRA_INTEGRATIONS"
log "integration requirements: $(paste -sd' ' "$REQS")"
step "install integration requirements" "${PIP[@]}" -c "$CONSTRAINTS" -r "$REQS"

step "pip check" "$VPY" -m pip check
DOMAINS="$HOME_DIR/integration-domains.txt"
step "list integrations" \
  to_file "$DOMAINS" "$VPY" "$REQ_SCRIPT" "$CONFIG_TEMPLATE" --also "$EXTRA_INTEGRATIONS" --domains
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
touch "$HOME_DIR/last-used"
log "done: $(du -sh "$VENV" | cut -f1) in $VENV"

# Venvs of this version (other fingerprints) that no checkout has used for PRUNE_DAYS, each ~600 MB; a build
# that never completed counts from its log.
for dir in "$CACHE_DIR"/*/; do
  dir="${dir%/}"
  [[ "$(basename "$dir")" =~ ^[0-9a-f]{16}$ && "$dir" != "$HOME_DIR" ]] || continue
  stamp="$dir/last-used"
  [[ -e "$stamp" ]] || stamp="$dir/provision.log"
  [[ -e "$stamp" ]] || stamp="$dir"
  if [[ -n "$(find "$stamp" -maxdepth 0 -mtime "+$PRUNE_DAYS" -print)" ]]; then
    log "removing $dir, unused for more than $PRUNE_DAYS days"
    rm -rf "$dir"
  fi
done
printf '%s\n' "$VPY"

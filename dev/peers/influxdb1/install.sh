#!/usr/bin/env bash
# InfluxDB 1.x (test peer), installed into the cache, never onto the system:
#
#   bash dev/peers/influxdb1/install.sh debian   # Debian's `influxdb` package (bookworm: 1.6.7)
#   bash dev/peers/influxdb1/install.sh 1.8      # InfluxDB 1.8.10 built from the Go module proxy
#
# stdout: the absolute path of `influxd`, nothing else; progress goes to stderr as `[influxdb1] ...`.
# Cache: ${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxdb1/<release>/. Idempotent and cheap once cached.
# Why two, and why the package is unpacked rather than installed: see README.md next to this file.
set -euo pipefail

readonly TAG='[influxdb1]'
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../../.." && pwd)
readonly SCRIPT_DIR REPO_ROOT
# The newest 1.x that is pure Go (1.9 and later link Rust's libflux); the release the community add-on ships.
readonly SOURCE_VERSION='1.8.10'

say() { printf '%s %s\n' "$TAG" "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}

CACHE_ROOT="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxdb1"
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)
case "$CACHE_ROOT/" in
  "$REPO_ROOT"/*) die "cache dir $CACHE_ROOT is inside the repository; set HOMEIQ_CACHE elsewhere" ;;
esac

# locked DIR: serialise concurrent installs of one release (the second waits, then finds it cached).
locked() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock 9
}

install_debian() {
  command -v apt-cache >/dev/null 2>&1 || die "apt-cache not found: Debian's influxdb package needs a Debian system"
  local version
  version=$(apt-cache policy influxdb 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' | head -n 1)
  if [[ -z "$version" || "$version" == '(none)' ]]; then
    # The package lists are missing (a fresh container): fetch them once.
    [[ "$(id -u)" -eq 0 ]] || die "the apt package lists are missing and 'apt-get update' needs root"
    say "apt-get update (package lists missing)"
    apt-get update -qq >&2 || die "apt-get update failed; check the network and the apt sources"
    version=$(apt-cache policy influxdb 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' | head -n 1)
  fi
  [[ -n "$version" && "$version" != '(none)' ]] || die "the apt sources offer no 'influxdb' package"
  local dir="$CACHE_ROOT/debian-$version"
  local bin="$dir/root/usr/bin/influxd"
  if [[ -x "$bin" ]]; then
    say "cached: $bin (Debian influxdb $version)"
    printf '%s\n' "$bin"
    return
  fi
  locked "$dir"
  if [[ ! -x "$bin" ]]; then
    say "downloading Debian's influxdb $version (the package is unpacked into the cache, not installed)"
    local tmp
    tmp=$(mktemp -d "$dir/download.XXXXXX")
    # -o APT::Sandbox::User=root: the download dir is not the _apt user's; nothing else runs with it.
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "influxdb=$version" >&2) ||
      die "apt-get download influxdb=$version failed"
    rm -rf "$dir/root"
    dpkg-deb -x "$tmp"/influxdb_*.deb "$dir/root" || die "dpkg-deb could not unpack $(ls "$tmp")"
    rm -rf "$tmp"
  fi
  "$bin" version >/dev/null 2>&1 || die "$bin does not run"
  say "ready: $bin ($("$bin" version 2>/dev/null))"
  printf '%s\n' "$bin"
}

install_source() {
  local dir="$CACHE_ROOT/$SOURCE_VERSION"
  local bin="$dir/influxd"
  cached_ok() { [[ -x "$bin" ]] && "$bin" version 2>/dev/null | grep -q "InfluxDB v$SOURCE_VERSION "; }
  if cached_ok; then
    say "cached: $bin ($("$bin" version 2>/dev/null))"
    printf '%s\n' "$bin"
    return
  fi
  locked "$dir"
  if ! cached_ok; then
    command -v go >/dev/null 2>&1 || die "go not found on PATH: building InfluxDB $SOURCE_VERSION needs Go"
    say "building InfluxDB $SOURCE_VERSION from the Go module proxy (about 2 minutes on 2 cores the first time)"
    local log="$dir/build.log"
    # Pure Go, no cgo, and no `replace` directive in its go.mod, so a plain `go install module@version` works.
    # The module and build caches are the ones the influxd 2.x build uses (shared dependencies download once).
    if ! env GOTOOLCHAIN=local GOFLAGS='-modcacherw -buildvcs=false' CGO_ENABLED=0 \
      GOPATH="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxd/go/path" \
      GOMODCACHE="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxd/go/mod" \
      GOCACHE="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxd/go/cache" \
      GOBIN="$dir/bin.tmp" \
      go install -ldflags "-X main.version=$SOURCE_VERSION -X main.branch=1.8 -X main.commit=v$SOURCE_VERSION" \
      "github.com/influxdata/influxdb/cmd/influxd@v$SOURCE_VERSION" >"$log" 2>&1; then
      tail -n 20 "$log" | sed 's/^/    | /' >&2
      die "go install of InfluxDB $SOURCE_VERSION failed (full log: $log)"
    fi
    mv -f "$dir/bin.tmp/influxd" "$bin"
    rm -rf "$dir/bin.tmp"
    cached_ok || die "the built $bin does not report InfluxDB v$SOURCE_VERSION"
    say "built in ${SECONDS}s: $bin"
  fi
  printf '%s\n' "$bin"
}

case "${1:-}" in
  debian) install_debian ;;
  1.8) install_source ;;
  *) die "usage: install.sh debian|1.8" ;;
esac

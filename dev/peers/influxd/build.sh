#!/usr/bin/env bash
# Build the real InfluxDB OSS 2.x server (`influxd`) from source, using only the
# Go module proxy and crates.io, and cache it outside the repository.
#
# Usage: bash dev/peers/influxd/build.sh        # prints the absolute path of influxd on stdout
#
# Version: `ARG INFLUXDB_VERSION=<x.y.z>` in homeiq-influxdb/Dockerfile (single source of
# truth); env INFLUXDB_VERSION overrides it for experiments.
# Cache:   ${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxd/<version>/influxd
# Progress goes to stderr as `[influxd-build] ...`; tool output goes to
# <cache>/influxd/<version>/build.log. See README.md next to this file.
set -euo pipefail

readonly TAG='[influxd-build]'
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../../.." && pwd)
readonly SCRIPT_DIR REPO_ROOT
readonly DOCKERFILE="$REPO_ROOT/homeiq-influxdb/Dockerfile"
readonly INFLUXDB_MODULE='github.com/influxdata/influxdb/v2'
readonly FLUX_MODULE='github.com/influxdata/flux'
readonly PKGCONFIG_MODULE='github.com/influxdata/pkg-config'

STEP='init'
LOG=''
CHILD=''

say() { printf '%s %s\n' "$TAG" "$*" >&2; }
die() {
  STEP_FAILED_MSG="$*"
  exit 1
}
STEP_FAILED_MSG=''

on_exit() {
  local rc=$?
  if [[ -n "$CHILD" ]]; then kill "$CHILD" 2>/dev/null || true; fi
  if ((rc != 0)); then
    if [[ -n "$LOG" && -s "$LOG" ]]; then
      tail -n 20 "$LOG" | sed 's/^/    | /' >&2 || true
    fi
    local why=''
    [[ -n "$STEP_FAILED_MSG" ]] && why=": $STEP_FAILED_MSG"
    printf '%s FAILED in step "%s" after %ss%s (full log: %s)\n' \
      "$TAG" "$STEP" "$SECONDS" "$why" "${LOG:-none}" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

step() {
  STEP="$1"
  say "step: $STEP (t=${SECONDS}s)"
}

# run_logged CMD...: run with all output appended to $LOG; print a heartbeat
# with the newest log line every 60 s so long steps (cargo LTO) show progress.
run_logged() {
  printf '\n$ (cd %s && %s)\n' "$PWD" "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 </dev/null &
  CHILD=$!
  local waited=0
  while kill -0 "$CHILD" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if ((waited % 60 == 0)); then
      say "  ... $STEP still running (t=${SECONDS}s): $(tail -n 1 "$LOG" | cut -c1-120)"
    fi
  done
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=''
  return "$rc"
}

# go_download MODULE@VERSION: download via the module proxy; sets MODDIR.
MODDIR=''
go_download() {
  local json dir err
  printf '\n$ go mod download -json %s\n' "$1" >>"$LOG"
  json=$(go mod download -json "$1" 2>>"$LOG") || true
  printf '%s\n' "$json" >>"$LOG"
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  err=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  err="${err//\\u003e/>}"
  if [[ -z "$dir" && "$err" == *"requires go >="* ]]; then
    # A module whose `go` directive is newer than the local Go is downloaded,
    # verified and extracted, but reported as an error without "Dir"; take
    # the extracted dir (lowercase module paths only) and lower the directive later.
    dir="$GOMODCACHE/${1%@*}@${1##*@}"
  fi
  if [[ -z "$dir" || ! -f "$dir/go.mod" ]]; then
    die "go mod download $1 failed: ${err:-no module directory}"
  fi
  MODDIR="$dir"
}

# copy_module SRC DST: writable copy of a (read-only) module cache directory.
copy_module() {
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  cp -R "$1" "$2"
  chmod -R u+w "$2"
}

version_gt() { [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" == "$1" ]]; }

# ---------------------------------------------------------------- version
step 'resolve version'
VERSION="${INFLUXDB_VERSION:-}"
if [[ -z "$VERSION" ]]; then
  [[ -f "$DOCKERFILE" ]] || die "$DOCKERFILE not found and INFLUXDB_VERSION not set"
  VERSION=$(sed -n 's/^[[:space:]]*ARG[[:space:]]\{1,\}INFLUXDB_VERSION=\([^[:space:]]*\).*$/\1/p' "$DOCKERFILE" | head -n 1)
  [[ -n "$VERSION" ]] || die "no 'ARG INFLUXDB_VERSION=<x.y.z>' line in $DOCKERFILE"
fi
VERSION="${VERSION//\"/}"
VERSION="${VERSION#v}"
[[ "$VERSION" =~ ^2\.[0-9]+\.[0-9]+$ ]] || die "unsupported InfluxDB version '$VERSION' (expected 2.x.y)"
MODVER="v$VERSION"

CACHE_ROOT="${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/influxd"
VDIR="$CACHE_ROOT/$VERSION"
BIN="$VDIR/influxd"
mkdir -p "$VDIR"
VDIR=$(cd "$VDIR" && pwd)
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)
BIN="$VDIR/influxd"
case "$VDIR/" in
  "$REPO_ROOT"/*) die "cache dir $VDIR is inside the repository; set HOMEIQ_CACHE elsewhere" ;;
esac

cached_ok() { [[ -x "$BIN" ]] && "$BIN" version 2>/dev/null | grep -q "InfluxDB $MODVER"; }

if cached_ok; then
  say "cached: $BIN ($("$BIN" version 2>/dev/null | head -n 1)) (t=${SECONDS}s)"
  printf '%s\n' "$BIN"
  exit 0
fi

# Serialise concurrent builds of the same version.
exec 9>"$VDIR/.lock"
if ! flock -n 9; then
  say "another build of influxd $VERSION is running; waiting for $VDIR/.lock"
  flock 9
  if cached_ok; then
    say "built by the other run: $BIN (t=${SECONDS}s)"
    printf '%s\n' "$BIN"
    exit 0
  fi
fi

LOG="$VDIR/build.log"
: >"$LOG"
say "building influxd $MODVER into $VDIR (log: $LOG)"

# ---------------------------------------------------------------- toolchain
step 'check toolchain'
for tool in go cargo rustc gcc pkg-config flock; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found on PATH"
done

export GOTOOLCHAIN=local       # never try to download a Go toolchain
export GOPATH="$CACHE_ROOT/go/path"
export GOMODCACHE="$CACHE_ROOT/go/mod"
export GOCACHE="$CACHE_ROOT/go/cache"
export GOFLAGS='-mod=mod -modcacherw -buildvcs=false'
export CGO_ENABLED=1
export CARGO_HOME="$CACHE_ROOT/cargo"
# flux's libflux has #![deny(warnings)] under its default `strict` feature; lints
# added by newer rustc releases would become hard errors. Downgrade them.
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cap-lints=warn"
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET GOOS GOARCH GOFIPS140 || true
mkdir -p "$GOPATH" "$GOMODCACHE" "$GOCACHE" "$CARGO_HOME"

# flux's rust-toolchain.toml pins a channel (1.83 for flux v0.200) that rustup
# would try to download; pin the toolchain that is already installed instead.
if command -v rustup >/dev/null 2>&1 && [[ -z "${RUSTUP_TOOLCHAIN:-}" ]]; then
  RUSTUP_TOOLCHAIN="${HOMEIQ_RUST_TOOLCHAIN:-$(cd / && rustup show active-toolchain 2>>"$LOG" | awk 'NR==1{print $1}')}"
  [[ -n "$RUSTUP_TOOLCHAIN" ]] || die "cannot determine the installed rustup toolchain (set HOMEIQ_RUST_TOOLCHAIN)"
  export RUSTUP_TOOLCHAIN
fi
export RUSTUP_AUTO_INSTALL=0

GO_LOCAL=$(go env GOVERSION)
GO_LOCAL="${GO_LOCAL#go}"
{
  echo "go $GO_LOCAL; $(rustc --version); $(cargo --version); $(gcc --version | head -n 1)"
  echo "RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-} RUSTFLAGS=$RUSTFLAGS GOFLAGS=$GOFLAGS"
  echo "GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE CARGO_HOME=$CARGO_HOME"
} >>"$LOG" 2>&1
case "$(go env GOOS)/$(go env GOARCH)" in
  linux/amd64) CARGO_TRIPLE='x86_64-unknown-linux-gnu' ;;
  linux/arm64) CARGO_TRIPLE='aarch64-unknown-linux-gnu' ;;
  *) die "unsupported platform $(go env GOOS)/$(go env GOARCH)" ;;
esac
say "  go $GO_LOCAL, $(rustc --version | awk '{print $1, $2}') (${RUSTUP_TOOLCHAIN:-no rustup}), target $CARGO_TRIPLE"

# ---------------------------------------------------------------- sources
step "download $INFLUXDB_MODULE@$MODVER (Go module proxy)"
cd "$VDIR"
go_download "$INFLUXDB_MODULE@$MODVER"
SRC="$VDIR/src/github.com/influxdata/influxdb/v2@$MODVER"
copy_module "$MODDIR" "$SRC"
cd "$SRC"

# The go directive may name a newer patch release than the local Go (e.g. v2.10.0
# wants go 1.26.9); GOTOOLCHAIN=local then refuses to build. Lower it in the copy.
GO_WANT=$(go mod edit -json | sed -n 's/^[[:space:]]*"Go": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
if [[ -n "$GO_WANT" ]] && version_gt "$GO_WANT" "$GO_LOCAL"; then
  say "  go.mod wants go $GO_WANT > local $GO_LOCAL; lowering the go directive in the copy"
  run_logged go mod edit -go="$GO_LOCAL" -toolchain=none
fi

FLUX_VERSION=$(go list -m -f '{{.Version}}' "$FLUX_MODULE" 2>>"$LOG") ||
  die "cannot resolve $FLUX_MODULE from $INFLUXDB_MODULE@$MODVER go.mod"
PKGCONFIG_VERSION=$(go list -m -f '{{.Version}}' "$PKGCONFIG_MODULE" 2>>"$LOG") ||
  die "cannot resolve $PKGCONFIG_MODULE from $INFLUXDB_MODULE@$MODVER go.mod"
say "  flux $FLUX_VERSION, pkg-config wrapper $PKGCONFIG_VERSION"

step "download $FLUX_MODULE@$FLUX_VERSION (Go module proxy)"
go_download "$FLUX_MODULE@$FLUX_VERSION"
# The directory name must end in /github.com/<org>/flux@vX.Y.Z: the pkg-config
# wrapper derives the flux version from it. The copy (and its cargo target/)
# is kept between runs so an interrupted build resumes quickly.
FLUX_SRC="$VDIR/src/github.com/influxdata/flux@$FLUX_VERSION"
if [[ ! -f "$FLUX_SRC/.homeiq-copied" ]]; then
  copy_module "$MODDIR" "$FLUX_SRC"
  touch "$FLUX_SRC/.homeiq-copied"
fi
# Build flux from our writable copy, so the wrapper neither copies it again nor
# hides cargo's output; the module content is byte-identical to the proxy's.
run_logged go mod edit -replace "$FLUX_MODULE=$FLUX_SRC"

# ---------------------------------------------------------------- pkg-config wrapper
step "build pkg-config wrapper $PKGCONFIG_MODULE@$PKGCONFIG_VERSION"
run_logged go build -o "$VDIR/pkg-config" "$PKGCONFIG_MODULE"
export PKG_CONFIG="$VDIR/pkg-config"

# ---------------------------------------------------------------- libflux (Rust)
step "build libflux $FLUX_VERSION with cargo (crates.io; slow: release + LTO)"
cd "$FLUX_SRC/libflux"
# Same command line and environment as the wrapper uses, so its own cargo run
# during `go build` is a no-op.
run_logged cargo build --release --target "$CARGO_TRIPLE"
[[ -f "target/$CARGO_TRIPLE/release/libflux.a" ]] || die "cargo did not produce libflux.a"

# ---------------------------------------------------------------- influxd (Go + cgo)
step "go build ./cmd/influxd"
cd "$SRC"
TAGS=$(sed -n 's/^COMMON_TAGS[[:space:]]*:=[[:space:]]*//p' GNUmakefile 2>/dev/null | head -n 1)
TAGS="${TAGS:-sqlite_foreign_keys,sqlite_json}" # upstream tags minus `assets` (UI from GitHub)
COMMIT=$(sed -n 's/.*"Hash":"\([0-9a-f]\{10\}\).*/\1/p' \
  "$GOMODCACHE/cache/download/$INFLUXDB_MODULE/@v/$MODVER.info" 2>/dev/null || true)
DATE=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' \
  "$GOMODCACHE/cache/download/$INFLUXDB_MODULE/@v/$MODVER.info" 2>/dev/null || true)
LDFLAGS="-X main.version=$MODVER -X main.commit=${COMMIT:-unknown}${DATE:+ -X main.date=$DATE}"
say "  tags $TAGS"
run_logged go build -tags "$TAGS" -ldflags "$LDFLAGS" -o "$VDIR/influxd.tmp" ./cmd/influxd

step 'verify influxd version'
run_logged "$VDIR/influxd.tmp" version
"$VDIR/influxd.tmp" version 2>/dev/null | grep -q "InfluxDB $MODVER" ||
  die "built binary does not report InfluxDB $MODVER"
mv -f "$VDIR/influxd.tmp" "$BIN"

STEP='done'
say "built $BIN in ${SECONDS}s ($("$BIN" version | head -n 1))"
printf '%s\n' "$BIN"

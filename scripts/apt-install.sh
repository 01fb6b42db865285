#!/usr/bin/env bash
# Installs one Debian package unless the files it is needed for are there already (idempotent).
#
# Usage: scripts/apt-install.sh <who> <package> <file>...
#   <who>      prefix of the messages (the calling script's name)
#   <file>...  executables that must exist afterwards; when all exist nothing is done
#
# Runs `apt-get update` and `apt-get install -y --no-install-recommends <package>` (as root, or with sudo).
# Progress and errors go to stderr; the exit status says whether every file exists at the end.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 <who> <package> <file>..." >&2
  exit 2
fi
WHO="$1"
PACKAGE="$2"
shift 2

all_there() {
  local f
  for f in "$@"; do
    [[ -x "$f" ]] || return 1
  done
}

if all_there "$@"; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$WHO: $* missing and apt-get is not available; install Debian's $PACKAGE package (or its equivalent)" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "$WHO: installing $PACKAGE needs root (run as root, or install sudo)" >&2
    exit 1
  fi
fi

echo "$WHO: installing Debian's $PACKAGE" >&2
if ! "${SUDO[@]}" apt-get update -qq >&2; then
  echo "$WHO: apt-get update failed; check the network and the apt sources" >&2
  exit 1
fi
if ! DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$PACKAGE" >&2; then
  echo "$WHO: apt-get install $PACKAGE failed; see the apt output above" >&2
  exit 1
fi
if ! all_there "$@"; then
  echo "$WHO: the $PACKAGE package is installed but one of $* is missing" >&2
  exit 1
fi

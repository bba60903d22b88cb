# Shared by the scripts in this folder: paths, and installing what a fresh machine lacks.
# Sourced, never run on its own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${REROUTE_SHARED:-$ROOT/../shared}"
BUILD_NATIVE="$ROOT/build/native"
BUILD_ASAN="$ROOT/build/asan"
BUILD_WASM="$ROOT/build/wasm"
PKG="$BUILD_WASM/pkg"
# Quirk 1 of the toolchain notes: Debian's emcc finds acorn only through NODE_PATH.
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
JOBS="${JOBS:-$(nproc)}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages the project needs; installed once, on first use (python3-minimal: a test's
# listener that never accepts, tests/edge/helpers.mjs).
APT_PACKAGES=(cmake g++ clang libclang-rt-14-dev emscripten libboost-json1.81-dev doctest-dev chromium curl python3-minimal)

ensure_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_npm() {
  # npm ci from the committed lockfile of DIR (default: the repository's); redone only when the
  # lockfile changes.
  local dir=${1:-$ROOT}
  local stamp="$dir/node_modules/.reroute-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

ensure_setup() {
  ensure_apt
  ensure_npm
}

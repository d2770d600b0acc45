# shellcheck shell=bash
# Sourced by scripts/run and scripts/test: installs the Debian packages the build and the tests
# need, with apt, only when some are missing. Nothing is downloaded from anywhere else.
# The package lists (IS_BUILD_PACKAGES, IS_TEST_PACKAGES, IS_RUNTIME_PACKAGES) live in one file that
# the Dockerfile installs from too.
# shellcheck source=SCRIPTDIR/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

is_install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The package index, when the machine has none (a fresh container): the image check
# (tests/deploy/image_libraries.sh) asks apt which package holds what.
is_ensure_package_index() {
  compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
}

# ccache keys on paths relative to the checkout, so a second clone (CI's fresh checkout, a
# worktree) reuses what the first compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"

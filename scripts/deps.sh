# Sourced by scripts/run and scripts/test: installs the Debian packages the build and the tests
# need, with apt, only when some are missing. Nothing is downloaded from anywhere else.
IS_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpq-dev libsqlite3-dev libssl-dev libsodium-dev libsimdjson-dev libcurl4-openssl-dev libexpat1-dev libzstd-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
)
IS_TEST_PACKAGES=(postgresql postgresql-client clang libclang-rt-14-dev sqlite3 curl chromium)

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

# ccache keys on paths relative to the checkout, so a second clone (CI's fresh checkout, a
# worktree) reuses what the first compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"

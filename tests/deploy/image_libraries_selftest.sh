#!/usr/bin/env bash
# Proves tests/deploy/image_libraries.sh can fail: it must pass on the real package list and
# Dockerfile, and refuse broken copies of them (a library package dropped from the list, a
# dependency-only package as the sole source of a directly linked library, a runtime stage that
# installs a package outside the list, a non-slim base, a misspelt package).
#
#   tests/deploy/image_libraries_selftest.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=${1:?usage: $0 BINARY}
check=$here/image_libraries.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect_pass() {
  if ! out=$("$check" "$binary" 2>&1); then
    echo "image_libraries_selftest: FAIL: the real files were refused:"; echo "$out"; failures=$((failures + 1))
  else
    echo "image_libraries_selftest: ok: the real package list and Dockerfile pass"
  fi
}

# expect_fail NAME PATTERN [VAR=VALUE...]: the check, run with the given copies, must fail and say PATTERN.
expect_fail() {
  local name=$1 pattern=$2; shift 2
  if out=$(env "$@" "$check" "$binary" 2>&1); then
    echo "image_libraries_selftest: FAIL: $name: the check passed"; failures=$((failures + 1))
  elif ! grep -Fq -- "$pattern" <<<"$out"; then
    echo "image_libraries_selftest: FAIL: $name: failed without saying '$pattern':"; echo "$out"; failures=$((failures + 1))
  else
    echo "image_libraries_selftest: ok: $name is refused"
  fi
}

# A copy of scripts/packages.sh with one word of the runtime list replaced (empty: removed).
packages_with() {
  local from=$1 to=$2 file=$tmp/packages-$RANDOM.sh
  awk -v from="$from" -v to="$to" '
    /^IS_RUNTIME_PACKAGES=\(/ { in_list = 1 }
    in_list && !/^[[:space:]]*#/ { for (i = 1; i <= NF; i++) if ($i == from) $i = to }
    in_list && !/^[[:space:]]*#/ && /\)/ { in_list = 0 }
    { print }' "$repo/scripts/packages.sh" >"$file"
  cmp -s "$file" "$repo/scripts/packages.sh" && { echo "selftest: '$from' not in IS_RUNTIME_PACKAGES" >&2; exit 1; }
  echo "$file"
}

expect_pass
no_sodium=$(packages_with libsodium23 "")
no_ssl=$(packages_with libssl3 "")
misspelt=$(packages_with libsqlite3-0 libsqlite3-O)
expect_fail "libsodium23 dropped from the list" "libsodium.so.23" IS_PACKAGES_FILE="$no_sodium"
# libssl3 still comes with libcurl4, but the binary links libcrypto.so.3 itself: it must be named.
expect_fail "libssl3 dropped (still pulled in by libcurl4)" "libcrypto.so.3" IS_PACKAGES_FILE="$no_ssl"
expect_fail "a misspelt package" "no package 'libsqlite3-O'" IS_PACKAGES_FILE="$misspelt"

# shellcheck disable=SC2016  # the Dockerfile's literal "${IS_RUNTIME_PACKAGES[@]}"
sed 's|"\${IS_RUNTIME_PACKAGES\[@\]}"|"${IS_RUNTIME_PACKAGES[@]}" tini|' "$repo/Dockerfile" >"$tmp/Dockerfile.extra"
expect_fail "a package installed outside the list" "outside IS_RUNTIME_PACKAGES: tini" IS_DOCKERFILE="$tmp/Dockerfile.extra"
sed 's|^FROM debian:12-slim AS runtime|FROM debian:12 AS runtime|' "$repo/Dockerfile" >"$tmp/Dockerfile.base"
expect_fail "a runtime stage not on debian:12-slim" "not FROM debian:12-slim" IS_DOCKERFILE="$tmp/Dockerfile.base"
# shellcheck disable=SC2016
sed 's|"\${IS_RUNTIME_PACKAGES\[@\]}"|libcurl4 libpq5|' "$repo/Dockerfile" >"$tmp/Dockerfile.literal"
expect_fail "a runtime stage with its own literal list" "does not install \"\${IS_RUNTIME_PACKAGES[@]}\"" \
  IS_DOCKERFILE="$tmp/Dockerfile.literal"

if [ "$failures" -gt 0 ]; then
  echo "image_libraries_selftest: $failures case(s) wrong" >&2
  exit 1
fi
echo "image_libraries_selftest: OK"

#!/usr/bin/env bash
# Checks the container image's runtime stage without building it (no Docker engine here):
#
#   tests/deploy/image_libraries.sh BINARY
#
# 1. The Dockerfile's runtime stage is debian:12-slim and installs its packages from
#    IS_RUNTIME_PACKAGES in scripts/packages.sh, and from nothing else.
# 2. Every package of that list (and of SLIM_BASE_PACKAGES below) exists in the apt cache.
# 3. Every shared library `ldd BINARY` reports is owned (`dpkg -S`) by a package the image has:
#    a library the binary links directly (DT_NEEDED) must come from a package named in
#    IS_RUNTIME_PACKAGES or SLIM_BASE_PACKAGES; a library only loaded through another one may
#    also come from a dependency apt installs with the list (simulated with apt-get -s on an
#    empty package database, i.e. what `apt-get install --no-install-recommends` pulls in).
#
# Needs dpkg, apt-get/apt-cache with current package lists (apt-get update), ldd and readelf.
# IS_PACKAGES_FILE and IS_DOCKERFILE point it at other copies (tests/deploy/image_libraries_selftest.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
packages_file=${IS_PACKAGES_FILE:-$repo/scripts/packages.sh}
dockerfile=${IS_DOCKERFILE:-$repo/Dockerfile}
binary=${1:-}

problems=()
problem() { problems+=("$*"); }
# Stops at once, with what was found wrong before.
fail() {
  echo "image_libraries: FAIL: $*" >&2
  [ "${#problems[@]}" -eq 0 ] || printf '  - %s\n' "${problems[@]}" >&2
  exit 1
}
[ -n "$binary" ] || { echo "usage: $0 BINARY" >&2; exit 2; }
[ -x "$binary" ] || fail "$binary is not an executable file"
for tool in ldd readelf dpkg apt-get apt-cache; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done

# Packages debian:12-slim already has, of those whose libraries the binary links directly. The
# slim image is Debian's minbase: every Essential and Priority-required package, apt among them.
# These three come with apt (apt Depends: libstdc++6, libgcc-s1; everything depends on libc6), so
# they are in every Debian 12 image; check 4 below proves it from the apt metadata each run.
SLIM_BASE_PACKAGES=(
  libc6       # libc.so.6, libm.so.6, ld-linux-x86-64.so.2
  libstdc++6  # libstdc++.so.6
  libgcc-s1   # libgcc_s.so.1
)
# Packages certainly in debian:12-slim (Essential or Priority required: checked below); the
# dependency closure of these is what SLIM_BASE_PACKAGES must fall within.
SLIM_ANCHORS=(apt bash coreutils dpkg)
# Sanitizer runtimes: the test suite hands this script the AddressSanitizer + UBSan build
# (build/test/src/insightstream), which links them; the Release build that goes into the image
# never does. They are skipped only when the binary itself links them (DT_NEEDED), and each skip
# is printed.
SANITIZER_PACKAGE_RE='^lib(asan|ubsan|lsan|tsan|hwasan)[0-9]+$'

# --- 1. The Dockerfile installs the runtime stage from the shared list ------------------------
[ -f "$dockerfile" ] || fail "no Dockerfile at $dockerfile"
[ -f "$packages_file" ] || fail "no package list at $packages_file"
# Logical instructions: continuation lines joined, comments dropped, one stage index per line.
instructions=$(awk '
  /^[[:space:]]*#/ { next }
  { line = cont ? cont " " $0 : $0; cont = "" }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); cont = line; next }
  line ~ /^[[:space:]]*$/ { next }
  toupper(line) ~ /^[[:space:]]*FROM[[:space:]]/ { stage++ }
  { print stage "\t" line }
' "$dockerfile")
last_stage=$(printf '%s\n' "$instructions" | tail -n1 | cut -f1)
runtime=$(printf '%s\n' "$instructions" | awk -F'\t' -v s="$last_stage" '$1 == s { sub(/^[^\t]*\t/, ""); print }')
build=$(printf '%s\n' "$instructions" | awk -F'\t' '$1 == 1 { sub(/^[^\t]*\t/, ""); print }')
from_line=$(printf '%s\n' "$runtime" | head -n1)
[[ $from_line =~ ^FROM[[:space:]]+debian:12-slim([[:space:]@]|$) ]] ||
  problem "Dockerfile: the last stage (the image) is not FROM debian:12-slim: '$from_line'"
printf '%s\n' "$runtime" | grep -Eq '^COPY[[:space:]]+scripts/packages\.sh[[:space:]]' ||
  problem "Dockerfile: the runtime stage does not COPY scripts/packages.sh"
installs=$(printf '%s\n' "$runtime" | grep -E 'apt-get[[:space:]]+(-[^[:space:]]+[[:space:]]+)*install|(^|[^-])apt[[:space:]]+install|dpkg[[:space:]]+-i' || true)
if [ -z "$installs" ]; then
  problem "Dockerfile: the runtime stage installs no packages"
else
  [ "$(printf '%s\n' "$installs" | wc -l)" -eq 1 ] ||
    problem "Dockerfile: the runtime stage installs packages in more than one instruction (only IS_RUNTIME_PACKAGES may be installed)"
  # shellcheck disable=SC2016  # the literal text "${IS_RUNTIME_PACKAGES[@]}" is what is looked for
  grep -Fq '"${IS_RUNTIME_PACKAGES[@]}"' <<<"$installs" ||
    problem "Dockerfile: the runtime stage's apt-get install does not install \"\${IS_RUNTIME_PACKAGES[@]}\""
  grep -Eq '(source|\.)[[:space:]]+[^[:space:]]*packages\.sh' <<<"$installs" ||
    problem "Dockerfile: the runtime stage's install does not source the copied packages.sh"
  grep -Fq -- '--no-install-recommends' <<<"$installs" ||
    problem "Dockerfile: the runtime stage installs recommended packages too (add --no-install-recommends)"
  # Nothing but the array after "install": an extra package name would bypass the shared list.
  after=$(sed -E 's/.*apt-get[[:space:]]+(-[^[:space:]]+[[:space:]]+)*install[[:space:]]+//; s/&&.*//; s/;.*//' <<<"$installs")
  extra=$(tr ' ' '\n' <<<"$after" | grep -Ev '^$|^-|^"\$\{IS_RUNTIME_PACKAGES\[@\]\}"$' || true)
  [ -z "$extra" ] || problem "Dockerfile: the runtime stage installs packages outside IS_RUNTIME_PACKAGES: ${extra//$'\n'/ }"
fi
# shellcheck disable=SC2016
printf '%s\n' "$build" | grep -Fq '"${IS_BUILD_PACKAGES[@]}"' ||
  problem "Dockerfile: the build stage does not install \"\${IS_BUILD_PACKAGES[@]}\" from scripts/packages.sh"

# --- 2. The lists exist in the apt cache ------------------------------------------------------
# shellcheck source=SCRIPTDIR/../../scripts/packages.sh
source "$packages_file"
[ "${#IS_RUNTIME_PACKAGES[@]}" -gt 0 ] || fail "IS_RUNTIME_PACKAGES is empty or missing in $packages_file"
# One apt-cache call for all (each call reads the whole cache: ~0.6 s). Unknown and purely
# virtual names (which apt cannot install by themselves) have no record.
records=$(apt-cache show --no-all-versions "${IS_RUNTIME_PACKAGES[@]}" "${SLIM_BASE_PACKAGES[@]}" "${SLIM_ANCHORS[@]}" 2>/dev/null || true)
known=$(sed -n 's/^Package: //p' <<<"$records" | sort -u)
for p in "${IS_RUNTIME_PACKAGES[@]}" "${SLIM_BASE_PACKAGES[@]}" "${SLIM_ANCHORS[@]}"; do
  grep -qx -- "$p" <<<"$known" ||
    problem "apt: no package '$p' in the apt cache (a typo, a virtual name, not in Debian 12, or apt-get update never ran)"
done

# Which packages an install of NAMES... pulls in on a system that has none (Depends and
# PreDepends only, as --no-install-recommends does), from the local apt metadata.
install_closure() {
  local out
  out=$(apt-get -s -o Dir::State::status=/dev/null -o APT::Get::Show-Versions=false \
        install --no-install-recommends "$@" 2>&1) || { echo "$out" >&2; return 1; }
  awk '$1 == "Inst" { print $2 }' <<<"$out" | sed 's/:.*//' | sort -u
}

# --- 4. SLIM_BASE_PACKAGES really are in debian:12-slim ---------------------------------------
for p in "${SLIM_ANCHORS[@]}"; do
  fields=$(awk -v p="$p" '/^Package: / { on = ($2 == p) } on' <<<"$records")
  grep -Eq '^(Essential: yes|Priority: required)$' <<<"$fields" ||
    problem "SLIM_ANCHORS: '$p' is neither Essential nor Priority required, so minbase (slim) need not have it"
done
slim=$(install_closure "${SLIM_ANCHORS[@]}") || fail "apt-get -s could not resolve ${SLIM_ANCHORS[*]}"
for p in "${SLIM_BASE_PACKAGES[@]}"; do
  grep -qx -- "$p" <<<"$slim" ||
    problem "SLIM_BASE_PACKAGES: '$p' is not a dependency of ${SLIM_ANCHORS[*]}: debian:12-slim may not have it"
done

# What the runtime stage leaves in the image, as far as the binary can tell.
image=$(install_closure "${IS_RUNTIME_PACKAGES[@]}") ||
  fail "apt-get -s cannot install IS_RUNTIME_PACKAGES (${IS_RUNTIME_PACKAGES[*]})"
image=$(printf '%s\n' "$image" "${SLIM_BASE_PACKAGES[@]}" | sort -u)
named=$(printf '%s\n' "${IS_RUNTIME_PACKAGES[@]}" "${SLIM_BASE_PACKAGES[@]}" | sort -u)

# --- 3. Every library the binary loads comes from one of them ---------------------------------
needed=$(readelf -d "$binary" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
[ -n "$needed" ] || fail "readelf finds no NEEDED entries in $binary (not a dynamically linked ELF?)"
ldd_out=$(ldd "$binary") || fail "ldd $binary failed"
if grep -q 'not found' <<<"$ldd_out"; then
  problem "ldd: libraries not found on this machine: $(grep 'not found' <<<"$ldd_out" | awk '{print $1}' | tr '\n' ' ')"
fi

# The package owning each library path, from one dpkg -S call. Debian 12 is merged-/usr: ldd
# reports /lib/x86_64-linux-gnu/... while dpkg records /usr/lib/...; the loader itself is recorded
# under /lib64; the real file behind a symlink is always recorded.
declare -A owners=()
paths=$(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out" | sort -u)
candidates=()
while read -r path; do
  [ -n "$path" ] && candidates+=("$path" "/usr$path" "$(readlink -f "$path")")
done <<<"$paths"
if [ "${#candidates[@]}" -gt 0 ]; then
  # "pkg1:amd64, pkg2:amd64: /path" -> owners[/path]="pkg1 pkg2"; "no path found" lines go to stderr.
  while IFS= read -r line; do
    [[ $line == diversion* ]] && continue
    file=${line##*: }
    pkgs=$(sed -E 's/: \/.*//; s/, /\n/g' <<<"$line" | sed 's/:.*//' | tr '\n' ' ')
    owners[$file]=${pkgs% }
  done < <(dpkg -S "${candidates[@]}" 2>/dev/null || true)
fi
owner() {
  local candidate
  for candidate in "$1" "/usr$1" "$(readlink -f "$1")"; do
    [ -n "${owners[$candidate]:-}" ] && { tr ' ' '\n' <<<"${owners[$candidate]}"; return 0; }
  done
  return 1
}

checked=0
skipped=()
used_packages=()
while read -r soname arrow path _; do
  # linux-vdso.so.1 (no file) and the loader line ("/lib64/ld-linux-x86-64.so.2 (0x...)").
  if [ "$arrow" != "=>" ]; then
    [[ $soname == /* ]] || continue
    path=$soname; soname=$(basename "$soname")
  fi
  [[ $path == /* ]] || continue
  checked=$((checked + 1))
  if ! pkgs=$(owner "$path"); then
    problem "$soname ($path): no Debian package owns it (built or copied by hand: the image cannot have it)"
    continue
  fi
  direct=false
  grep -qx -- "$soname" <<<"$needed" && direct=true
  if grep -Eq "$SANITIZER_PACKAGE_RE" <<<"$pkgs"; then
    if $direct; then
      skipped+=("$soname (${pkgs//$'\n'/ })")
      continue
    fi
    problem "$soname (${pkgs//$'\n'/ }): a sanitizer runtime that the binary does not link itself"
    continue
  fi
  ok=false
  for p in $pkgs; do
    used_packages+=("$p")
    if $direct; then
      grep -qx -- "$p" <<<"$named" && ok=true
    else
      grep -qx -- "$p" <<<"$image" && ok=true
    fi
  done
  if ! $ok; then
    if $direct; then
      problem "$soname ($path) is linked directly by the binary, but its package '${pkgs//$'\n'/ }' is not named in IS_RUNTIME_PACKAGES (nor in SLIM_BASE_PACKAGES)"
    else
      problem "$soname ($path): its package '${pkgs//$'\n'/ }' is neither in IS_RUNTIME_PACKAGES, nor installed with them, nor in debian:12-slim"
    fi
  fi
done <<<"$ldd_out"
[ "$checked" -gt 0 ] || problem "ldd reported no library files for $binary"

for s in "${skipped[@]}"; do
  echo "image_libraries: skipped sanitizer runtime $s: linked by this sanitizer build only, never by the Release binary in the image"
done
# Not a failure: packages of the list whose libraries this binary does not load (the list also
# serves the Release build and holds non-library packages such as ca-certificates and curl).
for p in "${IS_RUNTIME_PACKAGES[@]}"; do
  printf '%s\n' "${used_packages[@]}" | grep -qx -- "$p" ||
    echo "image_libraries: note: $p provides no library this binary loads"
done

if [ "${#problems[@]}" -gt 0 ]; then
  echo "image_libraries: FAIL for $binary (runtime list: $packages_file, Dockerfile: $dockerfile):" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "image_libraries: OK: $checked libraries of $binary come from IS_RUNTIME_PACKAGES (${#IS_RUNTIME_PACKAGES[@]} packages), their dependencies or debian:12-slim; the Dockerfile's runtime stage installs exactly that list"

#!/usr/bin/env bash
# Checks the Dockerfile without a Docker engine (dockerfile_check.mjs: dockerfile-utils' validator,
# the runtime stage's shape, the build context and .dockerignore) and proves the checks refuse
# broken copies. The runtime stage's packages: image_libraries.sh.
#
#   (cd tests/deploy && npm ci)          # once: dockerfile-utils from package-lock.json
#   tests/deploy/dockerfile_check.sh [DOCKERFILE]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
file=$(realpath "${1:-$here/../../Dockerfile}")
command -v node >/dev/null || { echo "dockerfile_check: node not found" >&2; exit 1; }
if [ ! -d "$here/node_modules/dockerfile-utils" ]; then
  echo "dockerfile_check: npm packages missing: run 'npm ci' in $here" >&2
  exit 1
fi
cd "$here"
node dockerfile_check.mjs --self-test "$file"

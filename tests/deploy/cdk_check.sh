#!/usr/bin/env bash
# Checks the AWS CDK app in deploy/aws offline (no AWS account, no network beyond `npm ci`):
#   1. `npm run synth` writes deploy/aws/cdk.out/ (no context lookups: environment-agnostic stacks);
#   2. no cdk-nag AwsSolutions finding is left unsuppressed (synth output and the NagReport CSVs);
#   3. `npm test`: the assertion tests on the synthesized templates (and the migration runner,
#      the app-login SQL against a local PostgreSQL when installed, the health check);
#   4. cfn-lint passes on every template in cdk.out/.
# Installs deploy/aws/node_modules with `npm ci` when it is missing. Exits non-zero, saying which
# step failed, on the first failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo/deploy/aws"
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

fail() {
  echo "cdk_check: FAIL: $*" >&2
  exit 1
}
show() { sed 's/\x1b\[[0-9;]*m//g' "$1" | tail -n "${2:-60}" >&2; }

command -v node >/dev/null || fail "node is not installed"
command -v cfn-lint >/dev/null || fail "cfn-lint is not on PATH (it comes with the image's Python: pip install cfn-lint)"
if [ ! -f node_modules/.package-lock.json ]; then
  echo "cdk_check: npm ci (deploy/aws)"
  npm ci --no-audit --no-fund >"$log_dir/npm-ci.log" 2>&1 || { show "$log_dir/npm-ci.log"; fail "npm ci in deploy/aws"; }
fi

# 1. Synthesize.
rm -rf cdk.out
start=$(date +%s)
nag_findings() { sed 's/\x1b\[[0-9;]*m//g' "$log_dir/synth.log" | grep -E -A1 '^(ERROR|WARNING|\[Error|\[Warning).*AwsSolutions-' || true; }
if ! npm run synth >"$log_dir/synth.log" 2>&1; then
  if [ -n "$(nag_findings)" ]; then
    nag_findings | cut -c1-240 >&2
    fail "cdk-nag: unsuppressed AwsSolutions findings (above: rule, then construct path); fix them or suppress each with its reason in lib/insightstream-stack.ts"
  fi
  show "$log_dir/synth.log"
  fail "npm run synth (cdk synth) failed (see above)"
fi
synth_s=$(($(date +%s) - start))
templates=(cdk.out/*.template.json)
[ -f cdk.out/InsightStream.template.json ] && [ -f cdk.out/InsightStreamRegistry.template.json ] ||
  fail "cdk.out lacks InsightStream.template.json or InsightStreamRegistry.template.json"
echo "cdk_check: synth OK in ${synth_s}s: ${templates[*]}"

# 2. cdk-nag: nothing unsuppressed, neither error nor warning.
[ -z "$(nag_findings)" ] || { nag_findings | cut -c1-240 >&2; fail "cdk-nag reported unsuppressed findings (above)"; }
reports=(cdk.out/AwsSolutions-*-NagReport.csv)
[ -f "${reports[0]}" ] || fail "no cdk-nag report in cdk.out (is AwsSolutionsChecks still applied in lib/app.ts?)"
non_compliant=$(grep -h '"Non-Compliant"' "${reports[@]}" || true)
[ -z "$non_compliant" ] || { echo "$non_compliant" >&2; fail "cdk-nag: Non-Compliant rows in ${reports[*]}"; }
suppressed=$(cat "${reports[@]}" | grep -c '"Suppressed"' || true)
echo "cdk_check: cdk-nag OK: no unsuppressed finding ($suppressed suppressed, each with its reason)"

# 3. Assertion tests.
if ! npm test >"$log_dir/test.log" 2>&1; then
  # The failing tests with their errors (TAP: from "not ok" to the end of its YAML block), else the tail.
  failed=$(awk '/^ *not ok /{on=1} on{print} on && /^ *\.\.\.$/{on=0}' "$log_dir/test.log" | head -n 150)
  if [ -n "$failed" ]; then echo "$failed" >&2; else show "$log_dir/test.log" 80; fi
  grep -E '^# (tests|pass|fail) ' "$log_dir/test.log" >&2 || true
  fail "npm test (deploy/aws) failed"
fi
counts=$(grep -E '^# (tests|pass|fail|skipped) ' "$log_dir/test.log" | sed 's/^# //' | paste -sd, - | sed 's/,/, /g')
echo "cdk_check: npm test OK: $counts"

# 4. cfn-lint (settings: deploy/aws/.cfnlintrc.yaml).
if ! cfn-lint "${templates[@]}" >"$log_dir/cfn-lint.log" 2>&1; then
  show "$log_dir/cfn-lint.log"
  fail "cfn-lint found problems in ${templates[*]}"
fi
echo "cdk_check: cfn-lint OK on ${#templates[@]} templates"
echo "cdk_check: 4 passed, 0 failed"

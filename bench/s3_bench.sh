#!/usr/bin/env bash
# The whole path on S3 and SQS (the emulator, signatures and IAM on) beside the directory store,
# in one run: upload FILE through the server, wait until the worker has read it back and the
# version is ready; MB/s each way and the server's peak RSS.
#   bench/s3_bench.sh [FILE] [UPLOAD_BENCH]
# FILE defaults to a generated 256 MiB sales CSV (/tmp/sales_256m.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-/tmp/sales_256m.csv}
bench=${2:-build/release/bench/upload_bench}
[ -x "$bench" ] || { echo "build the Release benchmarks first (bench/README.md)" >&2; exit 1; }
if [ ! -f "$file" ]; then
  python3 ../shared/bench/gen_sales.py --rows 2300000 --out "$file" >/dev/null
fi
aws=$(mktemp -d)
trap 'tests/support/aws_emulator.py stop "$aws" >/dev/null 2>&1; rm -rf "$aws"' EXIT
tests/support/aws_emulator.py start "$aws" >/dev/null
get() { python3 -c "import json,sys; d=json.load(open('$aws/aws.json')); print(eval(sys.argv[1]))" "$1"; }

echo "file: $file ($(du -m "$file" | cut -f1) MiB)"
echo "--- directory store, DB queue"
"$bench" --file "$file"
echo "--- S3 + SQS (moto_server)"
AWS_ENDPOINT_URL=$(get 'd["endpoint"]') AWS_REGION=us-east-1 \
AWS_ACCESS_KEY_ID=$(get 'd["users"]["all"]["access_key_id"]') \
AWS_SECRET_ACCESS_KEY=$(get 'd["users"]["all"]["secret_access_key"]') \
  "$bench" --file "$file" --server-arg --objects --server-arg "s3://$(get 'd["bucket"]')/is/bench" \
    --server-arg --queue --server-arg "$(get 'd["jobs_queue_url"]')" \
    --server-arg --dead-letter-queue --server-arg "$(get 'd["dlq_url"]')"

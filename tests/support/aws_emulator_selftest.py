#!/usr/bin/env python3
"""Checks the AWS emulator fixture end to end: aws_emulator_selftest.py [DIR]

Starts tests/support/aws_emulator.py in DIR (a fresh temporary directory by default), then with
the keys it wrote to DIR/aws.json checks that signatures and the roles' IAM policies are enforced:
  - ingest can put an object under the prefix `is/` and list it, but not put outside it;
  - ingest cannot ReceiveMessage from the jobs queue (sqs:ReceiveMessage is the worker's);
  - worker can ReceiveMessage;
  - analytics can read (GetObject) and list under the prefix, but not put or delete there, nor
    read outside it, nor use SQS;
  - a good access key id with a wrong secret is refused (403 SignatureDoesNotMatch) by S3 and SQS;
and stops the emulator, also on failure. Exits 0 when every check passes, 1 when one fails, and 77
(ctest's SKIP_RETURN_CODE) when moto_server is not installed.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMULATOR = HERE / "aws_emulator.py"
failures = []


def check(label, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {label}{'' if ok else ': ' + detail}")
    if not ok:
        failures.append(label)


def signed(info, user, service, method, path, headers, body=b"", secret_suffix=""):
    """One raw SigV4-signed request (botocore's signer); returns (status, body text). Raw HTTP
    because moto answers refused SQS JSON-protocol requests in XML, which boto3 cannot parse."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    keys = info["users"][user]
    creds = Credentials(keys["access_key_id"], keys["secret_access_key"] + secret_suffix)
    url = info["endpoint"] + path
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    (S3SigV4Auth if service == "s3" else SigV4Auth)(creds, service, info["region"]).add_auth(request)
    http = urllib.request.Request(url, data=body or None, method=method, headers=dict(request.headers))
    try:
        with urllib.request.urlopen(http, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def sqs_json(info, user, target, payload, secret_suffix=""):
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{target}"}
    return signed(info, user, "sqs", "POST", "/", headers, json.dumps(payload).encode(), secret_suffix)


def s3_client(info, user):
    import boto3
    from botocore.config import Config
    keys = info["users"][user]
    return boto3.client("s3", endpoint_url=info["endpoint"], region_name=info["region"],
                        aws_access_key_id=keys["access_key_id"],
                        aws_secret_access_key=keys["secret_access_key"],
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def s3_error(call):
    """Runs a boto3 S3 call; returns None on success, else (HTTP status, error code)."""
    from botocore.exceptions import ClientError
    try:
        call()
        return None
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]


def run_checks(info):
    bucket, prefix, jobs = info["bucket"], info["prefix"], info["jobs_queue_url"]
    ingest, analytics = s3_client(info, "ingest"), s3_client(info, "analytics")
    octet = {"ContentType": "application/octet-stream"}

    # S3: the ingest role is confined to the prefix.
    key = f"{prefix}selftest/data.csv"
    err = s3_error(lambda: ingest.put_object(Bucket=bucket, Key=key, Body=b"a,b\n1,2\n", **octet))
    check(f"ingest PutObject {key}", err is None, str(err))
    err = s3_error(lambda: ingest.get_object(Bucket=bucket, Key=key))
    check(f"ingest GetObject {key}", err is None, str(err))
    listed = []
    err = s3_error(lambda: listed.extend(
        o["Key"] for o in ingest.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}selftest/").get("Contents", [])))
    check("ingest ListObjectsV2 with prefix is/selftest/ (sent as %2F)", err is None and listed == [key],
          f"{err} {listed}")
    err = s3_error(lambda: ingest.put_object(Bucket=bucket, Key="outside/data.csv", Body=b"x", **octet))
    check("ingest PutObject outside the prefix is refused (403 AccessDenied)", err == (403, "AccessDenied"), str(err))

    # S3: the analytics role reads under the prefix and changes nothing.
    got = []
    err = s3_error(lambda: got.append(analytics.get_object(Bucket=bucket, Key=key)["Body"].read()))
    check(f"analytics GetObject {key}", err is None and got == [b"a,b\n1,2\n"], f"{err} {got}")
    err = s3_error(lambda: got.append(
        analytics.get_object(Bucket=bucket, Key=key, Range="bytes=0-2")["Body"].read()))
    check(f"analytics ranged GetObject {key}", err is None and got[-1:] == [b"a,b"], f"{err} {got}")
    listed = []
    err = s3_error(lambda: listed.extend(
        o["Key"] for o in analytics.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("Contents", [])))
    check("analytics ListObjectsV2 of its prefix, one key (its readiness check)", err is None and len(listed) == 1,
          f"{err} {listed}")
    err = s3_error(lambda: analytics.get_object(Bucket=bucket, Key=f"{prefix}selftest/absent"))
    check("analytics GetObject of a missing key is 404 NoSuchKey, not 403", err == (404, "NoSuchKey"), str(err))
    err = s3_error(lambda: analytics.put_object(Bucket=bucket, Key=f"{prefix}selftest/analytics.csv", Body=b"x", **octet))
    check("analytics PutObject under the prefix is refused (403 AccessDenied)", err == (403, "AccessDenied"), str(err))
    err = s3_error(lambda: analytics.delete_object(Bucket=bucket, Key=key))
    check("analytics DeleteObject under the prefix is refused (403 AccessDenied)", err == (403, "AccessDenied"), str(err))
    err = s3_error(lambda: analytics.get_object(Bucket=bucket, Key="outside/data.csv"))
    check("analytics GetObject outside the prefix is refused (403 AccessDenied)", err == (403, "AccessDenied"), str(err))
    err = s3_error(lambda: analytics.get_object(Bucket=bucket, Key=key))
    check(f"{key} is still there after analytics' refused delete", err is None, str(err))

    # SQS (JSON protocol): ingest sends, only worker receives.
    status, body = sqs_json(info, "ingest", "SendMessage", {"QueueUrl": jobs, "MessageBody": "selftest"})
    check("ingest SendMessage to jobs", status == 200 and "MessageId" in body, f"{status} {body[:200]}")
    status, body = sqs_json(info, "ingest", "ReceiveMessage", {"QueueUrl": jobs})
    check("ingest ReceiveMessage is refused (403 AccessDenied)", status == 403 and "AccessDenied" in body,
          f"{status} {body[:200]}")
    status, body = sqs_json(info, "analytics", "SendMessage", {"QueueUrl": jobs, "MessageBody": "x"})
    check("analytics SendMessage is refused (403 AccessDenied)", status == 403 and "AccessDenied" in body,
          f"{status} {body[:200]}")
    status, body = sqs_json(info, "analytics", "GetQueueAttributes",
                            {"QueueUrl": jobs, "AttributeNames": ["ApproximateNumberOfMessages"]})
    check("analytics GetQueueAttributes is refused (403 AccessDenied)", status == 403 and "AccessDenied" in body,
          f"{status} {body[:200]}")
    status, body = sqs_json(info, "worker", "ReceiveMessage",
                            {"QueueUrl": jobs, "MessageSystemAttributeNames": ["ApproximateReceiveCount"]})
    got = json.loads(body).get("Messages", []) if status == 200 else []
    check("worker ReceiveMessage gets the message", len(got) == 1 and got[0]["Body"] == "selftest",
          f"{status} {body[:200]}")
    if got:
        status, body = sqs_json(info, "worker", "DeleteMessage",
                                {"QueueUrl": jobs, "ReceiptHandle": got[0]["ReceiptHandle"]})
        check("worker DeleteMessage", status == 200, f"{status} {body[:200]}")

    # Signatures: a good key id with a wrong secret is refused.
    status, body = signed(info, "ingest", "s3", "GET", f"/{bucket}/{key}",
                          {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, secret_suffix="x")
    check("S3 GetObject with a wrong secret is refused (403 SignatureDoesNotMatch)",
          status == 403 and "SignatureDoesNotMatch" in body, f"{status} {body[:200]}")
    status, body = sqs_json(info, "ingest", "SendMessage", {"QueueUrl": jobs, "MessageBody": "x"}, secret_suffix="x")
    check("SQS SendMessage with a wrong secret is refused (403 SignatureDoesNotMatch)",
          status == 403 and "SignatureDoesNotMatch" in body, f"{status} {body[:200]}")


def main():
    if not shutil.which("moto_server"):
        print('aws_emulator_selftest: moto_server not found: pip install "moto[server]" (skipped)')
        return 77
    own_dir = len(sys.argv) < 2
    directory = Path(tempfile.mkdtemp(prefix="aws-emulator-selftest-")) if own_dir else Path(sys.argv[1])
    pid = None
    try:
        started = subprocess.run([sys.executable, str(EMULATOR), "start", str(directory)])
        if started.returncode != 0:
            print(f"FAIL aws_emulator.py start exited with {started.returncode}")
            return 1
        pid = int((directory / "pid").read_text())
        info = json.loads((directory / "aws.json").read_text())
        for name in ("endpoint", "region", "bucket", "prefix", "jobs_queue_url", "dlq_url"):
            check(f"aws.json has {name}", bool(info.get(name)))
        for user in ("ingest", "worker", "analytics", "admin", "all"):
            keys = info.get("users", {}).get(user, {})
            check(f"aws.json has keys for {user}", bool(keys.get("access_key_id") and keys.get("secret_access_key")))
        env = (directory / "env").read_text()
        check("env exports the admin key and the endpoint",
              info["users"]["admin"]["access_key_id"] in env and info["endpoint"] in env, env)
        run_checks(info)
    finally:
        subprocess.run([sys.executable, str(EMULATOR), "stop", str(directory)])
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    check("stop ended moto_server", not Path(f"/proc/{pid}").exists(), f"pid {pid} is still running")
    if own_dir and not failures:
        shutil.rmtree(directory, ignore_errors=True)
    if failures:
        print(f"aws_emulator_selftest: {len(failures)} check(s) failed (log: {directory}/moto.log)")
        return 1
    print("aws_emulator_selftest: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

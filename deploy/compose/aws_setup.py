#!/usr/bin/env python3
"""One-shot setup of the compose stack's S3/SQS/IAM emulator (the `aws-setup` service).

Runs in the motoserver/moto image (its Python has boto3) against the `aws` service, which is
moto_server started with INITIAL_NO_AUTH_ACTION_COUNT=N: the first N requests are free, every
later one must carry a valid SigV4 signature and is allowed only by the caller's IAM policy. This
script sends exactly N requests (N is INSIGHTSTREAM_SETUP_REQUESTS, the same value compose gives
moto; it refuses to start if its plan has another length):

  - the bucket, the dead-letter queue and the jobs queue (RedrivePolicy to the dead-letter queue
    after INSIGHTSTREAM_JOB_MAX_RECEIVES receives, the value the roles are given too);
  - an IAM user for each role that calls AWS (ingest, worker, analytics) whose inline policy is
    deploy/iam/<role>.json with its placeholders substituted, and an access key for each
    (analytics' policy only lets it read and list the object store's prefix).

Each role's key goes to CREDENTIALS_DIR/<role>/aws.env (AWS_ACCESS_KEY_ID=..., readable only by
the image's user): each directory is its own volume, mounted into that role's container only.
Then it proves enforcement is on: a request signed with the worker's key id and a wrong secret is
refused (403 SignatureDoesNotMatch), the same request with the right secret succeeds. The S3 probe
lists with prefix `is/`, sent as `prefix=is%2F`, which only moto with the repository's
tests/support/moto_server_raw_uri.py patch accepts (see that file), so a stack started without
the patch fails here rather than in the worker.

Run again (`docker compose up` a second time) it finds the bucket in moto's state
(/moto-api/data.json, which moto does not count as a request) and only checks the stored keys.

The same plan as tests/support/aws_emulator.py, for compose: fixed names, a role per container.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://aws:5000").rstrip("/")
REGION = os.environ.get("AWS_REGION", "us-east-1")
BUCKET = os.environ["INSIGHTSTREAM_BUCKET"]
PREFIX = os.environ["INSIGHTSTREAM_PREFIX"]  # e.g. "is/"
JOBS_QUEUE = os.environ["INSIGHTSTREAM_JOBS_QUEUE_NAME"]
DLQ = os.environ["INSIGHTSTREAM_DEAD_LETTER_QUEUE_NAME"]
MAX_RECEIVES = int(os.environ["INSIGHTSTREAM_JOB_MAX_RECEIVES"])
VISIBILITY_TIMEOUT = int(os.environ.get("INSIGHTSTREAM_JOB_VISIBILITY", "60"))
PLANNED = int(os.environ["INSIGHTSTREAM_SETUP_REQUESTS"])
POLICY_DIR = Path(os.environ.get("INSIGHTSTREAM_POLICY_DIR", "/opt/insightstream/iam"))
CREDENTIALS_DIR = Path(os.environ.get("INSIGHTSTREAM_CREDENTIALS_DIR", "/credentials"))
# The image's user (Dockerfile: uid/gid 10001) must read its key file; nobody else needs to.
OWNER_UID = int(os.environ.get("INSIGHTSTREAM_UID", "10001"))
OWNER_GID = int(os.environ.get("INSIGHTSTREAM_GID", "10001"))
ROLES = ("ingest", "worker", "analytics")  # the roles that call S3/SQS; auth and the gateway do not
# Keys for the free phase: moto does not check them while requests are free.
FREE_PHASE_KEYS = ("AKIAFREEPHASE0000000", "free-phase-secret")
READY_TIMEOUT_S = 60


def log(message):
    print(f"aws-setup: {message}", flush=True)


def die(message):
    print(f"aws-setup: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def substitute(node, values):
    """Replaces ${Name} placeholders in every string of a parsed policy document (deploy/iam/README.md)."""
    if isinstance(node, dict):
        return {k: substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values) for v in node]
    if isinstance(node, str):
        for name, value in values.items():
            node = node.replace("${" + name + "}", value)
        if "${" in node:
            die(f"unsubstituted placeholder in policy string {node!r}")
    return node


def moto_state():
    """moto's in-memory state from its dashboard API (not counted as a request)."""
    with urllib.request.urlopen(ENDPOINT + "/moto-api/data.json", timeout=10) as r:
        return json.load(r)


def wait_for_moto():
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            return moto_state()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            if time.monotonic() > deadline:
                die(f"the emulator at {ENDPOINT} did not answer within {READY_TIMEOUT_S} s: {e}")
            time.sleep(0.5)


def bucket_exists(state):
    return any(b.get("name") == BUCKET for b in state.get("s3", {}).get("FakeBucket", []))


def signed_request(service, method, path, headers, body, keys):
    """One SigV4-signed request (botocore's signer) -> (status, body text)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest(method=method, url=ENDPOINT + path, data=body, headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(*keys), service, REGION).add_auth(request)
    http = urllib.request.Request(ENDPOINT + path, data=body or None, method=method, headers=dict(request.headers))
    try:
        with urllib.request.urlopen(http, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def list_probe(keys):
    query = "list-type=2&max-keys=1&prefix=" + PREFIX.replace("/", "%2F")
    return signed_request("s3", "GET", f"/{BUCKET}?{query}", {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b"", keys)


def verify_enforcement(worker_keys):
    key_id, secret = worker_keys
    status, text = list_probe((key_id, secret + "x"))
    if status == 200:
        die("a request signed with a wrong secret was accepted: moto's free phase is not over "
            "(INITIAL_NO_AUTH_ACTION_COUNT larger than this setup's requests)")
    if status != 403 or "SignatureDoesNotMatch" not in text:
        die(f"a request with a wrong secret got {status} {text[:300]!r}, expected 403 SignatureDoesNotMatch")
    status, text = list_probe(worker_keys)
    if status != 200:
        die(f"ListObjectsV2 prefix={PREFIX} as the worker got {status} {text[:300]!r}: is moto running "
            "tests/support/moto_server_raw_uri.py (it refuses correctly signed '%2F' otherwise)?")


def read_env_file(path):
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = value
    return values


def write_credentials(role, key):
    directory = CREDENTIALS_DIR / role
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "aws.env"
    tmp = directory / ".aws.env.tmp"
    # Shell-sourceable (the roles' entrypoint runs `. aws.env`): moto's keys are [A-Za-z0-9+/].
    tmp.write_text(f"AWS_ACCESS_KEY_ID={key['AccessKeyId']}\nAWS_SECRET_ACCESS_KEY={key['SecretAccessKey']}\n")
    os.chmod(tmp, 0o400)
    os.chown(tmp, OWNER_UID, OWNER_GID)
    os.replace(tmp, path)


class Plan:
    """The setup's calls, each sending exactly one request, so their number is known up front."""

    def __init__(self):
        self.state = {"keys": {}}
        self.steps = [
            ("s3 CreateBucket", lambda c: c["s3"].create_bucket(Bucket=BUCKET)),
            ("sqs CreateQueue " + DLQ, self.create_dlq),
            ("sqs GetQueueAttributes " + DLQ, lambda c: self.queue_arn(c, "dlq")),
            ("sqs CreateQueue " + JOBS_QUEUE, self.create_jobs),
            ("sqs GetQueueAttributes " + JOBS_QUEUE, lambda c: self.queue_arn(c, "jobs")),
        ]
        for role in ROLES:
            self.steps += [
                (f"iam CreateUser {role}", lambda c, r=role: c["iam"].create_user(UserName=r)),
                (f"iam PutUserPolicy {role}", lambda c, r=role: self.put_policy(c, r)),
                (f"iam CreateAccessKey {role}", lambda c, r=role: self.create_key(c, r)),
            ]

    def create_dlq(self, c):
        self.state["dlq_url"] = c["sqs"].create_queue(
            QueueName=DLQ, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT)})["QueueUrl"]

    def create_jobs(self, c):
        redrive = {"deadLetterTargetArn": self.state["dlq_arn"], "maxReceiveCount": MAX_RECEIVES}
        self.state["jobs_url"] = c["sqs"].create_queue(
            QueueName=JOBS_QUEUE, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT),
                                              "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]

    def queue_arn(self, c, which):
        self.state[f"{which}_arn"] = c["sqs"].get_queue_attributes(
            QueueUrl=self.state[f"{which}_url"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def put_policy(self, c, role):
        values = {"BucketName": BUCKET, "Prefix": PREFIX, "JobsQueueArn": self.state["jobs_arn"],
                  "DeadLetterQueueArn": self.state["dlq_arn"]}
        with open(POLICY_DIR / f"{role}.json", encoding="utf-8") as f:
            document = substitute(json.load(f), values)
        c["iam"].put_user_policy(UserName=role, PolicyName=f"insightstream-{role}",
                                 PolicyDocument=json.dumps(document))

    def create_key(self, c, role):
        self.state["keys"][role] = c["iam"].create_access_key(UserName=role)["AccessKey"]


def run_plan():
    import boto3
    from botocore.config import Config
    plan = Plan()
    if len(plan.steps) != PLANNED:
        die(f"this setup sends {len(plan.steps)} requests but moto was told INITIAL_NO_AUTH_ACTION_COUNT="
            f"{PLANNED}: make INSIGHTSTREAM_SETUP_REQUESTS in deploy/compose.yaml {len(plan.steps)}")
    sent = [0]

    def count(**_):
        sent[0] += 1
    # No retries: a retried request would count twice in moto's free phase.
    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    clients = {}
    for service in ("s3", "sqs", "iam"):
        clients[service] = boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION,
                                        aws_access_key_id=FREE_PHASE_KEYS[0],
                                        aws_secret_access_key=FREE_PHASE_KEYS[1], config=config)
        clients[service].meta.events.register("before-send", count)
    for i, (description, step) in enumerate(plan.steps, 1):
        before = sent[0]
        try:
            step(clients)
        except Exception as e:  # noqa: BLE001  (any failure ends the setup with its step named)
            die(f"step {i}/{PLANNED} ({description}) failed: {e}")
        if sent[0] != before + 1:
            die(f"step {description} sent {sent[0] - before} requests, expected 1")
    return plan.state


def main():
    for role in ROLES:
        if not (POLICY_DIR / f"{role}.json").is_file():
            die(f"policy {POLICY_DIR / (role + '.json')} is missing (mount deploy/iam there)")
    state = wait_for_moto()
    if bucket_exists(state):
        missing = [role for role in ROLES if not (CREDENTIALS_DIR / role / "aws.env").is_file()]
        if missing:
            die(f"the emulator is already set up but the credentials volumes of {', '.join(missing)} are empty; "
                "start over with `docker compose -f deploy/compose.yaml down -v`")
        values = read_env_file(CREDENTIALS_DIR / "worker" / "aws.env")
        verify_enforcement((values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]))
        log(f"already set up: bucket {BUCKET} exists and the stored keys work")
        return
    result = run_plan()
    expected = {"jobs_url": f"{ENDPOINT}/123456789012/{JOBS_QUEUE}", "dlq_url": f"{ENDPOINT}/123456789012/{DLQ}"}
    for name, url in expected.items():
        # The roles are given these URLs in compose.yaml; moto builds them from the request's host.
        if result[name] != url:
            die(f"moto answered the queue URL {result[name]}, compose.yaml gives the roles {url}")
    for role in ROLES:
        write_credentials(role, result["keys"][role])
    worker = result["keys"]["worker"]
    verify_enforcement((worker["AccessKeyId"], worker["SecretAccessKey"]))
    log(f"bucket {BUCKET}, queues {JOBS_QUEUE} and {DLQ} (redrive after {MAX_RECEIVES}), IAM users "
        f"{', '.join(ROLES)} from deploy/iam; {PLANNED} free requests used; signatures and IAM enforced")


if __name__ == "__main__":
    main()

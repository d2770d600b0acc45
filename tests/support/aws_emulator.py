#!/usr/bin/env python3
"""A private S3 + SQS + IAM emulator for the tests: aws_emulator.py start DIR | aws_emulator.py stop DIR

start: runs moto's server on a free port of 127.0.0.1 (pid in DIR/pid, log in DIR/moto.log) with
signature and IAM enforcement on, then creates, during moto's short unauthenticated phase:
  - the bucket `insightstream-test` and the SQS queues `jobs-dlq` and `jobs` (RedrivePolicy to
    jobs-dlq after 3 receives, VisibilityTimeout 30);
  - an IAM user per application role (ingest, worker, analytics) whose inline policy is
    deploy/iam/<role>.json with its placeholders substituted (bucket, prefix `is/`, queue ARNs),
    an `all` user (ingest + worker statements, for `insightstream all`) and an `admin` user
    (`*` on `*`, for tests that create their own buckets and queues), one access key each.
It writes DIR/aws.json (endpoint, region, bucket, prefix, queue URLs, every user's keys) and
DIR/env (shell `export` lines: the admin user's keys and the endpoint).

stop: ends the moto_server that `start` left in DIR (moto keeps everything in memory: stopping it
loses every bucket and queue).

Which server: `moto_server` must be on PATH (that is how an installed moto[server] is recognised),
but what runs is moto_server_raw_uri.py next to this file: moto's own server whose signature check
reads the request target as sent. Unmodified, moto 5.2.1 refuses correctly signed requests whose
path or query holds a percent-encoded '/', ':', '+', '=', ... (every ListObjectsV2 with prefix
`is/...`); see that file. AWS_EMULATOR_PLAIN_MOTO=1 runs the unmodified `moto_server` instead.

How enforcement is switched on: moto lets the first INITIAL_NO_AUTH_ACTION_COUNT requests through
unsigned and unchecked, and checks every later request's SigV4 signature and the caller's IAM
policies. Measured with moto 5.2.1: every request that reaches a service handler counts, whether
it succeeds or fails (IAM, S3 and SQS alike, e.g. a GetUser answered NoSuchEntity counts); the
/moto-api/ dashboard used for the readiness probe does not count. So the count must equal the
number of HTTP requests setup sends, exactly: one more and the first test request would be let
through unchecked, one fewer and setup's last call would be refused. The setup below is a fixed
list of calls whose length is that count; every request actually sent is counted too (a botocore
event hook; retries are off), and start ends by proving enforcement is on: a request with a good
key id but a wrong secret must be refused with SignatureDoesNotMatch / 403, and the same request
with the right secret must succeed. If anything disagrees, start fails loudly and stops moto.
"""
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REGION = "us-east-1"
BUCKET = "insightstream-test"
PREFIX = "is/"
JOBS_QUEUE = "jobs"
DLQ = "jobs-dlq"
MAX_RECEIVE_COUNT = 3
VISIBILITY_TIMEOUT = 30
ROLES = ("ingest", "worker", "analytics")  # each has deploy/iam/<role>.json
USERS = ROLES + ("all", "admin")
POLICY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "iam"
# moto_server with its signature check fixed to use the request target as sent (see that file);
# AWS_EMULATOR_PLAIN_MOTO=1 runs the unmodified `moto_server` instead.
RAW_URI_LAUNCHER = Path(__file__).resolve().parent / "moto_server_raw_uri.py"
ADMIN_POLICY = {"Version": "2012-10-17",
                "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
# Credentials for the free phase: moto ignores them while requests are free.
FREE_PHASE_KEYS = ("AKIAFREEPHASE0000000", "free-phase-secret")
STARTUP_TIMEOUT_S = 30


def die(message):
    print(f"aws_emulator: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------

def substitute(node, values):
    """Replaces ${Name} placeholders in every string of a parsed policy document."""
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
    return node


def role_policy(role, values):
    path = POLICY_DIR / f"{role}.json"
    with open(path, encoding="utf-8") as f:
        return substitute(json.load(f), values)


def union_policy(roles, values):
    """One policy with the statements of several roles; Sids get the role's name in front, since
    IAM wants them unique within a policy."""
    statements = []
    for role in roles:
        for st in role_policy(role, values)["Statement"]:
            st = dict(st)
            if "Sid" in st:
                st["Sid"] = role.capitalize() + st["Sid"]
            statements.append(st)
    return {"Version": "2012-10-17", "Statement": statements}


# ---------------------------------------------------------------------------------------------
# Setup against the free phase
# ---------------------------------------------------------------------------------------------

class Setup:
    """The setup's calls as a fixed plan, so that their number is known before moto starts."""

    def __init__(self):
        self.state = {}
        self.plan = []  # (description, callable(clients)); each callable sends exactly one request
        self.plan.append(("s3 CreateBucket " + BUCKET, lambda c: c["s3"].create_bucket(Bucket=BUCKET)))
        self.plan.append(("sqs CreateQueue " + DLQ, self.create_dlq))
        self.plan.append(("sqs GetQueueAttributes QueueArn " + DLQ, lambda c: self.queue_arn(c, "dlq")))
        self.plan.append(("sqs CreateQueue " + JOBS_QUEUE, self.create_jobs_queue))
        self.plan.append(("sqs GetQueueAttributes QueueArn " + JOBS_QUEUE, lambda c: self.queue_arn(c, "jobs")))
        for user in USERS:
            self.plan.append((f"iam CreateUser {user}", lambda c, u=user: c["iam"].create_user(UserName=u)))
            self.plan.append((f"iam PutUserPolicy {user}", lambda c, u=user: self.put_policy(c, u)))
            self.plan.append((f"iam CreateAccessKey {user}", lambda c, u=user: self.create_key(c, u)))

    def create_dlq(self, c):
        self.state["dlq_url"] = c["sqs"].create_queue(
            QueueName=DLQ, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT)})["QueueUrl"]

    def create_jobs_queue(self, c):
        redrive = {"deadLetterTargetArn": self.state["dlq_arn"], "maxReceiveCount": MAX_RECEIVE_COUNT}
        self.state["jobs_url"] = c["sqs"].create_queue(
            QueueName=JOBS_QUEUE,
            Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT),
                        "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]

    def queue_arn(self, c, which):
        url = self.state[f"{which}_url"]
        self.state[f"{which}_arn"] = c["sqs"].get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def policy_for(self, user):
        # Tests that run the binary create their own queue pair, "jobs-<id>" and "jobs-<id>-dlq",
        # so parallel tests never take each other's jobs: the role policies name every queue
        # whose name starts with "jobs" (on AWS the CDK app substitutes the one queue's ARN).
        family = self.state["jobs_arn"] + "*"
        values = {"BucketName": BUCKET, "Prefix": PREFIX, "JobsQueueArn": family, "DeadLetterQueueArn": family}
        if user == "admin":
            return ADMIN_POLICY
        if user == "all":
            return union_policy(("ingest", "worker"), values)
        return role_policy(user, values)

    def put_policy(self, c, user):
        c["iam"].put_user_policy(UserName=user, PolicyName=f"insightstream-{user}",
                                 PolicyDocument=json.dumps(self.policy_for(user)))

    def create_key(self, c, user):
        key = c["iam"].create_access_key(UserName=user)["AccessKey"]
        self.state.setdefault("users", {})[user] = {"access_key_id": key["AccessKeyId"],
                                                    "secret_access_key": key["SecretAccessKey"]}


def make_clients(endpoint, keys, sent_counter=None):
    import boto3
    from botocore.config import Config
    # No retries: a retried request would count twice in moto's free phase.
    config = Config(retries={"mode": "standard", "total_max_attempts": 1},
                    connect_timeout=5, read_timeout=30)
    clients = {}
    for service in ("s3", "sqs", "iam"):
        client = boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                              aws_access_key_id=keys[0], aws_secret_access_key=keys[1], config=config)
        if sent_counter is not None:
            client.meta.events.register("before-send", sent_counter)
        clients[service] = client
    return clients


def signed_request(endpoint, service, method, path, headers, body, keys):
    """Sends one SigV4-signed request (botocore's signer) and returns (status, body text).
    Raw HTTP rather than a boto3 client: moto answers an SQS JSON-protocol request that fails
    authentication with an XML ErrorResponse, which boto3 cannot parse (it reports code "403")."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(*keys), service, REGION).add_auth(request)
    http = urllib.request.Request(endpoint + path, data=body or None, method=method,
                                  headers=dict(request.headers))
    try:
        with urllib.request.urlopen(http, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def verify_enforcement(endpoint, admin, plain_moto):
    """Proves the free phase is over: S3 and SQS refuse a good key id with a wrong secret
    (403, SignatureDoesNotMatch) and accept the same request with the right secret. The S3 probe
    lists with prefix `is/`, sent and signed as `prefix=is%2F` as the specification says, which
    only the patched moto accepts."""
    s3_query = "list-type=2&max-keys=1" + ("" if plain_moto else "&prefix=" + PREFIX.replace("/", "%2F"))
    right = (admin["access_key_id"], admin["secret_access_key"])
    wrong = (admin["access_key_id"], admin["secret_access_key"] + "x")
    probes = {
        "s3 ListObjectsV2": ("s3", "GET", f"/{BUCKET}?{s3_query}",
                             {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b""),
        "sqs GetQueueUrl (JSON protocol)": (
            "sqs", "POST", "/", {"Content-Type": "application/x-amz-json-1.0",
                                 "X-Amz-Target": "AmazonSQS.GetQueueUrl"},
            json.dumps({"QueueName": JOBS_QUEUE}).encode()),
    }
    for label, (service, method, path, headers, body) in probes.items():
        status, text = signed_request(endpoint, service, method, path, headers, body, wrong)
        if status == 200:
            raise RuntimeError(f"{label} signed with a wrong secret was accepted: moto's free phase "
                               "is not over (INITIAL_NO_AUTH_ACTION_COUNT larger than the setup)")
        if status != 403 or "SignatureDoesNotMatch" not in text:
            raise RuntimeError(f"{label} with a wrong secret got {status} {text[:300]!r}, "
                               "expected 403 SignatureDoesNotMatch")
        status, text = signed_request(endpoint, service, method, path, headers, body, right)
        if status != 200:
            raise RuntimeError(f"{label} with the admin's right secret got {status} {text[:300]!r}")


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_ready(proc, endpoint, log_path):
    """Polls moto's dashboard (/moto-api/, which does not count as a request) until it answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer within {STARTUP_TIMEOUT_S} s:\n"
                       f"{log_path.read_text()[-2000:]}")


def start(directory):
    moto_server = shutil.which("moto_server")
    if not moto_server:
        die('moto_server not found: pip install "moto[server]"')
    try:  # only to fail early with a clear message
        import boto3  # noqa: F401
        import moto.server  # noqa: F401  (RAW_URI_LAUNCHER runs moto in this interpreter)
    except ImportError as e:
        die(f"{e.name} not importable by {sys.executable}: pip install boto3 \"moto[server]\"")
    for role in ROLES:
        if not (POLICY_DIR / f"{role}.json").is_file():
            die(f"policy {POLICY_DIR / (role + '.json')} is missing")

    stop(directory, quiet=True)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)

    setup = Setup()
    planned = len(setup.plan)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = directory / "moto.log"
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(planned))
    plain_moto = os.environ.get("AWS_EMULATOR_PLAIN_MOTO") == "1"
    if plain_moto:
        command = [moto_server]  # unmodified: refuses spec-encoded '/', ':', '+', ... (see RAW_URI_LAUNCHER)
    else:
        command = [sys.executable, str(RAW_URI_LAUNCHER)]
    command += ["-H", "127.0.0.1", "-p", str(port)]
    with open(log_path, "wb") as log:
        # Its own session: stop ends the whole process group, whatever the PATH shim exec'd.
        proc = subprocess.Popen(command, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    (directory / "pid").write_text(f"{proc.pid}\n")

    try:
        wait_until_ready(proc, endpoint, log_path)
        sent = [0]

        def count_sent(**_):
            sent[0] += 1
        clients = make_clients(endpoint, FREE_PHASE_KEYS, count_sent)
        for i, (description, call) in enumerate(setup.plan):
            before = sent[0]
            try:
                call(clients)
            except Exception as e:
                raise RuntimeError(f"setup call {i + 1}/{planned} ({description}) failed: {e}") from e
            if sent[0] != before + 1:
                raise RuntimeError(f"setup call {description} sent {sent[0] - before} requests, expected 1")
        if sent[0] != planned:
            raise RuntimeError(f"setup sent {sent[0]} requests but moto was told {planned}")
        users = setup.state["users"]
        verify_enforcement(endpoint, users["admin"], plain_moto)
    except BaseException as e:
        stop(directory, quiet=True)
        die(f"start failed: {e}")

    info = {"endpoint": endpoint, "region": REGION, "bucket": BUCKET, "prefix": PREFIX,
            "jobs_queue_url": setup.state["jobs_url"], "dlq_url": setup.state["dlq_url"],
            "jobs_queue_arn": setup.state["jobs_arn"], "dlq_arn": setup.state["dlq_arn"],
            "users": {u: users[u] for u in USERS}}
    (directory / "aws.json").write_text(json.dumps(info, indent=2) + "\n")
    admin = users["admin"]
    exports = {"AWS_ACCESS_KEY_ID": admin["access_key_id"],
               "AWS_SECRET_ACCESS_KEY": admin["secret_access_key"],
               "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
               "AWS_ENDPOINT_URL": endpoint}
    (directory / "env").write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items()))
    print(f"aws_emulator: moto_server on {endpoint} ({directory}), {planned} setup requests, "
          f"signatures and IAM enforced")


def stop(directory, quiet=False):
    pid_file = directory / "pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    # Only end the process if it is still the moto_server we started (pids are reused).
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        cmdline = ""
    if "moto_server" in cmdline:
        try:
            os.killpg(pid, signal.SIGTERM)  # start made it a session (and group) leader
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while process_alive(pid) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (start's error path)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if process_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    elif not quiet:
        print(f"aws_emulator: no moto_server with pid {pid} is running", file=sys.stderr)
    pid_file.unlink(missing_ok=True)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        print("usage: aws_emulator.py start|stop DIR", file=sys.stderr)
        sys.exit(2)
    directory = Path(sys.argv[2]).resolve()
    if sys.argv[1] == "start":
        start(directory)
    else:
        stop(directory)


if __name__ == "__main__":
    main()

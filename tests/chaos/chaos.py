#!/usr/bin/env python3
"""Chaos on the distributed mode: scripts/cluster on loopback, a client uploading and reading
through the gateway all the while, and one part broken at a time. After each case every accepted
upload must end `ready`, once: none lost, none processed into two results.

  chaos.py BINARY

Cases: both workers killed; analytics killed; auth killed; one worker killed in the middle of a
job; SQS cut; S3 cut; PostgreSQL restarted; the gateway killed; S3 cut while a multipart upload is
under way. Prints one line per case with
its counts and, where a service is down or cut, the status codes and latencies seen. Exits non-zero
on the first broken promise.

The cluster runs with INSIGHTSTREAM_CLUSTER_FAULT_PROXY=1 (ingest and the workers reach S3 and SQS
through one fault proxy each, tests/support/fault_proxy.py) and a job lease of JOB_VISIBILITY_S
seconds (INSIGHTSTREAM_JOB_VISIBILITY, heartbeat INSIGHTSTREAM_JOB_HEARTBEAT) instead of the
default minute, so a killed worker's job comes back within seconds.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(REPO, "scripts", "cluster")
JOB_VISIBILITY_S = 10  # the lease a worker takes on a job, renewed every JOB_HEARTBEAT_S
JOB_HEARTBEAT_S = 3
BIG_ROWS = 2_000_000  # ~44 MB of CSV: seconds of work for a worker
MULTIPART_ROWS = 800_000  # ~17 MB: more than two 8 MiB S3 parts


def cluster_dir(*parts):
    return os.path.join(os.environ["INSIGHTSTREAM_CLUSTER_DIR"], *parts)


def cluster(*args):
    return subprocess.run([CLUSTER, *args], check=True, capture_output=True, text=True).stdout


def pids():
    out = {}
    for line in cluster("status").splitlines():
        role, pid, _ = line.split()
        out[role] = None if pid == "-" else int(pid)
    return out


def kill(role):
    pid = pids()[role]
    assert pid, f"{role} is not running"
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if pids()[role] is None:
            return
        time.sleep(0.05)
    raise AssertionError(f"{role} still runs after SIGKILL")


class Client:
    def __init__(self, url):
        self.url = url
        self.token = None

    def call(self, method, path, body=None, headers=None, token=True):
        h = dict(headers or {})
        if token and self.token:
            h["Authorization"] = "Bearer " + self.token
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        except (urllib.error.URLError, ConnectionError) as e:
            status, text = 0, str(e)
        ms = (time.monotonic() - start) * 1000
        try:
            payload = json.loads(text) if text else {}
        except ValueError:
            payload = {"raw": text}
        return status, payload, ms

    def json(self, method, path, obj, token=True):
        return self.call(method, path, json.dumps(obj), {"Content-Type": "application/json"}, token)


def csv(rows, seed):
    rnd = random.Random(seed)
    lines = ["day,region,revenue"]
    for i in range(rows):
        lines.append(f"2026-0{1 + i % 9}-{1 + i % 28:02d},r{rnd.randrange(5)},{rnd.randrange(10000)}.{rnd.randrange(100):02d}")
    return "\n".join(lines) + "\n"


def big_csv(rows, seed, block=10_000):
    """`rows` rows of csv(block, seed) repeated: a large body made quickly."""
    head, *lines = csv(block, seed).splitlines(keepends=True)
    reps, rest = divmod(rows, block)
    return head + "".join(lines) * reps + "".join(lines[:rest])


class Ledger:
    """Accepted uploads, to be counted against ready versions."""

    def __init__(self, client):
        self.client = client
        self.accepted = []
        self.rows = {}  # dataset id -> the rows its file has
        self.last_ms = 0.0  # latency of the last upload

    def upload(self, seed, rows=200):
        body = csv(rows, seed) if rows <= 10_000 else big_csv(rows, seed)
        status, payload, self.last_ms = self.client.call("POST", f"/api/v1/datasets?name=c{seed}&format=csv", body,
                                                         {"Content-Type": "text/csv"})
        if status == 202:
            self.accepted.append(payload["id"])
            self.rows[payload["id"]] = rows
        return status

    def settle(self, timeout_s=120):
        """Waits until every accepted upload is ready; returns (ready, lost, duplicated)."""
        deadline = time.monotonic() + timeout_s
        pending = set(self.accepted)
        while pending and time.monotonic() < deadline:
            for ds in list(pending):
                status, body, _ = self.client.call("GET", f"/api/v1/datasets/{ds}")
                if status == 200 and body.get("status") == "ready":
                    pending.discard(ds)
                elif status == 200 and body.get("status") == "failed":
                    raise AssertionError(f"{ds} failed: {body.get('error')}")
            time.sleep(0.3)
        ready = len(self.accepted) - len(pending)
        # No upload may appear twice: the organization holds exactly the accepted datasets.
        status, body, _ = self.client.call("GET", "/api/v1/datasets?limit=100")
        listed = [d["id"] for d in body.get("items", [])] if status == 200 else []
        duplicated = max(0, len(listed) - len(set(self.accepted)))
        for ds in self.accepted:
            status, body, _ = self.client.call("GET", f"/api/v1/datasets/{ds}/summary")
            if status == 200 and body.get("rows") != self.rows[ds]:
                duplicated += 1  # a second result would double or mix the rows
        return ready, len(pending), duplicated


class FaultProxy:
    """One of the cluster's fault proxies (s3 or sqs), through its control port."""

    def __init__(self, name):
        self.name = name
        with open(cluster_dir("proxy", f"{name}.json"), encoding="utf-8") as f:
            ports = json.load(f)
        self.port, self.control = ports["proxy"], ports["control"]

    def post(self, path):
        req = urllib.request.Request(f"http://127.0.0.1:{self.control}{path}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def cut(self):
        """New connections are reset at once, open ones now: the service is unreachable."""
        self.post("/mode/refuse")
        return self.post("/cut")

    def heal(self):
        return self.post("/reset")


def psql(query):
    """Rows of a query as the superuser (past row-level security), each a list of text fields."""
    with open(cluster_dir("pg", "admin_url"), encoding="utf-8") as f:
        url = f.read().strip()
    out = subprocess.run(["psql", url, "-AtqF", "\t", "-c", query], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


class Bucket:
    """The cluster's bucket as the emulator's admin sees it (directly, never through a proxy)."""

    def __init__(self):
        import boto3  # what the emulator itself needs; only these cases use it
        with open(cluster_dir("aws", "aws.json"), encoding="utf-8") as f:
            info = json.load(f)
        admin = info["users"]["admin"]
        self.name, self.prefix = info["bucket"], info["prefix"]
        self.s3 = boto3.client("s3", endpoint_url=info["endpoint"], region_name=info["region"],
                               aws_access_key_id=admin["access_key_id"],
                               aws_secret_access_key=admin["secret_access_key"])

    def pending_uploads(self):
        """Multipart uploads begun and neither completed nor aborted: (key, upload id)."""
        out, kw = [], {}
        while True:
            page = self.s3.list_multipart_uploads(Bucket=self.name, **kw)
            out += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
            if not page.get("IsTruncated"):
                return out
            kw = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}

    def keys(self):
        out = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=self.prefix):
            out |= {o["Key"] for o in page.get("Contents", [])}
        return out


def leftovers(bucket):
    """What a broken upload or job could leave behind, as a list of findings (empty: nothing): pending
    multipart uploads, objects no version owns, versions without their object, versions neither ready
    nor failed, jobs stuck in the outbox."""
    found = []
    pending = bucket.pending_uploads()
    if pending:
        found.append(f"{len(pending)} pending multipart upload(s): {pending}")
    versions = psql("SELECT dataset_id, version, status, object_key FROM dataset_versions")
    dirs = {bucket.prefix + key.rsplit("/", 1)[0] + "/" for _, _, _, key in versions}
    keys = bucket.keys()
    orphans = sorted(k for k in keys if k.rsplit("/", 1)[0] + "/" not in dirs)
    if orphans:
        found.append(f"objects no version owns: {orphans}")
    missing = sorted(bucket.prefix + key for _, _, _, key in versions if bucket.prefix + key not in keys)
    if missing:
        found.append(f"versions whose object is missing: {missing}")
    unfinished = [f"{d} v{v} {st}" for d, v, st, _ in versions if st not in ("ready", "failed")]
    if unfinished:
        found.append(f"versions neither ready nor failed: {unfinished}")
    outbox = psql("SELECT count(*) FROM outbox")[0][0]
    if outbox != "0":
        found.append(f"{outbox} job(s) still in the outbox")
    return found


def log_records(role, offset, event, dataset):
    """The `event` records of a role's log from byte `offset` on that name `dataset`."""
    out = []
    with open(cluster_dir("logs", f"{role}.log"), encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        for line in f:
            if f'"{event}"' in line and dataset in line:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("event") == event and rec.get("dataset_id") == dataset:
                    out.append(rec)
    return out


def eventually(status_of, want=200, tries=20, pause_s=0.25):
    """Calls status_of() until it gives `want` (or the tries run out); returns the last status."""
    status = None
    for _ in range(tries):
        status = status_of()
        if status == want:
            break
        time.sleep(pause_s)
    return status


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    binary = sys.argv[1]
    os.environ["INSIGHTSTREAM_BINARY"] = binary
    os.environ["INSIGHTSTREAM_CLUSTER_DIR"] = tempfile.mkdtemp(prefix="insightstream-chaos-")
    os.environ["INSIGHTSTREAM_CLUSTER_PORT"] = str(random.randrange(20000, 32000, 10))
    os.environ["INSIGHTSTREAM_CLUSTER_FAULT_PROXY"] = "1"
    os.environ["INSIGHTSTREAM_JOB_VISIBILITY"] = str(JOB_VISIBILITY_S)
    os.environ["INSIGHTSTREAM_JOB_HEARTBEAT"] = str(JOB_HEARTBEAT_S)
    try:
        url = cluster("up").strip()
        c = Client(url)
        status, body, _ = c.json("POST", "/api/v1/auth/signup",
                                 {"organization": "Chaos", "email": "chaos@example.com", "password": "correct horse battery"},
                                 token=False)
        expect(status == 201, f"sign-up: {status} {body}")
        c.token = body["access_token"]
        ledger = Ledger(c)
        expect(ledger.upload(0) == 202, "first upload")
        first = ledger.accepted[0]
        ledger.settle()

        def login():
            return c.json("POST", "/api/v1/auth/login", {"email": "chaos@example.com", "password": "correct horse battery"},
                          token=False)[0]

        # 1. Both workers killed: the rest answers, new versions wait queued, then all are ready once.
        kill("worker1")
        kill("worker2")
        expect(login() == 200, "login while the workers are down")
        for seed in range(1, 4):
            expect(ledger.upload(seed) == 202, "upload while the workers are down")
        expect(c.call("GET", f"/api/v1/datasets/{first}/summary")[0] == 200, "reads while the workers are down")
        time.sleep(1.5)
        waiting = [c.call("GET", f"/api/v1/datasets/{d}")[1].get("status") for d in ledger.accepted[1:]]
        expect(all(s == "queued" for s in waiting), f"new versions wait queued, not {waiting}")
        cluster("up")
        ready, lost, dup = ledger.settle()
        print(f"workers killed: accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
        expect(lost == 0 and dup == 0, "every accepted upload ready once after the workers came back")

        # 2. Analytics killed: its routes answer 503 from the gateway at once; the rest works.
        kill("analytics1")
        kill("analytics2")
        latencies = []
        for _ in range(5):
            status, body, ms = c.call("GET", f"/api/v1/datasets/{first}/summary")
            expect(status == 503 and "analytics" in body.get("detail", ""), f"analytics down: {status} {body}")
            latencies.append(ms)
        expect(ledger.upload(10) == 202, "upload while analytics is down")
        expect(login() == 200, "login while analytics is down")
        cluster("up")
        # The gateway tries a service whose circuits are all open once a second.
        back = eventually(lambda: c.call("GET", f"/api/v1/datasets/{first}/summary")[0])
        expect(back == 200, f"analytics answers again ({back})")
        ready, lost, dup = ledger.settle()
        print(f"analytics killed: 503 in {max(latencies):.1f} ms at most; accepted {len(ledger.accepted)}, ready {ready}, "
              f"lost {lost}, duplicated {dup}")
        expect(max(latencies) < 100, "the 503 comes within 100 ms")
        expect(lost == 0 and dup == 0, "nothing lost while analytics was down")

        # 3. Auth killed: tokens keep working on ingest and analytics; login is a 503 naming auth.
        kill("auth")
        status, body, ms = c.json("POST", "/api/v1/auth/login",
                                  {"email": "chaos@example.com", "password": "correct horse battery"}, token=False)
        expect(status == 503 and "auth" in body.get("detail", ""), f"login with auth down: {status} {body}")
        expect(c.call("GET", "/api/v1/datasets")[0] == 200, "ingest reads with a token while auth is down")
        expect(c.call("GET", f"/api/v1/datasets/{first}/summary")[0] == 200, "analytics with a token while auth is down")
        expect(ledger.upload(11) == 202, "upload while auth is down")
        cluster("up")
        back = eventually(login)
        expect(back == 200, f"login after auth came back ({back})")
        ready, lost, dup = ledger.settle()
        print(f"auth killed: login 503 in {ms:.1f} ms; accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, "
              f"duplicated {dup}")
        expect(lost == 0 and dup == 0, "nothing lost while auth was down")

        # 4.-6. (before the PostgreSQL restart, whose stale pooled connections would fail the next
        # transactions and add retries of their own) One worker killed mid-job, SQS cut, S3 cut.
        bucket = Bucket()
        worker_killed_mid_job(c, ledger)
        sqs_cut(c, ledger, login, bucket)
        s3_cut(c, ledger, login, bucket, first)

        # 7. PostgreSQL restarted: every role reconnects; no 500 once it is back.
        pg = os.path.join(os.environ["INSIGHTSTREAM_CLUSTER_DIR"], "pg", "data")
        pg_ctl = subprocess.run("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1", shell=True, capture_output=True,
                                text=True).stdout.strip() + "/pg_ctl"
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # The restarted server must not inherit a pipe of ours (the call would wait for it forever).
        subprocess.run([*as_pg, pg_ctl, "-D", pg, "-l", os.path.join(os.path.dirname(pg), "server.log"), "-m", "fast",
                        "-w", "restart"], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        statuses = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statuses = [login(), c.call("GET", "/api/v1/datasets")[0], c.call("GET", f"/api/v1/datasets/{first}/summary")[0]]
            if all(s == 200 for s in statuses):
                break
            time.sleep(0.5)
        expect(all(s == 200 for s in statuses), f"roles reconnect after a PostgreSQL restart: {statuses}")
        expect(ledger.upload(12) == 202, "upload after the restart")
        for _ in range(10):
            got = [c.call("GET", "/api/v1/datasets")[0], c.call("GET", f"/api/v1/datasets/{first}/summary")[0]]
            expect(500 not in got, f"no 500 once PostgreSQL is back: {got}")
        ready, lost, dup = ledger.settle()
        print(f"PostgreSQL restarted: accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
        expect(lost == 0 and dup == 0, "nothing lost over a PostgreSQL restart")

        # 8. The gateway killed and restarted: nothing lost.
        kill("gateway")
        expect(c.call("GET", "/api/v1/datasets")[0] == 0, "the gateway is down")
        cluster("up")
        expect(ledger.upload(13) == 202, "upload through the restarted gateway")
        ready, lost, dup = ledger.settle()
        print(f"gateway killed: accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
        expect(lost == 0 and dup == 0, "nothing lost over a gateway restart")

        # 9. S3 cut in the middle of a multipart upload.
        s3_cut_mid_upload(c, bucket)

        print("chaos: every case held")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        try:
            print(cluster("status"), file=sys.stderr)
        except subprocess.CalledProcessError:
            pass
        # `down` removes the cluster's directory: keep the logs for whoever reads the failure.
        kept = tempfile.mkdtemp(prefix="insightstream-chaos-logs-")
        subprocess.run(["cp", "-r", cluster_dir("logs"), kept], capture_output=True)
        print(f"logs kept in {kept}/logs", file=sys.stderr)
        return 1
    finally:
        subprocess.run([CLUSTER, "down"], capture_output=True)


def worker_killed_mid_job(c, ledger):
    """4. One worker SIGKILLed while it processes a job: its lease runs out, the other worker takes the
    job over and finishes it; one result, two attempts; the killed worker never commits."""
    workers = ("worker1", "worker2")
    offsets = {w: os.path.getsize(cluster_dir("logs", f"{w}.log")) for w in workers}
    expect(ledger.upload(100, rows=BIG_ROWS) == 202, "the big upload")
    big = ledger.accepted[-1]
    holder = None
    deadline = time.monotonic() + 30
    while holder is None and time.monotonic() < deadline:
        holder = next((w for w in workers if log_records(w, offsets[w], "job.started", big)), None)
        time.sleep(0.02)
    expect(holder, "a worker starts on the big upload within 30 s")
    # Killed once it has made progress (written every second), well before the end.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = c.call("GET", f"/api/v1/datasets/{big}")[1]
        if body.get("status") != "processing" or body.get("progress", {}).get("bytes_done", 0) > 0:
            break
        time.sleep(0.05)
    kill(holder)
    killed_at = time.monotonic()
    other = next(w for w in workers if w != holder)
    status, body, _ = c.call("GET", f"/api/v1/datasets/{big}")
    percent = body.get("progress", {}).get("percent")
    expect(status == 200 and body.get("status") == "processing" and 0 < body["progress"]["bytes_done"] < body["size_bytes"],
           f"the job was under way when {holder} was killed (a bigger file if it was done): {status} {body}")
    # The rest goes on meanwhile on the other worker.
    expect(ledger.upload(101) == 202, "upload while a worker is down")
    taken_over = ready_after = None
    deadline = time.monotonic() + JOB_VISIBILITY_S + 60
    while ready_after is None and time.monotonic() < deadline:
        if taken_over is None and log_records(other, offsets[other], "job.started", big):
            taken_over = time.monotonic() - killed_at
        if c.call("GET", f"/api/v1/datasets/{big}")[1].get("status") == "ready":
            ready_after = time.monotonic() - killed_at
        time.sleep(0.1)
    expect(ready_after is not None, f"the big upload is ready within {JOB_VISIBILITY_S + 60} s of the kill")
    expect(taken_over is not None, f"{other} took the job over")
    body = c.call("GET", f"/api/v1/datasets/{big}")[1]
    ready, lost, dup = ledger.settle()
    print(f"worker killed mid-job: {holder} killed at {percent}%, {other} took the job over after {taken_over:.1f} s "
          f"(lease {JOB_VISIBILITY_S} s, heartbeat {JOB_HEARTBEAT_S} s), ready {ready_after:.1f} s after the kill, "
          f"attempts {body.get('attempts')}; accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
    expect(lost == 0 and dup == 0, "every accepted upload ready once after a worker died mid-job")
    # Not before the lease ran out (the last heartbeat may have come just before the kill).
    expect(taken_over >= JOB_VISIBILITY_S - JOB_HEARTBEAT_S - 1,
           f"the job stays with the killed worker until its lease runs out (taken over after {taken_over:.1f} s)")
    # Two processing attempts, the killed one and a later delivery on the other worker, which commits once.
    mine = log_records(holder, offsets[holder], "job.started", big)
    started = log_records(other, offsets[other], "job.started", big)
    succeeded = log_records(other, offsets[other], "job.succeeded", big)
    expect(body.get("attempts") == 2 and len(mine) == 1 and len(started) == 1
           and started[0].get("attempt", 0) > mine[0].get("attempt", 0),
           f"one more attempt, on a later delivery: attempts {body.get('attempts')}, {holder} {mine}, {other} {started}")
    expect(len(succeeded) == 1 and succeeded[0].get("rows") == BIG_ROWS, f"{other} committed once: {succeeded}")
    expect(not log_records(holder, offsets[holder], "job.succeeded", big), f"the killed {holder} committed nothing")
    cluster("up")
    expect(pids()[holder], f"{holder} runs again")
    # Restarted, it still reaches S3 and SQS through the fault proxies (the cut cases rely on it).
    endpoints = {}
    with open(cluster_dir("logs", f"{holder}.log"), encoding="utf-8", errors="replace") as f:
        f.seek(offsets[holder])
        for line in f:
            if '"aws.client"' in line:
                rec = json.loads(line)
                endpoints[rec.get("service")] = rec.get("endpoint")
    want = {name: f"http://127.0.0.1:{FaultProxy(name).port}" for name in ("s3", "sqs")}
    expect({k: endpoints.get(k) for k in want} == want, f"the restarted {holder} uses the fault proxies: {endpoints}")


def sqs_cut(c, ledger, login, bucket):
    """5. SQS cut: uploads are accepted, their jobs wait in the outbox (the relay cannot send them), reads
    work; once SQS answers again the jobs flow and every upload is ready once."""
    sqs = FaultProxy("sqs")
    sqs.cut()
    latencies, new = [], []
    for seed in range(20, 23):
        status = ledger.upload(seed)
        expect(status == 202, f"upload while SQS is cut: {status}")
        latencies.append(ledger.last_ms)
        new.append(ledger.accepted[-1])
    expect(login() == 200 and c.call("GET", "/api/v1/datasets")[0] == 200, "login and reads while SQS is cut")
    time.sleep(3)  # the relay (every 2 s) tries and fails meanwhile
    outbox = [body for (body,) in psql("SELECT body FROM outbox")]
    waiting = [d for d in new if any(d in body for body in outbox)]
    statuses = [c.call("GET", f"/api/v1/datasets/{d}")[1].get("status") for d in new]
    expect(waiting == new and len(outbox) == len(new), f"the jobs wait in the outbox: {len(outbox)} there, {waiting}")
    expect(all(s == "queued" for s in statuses), f"the versions wait queued, not {statuses}")
    state = sqs.heal()
    healed = time.monotonic()
    ready, lost, dup = ledger.settle()
    flowed = time.monotonic() - healed
    print(f"SQS cut: uploads 202 in {min(latencies):.0f}-{max(latencies):.0f} ms, {len(outbox)} jobs waited in the outbox "
          f"({state['refused_connections']} connections refused), all ready {flowed:.1f} s after the heal; "
          f"accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
    expect(lost == 0 and dup == 0, "every upload accepted while SQS was cut is ready once")
    expect(state["refused_connections"] > 0, "the cut was in the way (connections to SQS were refused)")
    found = leftovers(bucket)
    expect(not found, f"nothing left over after the SQS cut: {found}")


def s3_cut(c, ledger, login, bucket, first):
    """6. S3 cut: uploads answer 503 (the one that would be a multipart upload too, and a new version of
    a dataset), nothing half-made is left (no multipart upload, object, dataset or version); a part
    reset mid-transfer aborts its multipart upload; once S3 answers again uploads work."""
    s3 = FaultProxy("s3")
    keys_before = bucket.keys()
    first_before = c.call("GET", f"/api/v1/datasets/{first}")[1]
    s3.cut()
    seen = {}
    for what, path, body in (
            ("small", "/api/v1/datasets?name=cut-small&format=csv", csv(200, 30)),
            ("multipart", "/api/v1/datasets?name=cut-big&format=csv", big_csv(MULTIPART_ROWS, 31)),
            ("new version", f"/api/v1/datasets/{first}/versions", csv(200, 32))):
        status, payload, ms = c.call("POST", path, body, {"Content-Type": "text/csv"})
        expect(status == 503 and "object store" in payload.get("detail", ""),
               f"{what} upload while S3 is cut: {status} {payload}")
        seen[what] = ms
    expect(login() == 200 and c.call("GET", f"/api/v1/datasets/{first}/summary")[0] == 200,
           "login and reads while S3 is cut")
    status, body, _ = c.call("GET", "/api/v1/datasets?limit=100")
    listed = {d["id"] for d in body.get("items", [])}
    expect(status == 200 and listed == set(ledger.accepted), f"no dataset made by a refused upload: {listed - set(ledger.accepted)}")
    first_now = c.call("GET", f"/api/v1/datasets/{first}")[1]
    expect((first_now.get("version"), first_now.get("status")) == (first_before.get("version"), "ready"),
           f"the refused new version left {first} as it was: {first_now.get('version')} {first_now.get('status')}")
    pending = bucket.pending_uploads()
    expect(not pending and bucket.keys() == keys_before, f"nothing half-made in the bucket: pending {pending}, "
           f"new objects {sorted(bucket.keys() - keys_before)}")
    # A part's connection reset mid-transfer while S3 itself still answers: the upload is aborted.
    s3.post("/mode/cut_after?bytes=1000000")
    status, payload, reset_ms = c.call("POST", "/api/v1/datasets?name=cut-part&format=csv", big_csv(MULTIPART_ROWS, 33),
                                       {"Content-Type": "text/csv"})
    expect(status == 503, f"multipart upload whose parts are reset: {status} {payload}")
    pending = bucket.pending_uploads()
    expect(not pending and bucket.keys() == keys_before, f"the reset upload was aborted: pending {pending}, "
           f"new objects {sorted(bucket.keys() - keys_before)}")
    s3.heal()
    expect(ledger.upload(34) == 202, "a small upload once S3 answers again")
    expect(ledger.upload(35, rows=MULTIPART_ROWS) == 202, "a multipart upload once S3 answers again")
    ready, lost, dup = ledger.settle()
    found = leftovers(bucket)
    print(f"S3 cut: uploads 503 in {max(seen.values()):.0f} ms at most (small {seen['small']:.0f} ms, multipart "
          f"{seen['multipart']:.0f} ms, new version {seen['new version']:.0f} ms), a part reset mid-transfer 503 in "
          f"{reset_ms:.0f} ms and aborted; pending multipart uploads 0, objects 0, datasets 0 made; after the heal "
          f"accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}; leftovers {len(found)}")
    expect(lost == 0 and dup == 0, "every upload accepted after the S3 cut is ready once")
    expect(not found, f"nothing left over after the S3 cut: {found}")


def s3_cut_mid_upload(c, bucket):
    """9. S3 cut while a multipart upload is under way: the upload answers 503, and once S3 answers
    again no multipart upload is left pending (ingest's abort, which cannot reach S3 while it is cut,
    is tried again in the background until S3 takes it)."""
    import http.client
    import urllib.parse
    s3 = FaultProxy("s3")
    body = big_csv(MULTIPART_ROWS, 40).encode()
    url = urllib.parse.urlsplit(c.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.putrequest("POST", "/api/v1/datasets?name=cut-mid&format=csv")
    for name, value in (("Authorization", "Bearer " + c.token), ("Content-Type", "text/csv"),
                        ("Content-Length", str(len(body)))):
        conn.putheader(name, value)
    conn.endheaders()
    head = 12 << 20  # past the first 8 MiB part
    conn.send(body[:head])
    deadline = time.monotonic() + 15
    while not bucket.pending_uploads() and time.monotonic() < deadline:
        time.sleep(0.05)
    expect(bucket.pending_uploads(), "the multipart upload began")
    time.sleep(0.3)
    s3.cut()
    start = time.monotonic()
    try:
        conn.send(body[head:])
    except OSError:
        pass  # the answer may come before the rest of the body is taken
    try:
        resp = conn.getresponse()
        status, text = resp.status, resp.read().decode()
    except OSError as e:
        status, text = 0, str(e)
    ms = (time.monotonic() - start) * 1000
    conn.close()
    s3.heal()
    deadline = time.monotonic() + 15
    while bucket.pending_uploads() and time.monotonic() < deadline:
        time.sleep(0.5)
    pending = bucket.pending_uploads()
    print(f"S3 cut mid-upload: {status} in {ms:.0f} ms after the cut; pending multipart uploads 15 s after the heal "
          f"{len(pending)}")
    expect(status == 503, f"the interrupted upload answers 503: {status} {text[:200]}")
    expect(not pending, f"no multipart upload left pending once S3 answers again: {pending}")


if __name__ == "__main__":
    sys.exit(main())

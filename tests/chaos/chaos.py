#!/usr/bin/env python3
"""Chaos on the distributed mode: scripts/cluster on loopback, a client uploading and reading
through the gateway all the while, and one part broken at a time. After each case every accepted
upload must end `ready`, once: none lost, none processed into two results.

  chaos.py BINARY

Cases: both workers killed; analytics killed; auth killed; PostgreSQL restarted; the gateway
killed. Prints one line per case with its counts and, where a service is down, the gateway's
503 latency. Exits non-zero on the first broken promise.
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


class Ledger:
    """Accepted uploads, to be counted against ready versions."""

    def __init__(self, client):
        self.client = client
        self.accepted = []

    def upload(self, seed):
        status, body, _ = self.client.call("POST", f"/api/v1/datasets?name=c{seed}&format=csv", csv(200, seed),
                                           {"Content-Type": "text/csv"})
        if status == 202:
            self.accepted.append(body["id"])
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
            if status == 200 and body.get("rows") != 200:
                duplicated += 1  # a second result would double or mix the rows
        return ready, len(pending), duplicated


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

        # 4. PostgreSQL restarted: every role reconnects; no 500 once it is back.
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

        # 5. The gateway killed and restarted: nothing lost.
        kill("gateway")
        expect(c.call("GET", "/api/v1/datasets")[0] == 0, "the gateway is down")
        cluster("up")
        expect(ledger.upload(13) == 202, "upload through the restarted gateway")
        ready, lost, dup = ledger.settle()
        print(f"gateway killed: accepted {len(ledger.accepted)}, ready {ready}, lost {lost}, duplicated {dup}")
        expect(lost == 0 and dup == 0, "nothing lost over a gateway restart")
        print("chaos: every case held")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        try:
            print(cluster("status"), file=sys.stderr)
        except subprocess.CalledProcessError:
            pass
        return 1
    finally:
        subprocess.run([CLUSTER, "down"], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Load test, step 2 (the writers): every organization uploads PER_ORG copies of FILE at once.

  uploads.py --targets DIR/targets.json --file FILE --per-org 2 --out DIR/uploads.json

All ORGS x PER_ORG uploads start together (one thread and one connection each, released by a
barrier). Per upload: the accept latency, from the first byte of the request to the 202 (the whole
body is sent before the server can answer, so this includes the transfer). Then the versions are
polled (GET /api/v1/datasets/{id}, every POLL seconds) until each is ready or failed, or TIMEOUT
seconds have passed. Every non-202 is kept with its status and problem body.
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Client  # noqa: E402


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, math.ceil(p / 100.0 * len(xs)) - 1))  # nearest rank
    return xs[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--per-org", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--poll", type=float, default=0.5)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    t = json.load(open(args.targets))
    base, orgs = t["base"], t["orgs"]
    data = open(args.file, "rb").read()
    jobs = [(o, k) for o in orgs for k in range(args.per_org)]
    barrier = threading.Barrier(len(jobs) + 1)
    results = [None] * len(jobs)

    def upload(i):
        o, k = jobs[i]
        c = Client(base, timeout=300)
        c._connect()
        c.conn.connect()  # connect before the barrier: the latency is the request's, not the handshake's
        barrier.wait()
        start = time.monotonic()
        r = {"org": o["org"], "n": k, "start": start}
        try:
            status, _, body = c.request(
                "POST", f"/api/v1/datasets?name=load-{k}&format=csv", data,
                {"Authorization": "Bearer " + o["token"], "Content-Type": "text/csv"})
            r["status"] = status
            if status == 202:
                j = json.loads(body)
                r["dataset"], r["version"] = j["id"], j.get("version")
            else:
                r["error"] = body[:500].decode("utf-8", "replace")
        except Exception as e:  # a reset or a timeout is an error of the run, kept with its text
            r["status"] = 0
            r["error"] = f"{type(e).__name__}: {e}"
        r["end"] = time.monotonic()
        r["accept_ms"] = (r["end"] - start) * 1000.0
        c.close()
        results[i] = r

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(jobs))]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.monotonic()
    wall0 = time.time()
    print(f"uploads: {len(jobs)} uploads of {len(data)} bytes started", flush=True)
    for th in threads:
        th.join()
    accepted = [r for r in results if r["status"] == 202]
    rejected = [r for r in results if r["status"] != 202]
    last_accept = max((r["end"] for r in accepted), default=t0)
    print(f"uploads: {len(accepted)} accepted, {len(rejected)} refused or failed, "
          f"last accepted {last_accept - t0:.2f} s after the start", flush=True)

    # Until every accepted version is ready or failed.
    tokens = {o["org"]: o["token"] for o in orgs}
    pending = {(r["dataset"], r["org"]): r for r in accepted}
    poll_errors = []

    def check(key):
        ds, org = key
        c = local.__dict__.setdefault("c", Client(base))
        try:
            return key, c.json("GET", f"/api/v1/datasets/{ds}", token=tokens[org])
        except Exception as e:
            return key, {"status": "?", "poll_error": str(e)}

    local = threading.local()
    deadline = t0 + args.timeout
    with cf.ThreadPoolExecutor(4) as ex:
        while pending and time.monotonic() < deadline:
            for key, d in ex.map(check, list(pending)):
                if "poll_error" in d:
                    poll_errors.append(d["poll_error"])
                    continue
                if d["status"] in ("ready", "failed"):
                    r = pending.pop(key)
                    r["final"] = d["status"]
                    r["done_s"] = time.monotonic() - t0
                    r["rows"] = d.get("rows")
                    if d["status"] == "failed":
                        r["failure"] = d.get("error")
                else:
                    pending[key]["last_status"] = d["status"]
                    pending[key]["last_progress"] = d.get("progress")
            if pending:
                time.sleep(args.poll)
    for r in pending.values():
        r["final"] = "stuck:" + str(r.get("last_status"))

    lat = [r["accept_ms"] for r in accepted]
    done = [r for r in accepted if r.get("final") in ("ready", "failed")]
    summary = {
        "uploads": len(jobs),
        "bytes_each": len(data),
        "wall_start": wall0,
        "accepted": len(accepted),
        "refused": [{"org": r["org"], "status": r["status"], "error": r.get("error")} for r in rejected],
        "accept_window_s": last_accept - t0,
        "accepted_per_s": len(accepted) / (last_accept - t0) if accepted and last_accept > t0 else 0.0,
        "accept_ms_p50": pct(lat, 50),
        "accept_ms_p99": pct(lat, 99),
        "accept_ms_max": max(lat) if lat else None,
        "ready": sum(1 for r in accepted if r.get("final") == "ready"),
        "failed": [{"org": r["org"], "dataset": r["dataset"], "error": r.get("failure")}
                   for r in accepted if r.get("final") == "failed"],
        "stuck": [{"org": r["org"], "dataset": r["dataset"], "status": r["final"], "progress": r.get("last_progress")}
                  for r in accepted if str(r.get("final", "")).startswith("stuck")],
        "all_done_s": max((r["done_s"] for r in done), default=None),
        "done_s_p50": pct([r["done_s"] for r in done], 50),
        "poll_errors": poll_errors[:20],
        "poll_error_count": len(poll_errors),
    }
    with open(args.out, "w") as f:
        json.dump({"summary": summary, "uploads": results}, f, indent=1)
    print(f"uploads: {summary['ready']} ready, {len(summary['failed'])} failed, {len(summary['stuck'])} stuck; "
          f"all done {summary['all_done_s']} s after the start", flush=True)


if __name__ == "__main__":
    main()

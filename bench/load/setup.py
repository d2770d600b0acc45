#!/usr/bin/env python3
"""Load test, step 1: N organizations, each with one small ready dataset for the readers.

  setup.py --base URL --orgs 50 --warm FILE --out DIR

Signs up N organizations (POST /api/v1/auth/signup), uploads FILE once per organization as the
dataset "warm" and waits until every version is ready. Writes DIR/targets.json (tokens, dataset
ids, the schema's dimensions and measures) and DIR/targets.txt, the same for reads.lua:
  time <column>
  dims <d1,d2,...>
  measures <m1,m2,...>
  org <token> <dataset id>      (one line per organization)
"""
import argparse
import concurrent.futures as cf
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Client  # noqa: E402


def make_org(base, i, warm, run_id):
    c = Client(base)
    org = f"Load {run_id} {i:02d}"
    email = f"load{i:02d}.{run_id}@example.com"
    r = c.json("POST", "/api/v1/auth/signup",
               {"organization": org, "email": email, "password": "load test password " + run_id},
               expect=(200, 201))
    token = r["access_token"]
    status, _, body = c.request("POST", "/api/v1/datasets?name=warm&format=csv", warm,
                                {"Authorization": "Bearer " + token, "Content-Type": "text/csv"})
    if status != 202:
        raise RuntimeError(f"warm-up upload of org {i}: {status} {body[:300]!r}")
    ds = json.loads(body)["id"]
    c.close()
    return {"org": org, "email": email, "token": token, "dataset": ds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--orgs", type=int, default=50)
    ap.add_argument("--warm", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--parallel", type=int, default=4)
    args = ap.parse_args()
    warm = open(args.warm, "rb").read()
    run_id = str(int(time.time()))
    t0 = time.time()
    with cf.ThreadPoolExecutor(args.parallel) as ex:
        orgs = list(ex.map(lambda i: make_org(args.base, i, warm, run_id), range(args.orgs)))
    print(f"setup: {len(orgs)} organizations signed up, warm-up uploads accepted in {time.time() - t0:.1f} s", flush=True)

    c = Client(args.base)
    pending = {o["dataset"]: o for o in orgs}
    deadline = time.time() + 600
    while pending and time.time() < deadline:
        for ds, o in list(pending.items()):
            d = c.json("GET", f"/api/v1/datasets/{ds}", token=o["token"])
            if d["status"] == "ready":
                del pending[ds]
            elif d["status"] == "failed":
                raise RuntimeError(f"warm-up dataset {ds} failed: {d.get('error')}")
        if pending:
            time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} warm-up datasets not ready after 600 s")
    print(f"setup: every warm-up dataset ready after {time.time() - t0:.1f} s", flush=True)

    schema = c.json("GET", f"/api/v1/datasets/{orgs[0]['dataset']}/schema", token=orgs[0]["token"])
    cols = schema["columns"]
    dims = [x["name"] for x in cols if x.get("role") == "dimension"]
    measures = [x["name"] for x in cols if x.get("role") == "measure"]
    times = [x["name"] for x in cols if x.get("role") == "time"]
    if not dims or not measures or not times:
        raise RuntimeError(f"unexpected schema: {json.dumps(cols)[:500]}")
    out = {"base": args.base, "time": times[0], "dims": dims, "measures": measures, "orgs": orgs}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "targets.json"), "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(args.out, "targets.txt"), "w") as f:
        f.write(f"time {times[0]}\n")
        f.write("dims " + ",".join(dims) + "\n")
        f.write("measures " + ",".join(measures) + "\n")
        for o in orgs:
            f.write(f"org {o['token']} {o['dataset']}\n")
    print(f"setup: dimensions {dims}, measures {measures}, time {times[0]}", flush=True)


if __name__ == "__main__":
    main()

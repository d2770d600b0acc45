#!/usr/bin/env python3
"""Samples VmRSS of named processes until SIGTERM/SIGINT, then writes the peaks.

  rss.py --out FILE [--interval 0.25] NAME=PID [NAME=tree:PID ...]

Per process: the highest VmRSS sampled, VmHWM at the last sample (the kernel's own peak, so a
spike between two samples still shows), and the first and last VmRSS. NAME=tree:PID sums the
process and all its descendants (PostgreSQL's backends; shared memory is counted once per process
that touched it, so the sum overstates), with VmHWM summed likewise.
"""
import argparse
import json
import os
import signal
import time

stop = False


def on_signal(*_):
    global stop
    stop = True


def status_kb(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
    except OSError:
        return None
    return out


def descendants(root):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def sample(spec):
    if not spec.startswith("tree:"):
        return status_kb(spec)
    total = {"VmRSS": 0, "VmHWM": 0}
    found = False
    for p in descendants(int(spec[5:])):
        s = status_kb(p)
        if s:
            found = True
            total["VmRSS"] += s.get("VmRSS", 0)
            total["VmHWM"] += s.get("VmHWM", 0)
    return total if found else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("procs", nargs="+")
    args = ap.parse_args()
    procs = [p.split("=", 1) for p in args.procs]
    peaks = {name: {"pid": pid, "rss_max_kb": 0, "hwm_kb": 0, "rss_first_kb": None, "rss_last_kb": None,
                    "samples": 0} for name, pid in procs}
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while True:
        for name, pid in procs:
            s = sample(pid)
            if not s:
                continue
            p = peaks[name]
            p["samples"] += 1
            p["rss_max_kb"] = max(p["rss_max_kb"], s.get("VmRSS", 0))
            p["hwm_kb"] = max(p["hwm_kb"], s.get("VmHWM", 0))
            if p["rss_first_kb"] is None:
                p["rss_first_kb"] = s.get("VmRSS")
            p["rss_last_kb"] = s.get("VmRSS")
        if stop:
            break
        time.sleep(args.interval)
    with open(args.out, "w") as f:
        json.dump(peaks, f, indent=1)


if __name__ == "__main__":
    main()

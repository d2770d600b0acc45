#!/usr/bin/env python3
"""Load test, the report: one text from DIR/{meta.json,wrk.txt,uploads.json,rss.json}.

  report.py DIR   (prints it, and writes DIR/report.txt)
"""
import json
import os
import re
import sys


def wrk_figures(text):
    f = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    f["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+),", text)
    if m:
        f["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    f["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    f["socket"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else \
        {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    m = re.search(r"latency-us p50 (\d+) p90 (\d+) p99 (\d+) p999 (\d+) max (\d+)", text)
    if m:
        f["lat_ms"] = dict(zip(("p50", "p90", "p99", "p999", "max"), (int(x) / 1000.0 for x in m.groups())))
    f["status"] = {k: int(v) for k, v in re.findall(r"^status (\w+) (\d+)$", text, re.M)}
    f["bodies"] = re.findall(r"^error-body (.*)$", text, re.M)
    return f


def main():
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, "meta.json")))
    w = wrk_figures(open(os.path.join(d, "wrk.txt")).read())
    up = json.load(open(os.path.join(d, "uploads.json")))["summary"]
    rss = json.load(open(os.path.join(d, "rss.json")))
    L = []
    L.append(f"InsightStream load test — target: {meta['target']}  ({meta['date']}, {meta['binary']})")
    L.append(f"  {meta['orgs']} organizations; reads: wrk -t{meta['threads']} -c{meta['connections']} -d{meta['seconds']}s "
             f"({meta['miss_percent']} % uncached questions); uploads: {up['uploads']} x {up['bytes_each'] / 1e6:.1f} MB "
             f"started {up['wall_start'] - meta['wrk_wall_start']:.1f} s into the read window")
    L.append("")
    L.append("Uploads")
    L.append(f"  accepted              {up['accepted']} / {up['uploads']}  (refused or failed: {len(up['refused'])})")
    L.append(f"  accepted per second   {up['accepted_per_s']:.1f}/s  (all accepted within {up['accept_window_s']:.2f} s; "
             f"{up['accepted'] * up['bytes_each'] / 1e6 / max(up['accept_window_s'], 1e-9):.0f} MB/s)")
    if up["accept_ms_p50"] is not None:
        L.append(f"  accept latency        p50 {up['accept_ms_p50']:.0f} ms, p99 {up['accept_ms_p99']:.0f} ms, "
                 f"max {up['accept_ms_max']:.0f} ms  (first byte sent -> 202, body transfer included)")
    if up["all_done_s"] is not None:
        L.append(f"  every version done    {up['all_done_s']:.1f} s after the uploads started "
                 f"(median version {up['done_s_p50']:.1f} s)")
    L.append(f"  ready / failed / stuck {up['ready']} / {len(up['failed'])} / {len(up['stuck'])}")
    for r in up["refused"][:10]:
        L.append(f"    refused: {r['org']}: {r['status']} {str(r['error'])[:200]}")
    for r in up["failed"][:10]:
        L.append(f"    failed: {r['org']} {r['dataset']}: {r['error']}")
    for r in up["stuck"][:10]:
        L.append(f"    stuck: {r['org']} {r['dataset']}: {r['status']} {r['progress']}")
    if up.get("poll_error_count"):
        L.append(f"    status polls that failed: {up['poll_error_count']} (e.g. {up['poll_errors'][:2]})")
    L.append("")
    L.append("Reads")
    if w["rps"] is None:
        L.append("  (no reads in this run)")
    else:
        L.append(f"  requests              {w.get('requests')}  ({w['rps']:.0f}/s)")
    if "lat_ms" in w:
        lm = w["lat_ms"]
        L.append(f"  latency               p50 {lm['p50']:.2f} ms, p90 {lm['p90']:.2f} ms, p99 {lm['p99']:.2f} ms, "
                 f"p99.9 {lm['p999']:.2f} ms, max {lm['max']:.0f} ms")
    s = w["status"]
    sock = w["socket"]
    errors = w["non2xx"] + sum(sock.values())
    if w["rps"] is not None:
        L.append(f"  statuses              2xx {s.get('2xx', 0)}, 3xx {s.get('3xx', 0)}, 4xx {s.get('4xx', 0)}, "
                 f"5xx {s.get('5xx', 0)}")
        L.append(f"  socket errors         connect {sock['connect']}, read {sock['read']}, write {sock['write']}, "
                 f"timeout {sock['timeout']}")
        L.append(f"  errors                {errors}  (non-2xx/3xx {w['non2xx']} + socket errors {sum(sock.values())})")
        for b in w["bodies"][:5]:
            L.append(f"    e.g. {b[:220]}")
    L.append("")
    L.append("Memory (peak per process: highest VmRSS sampled every 0.25 s / VmHWM)")
    for name, p in rss.items():
        L.append(f"  {name:<14} pid {str(p['pid']):<10} peak RSS {p['rss_max_kb'] / 1024:7.1f} MiB   VmHWM "
                 f"{p['hwm_kb'] / 1024:7.1f} MiB   (RSS at start {(p['rss_first_kb'] or 0) / 1024:.1f}, "
                 f"at end {(p['rss_last_kb'] or 0) / 1024:.1f} MiB)")
    L.append("")
    goal_p99 = w.get("lat_ms", {}).get("p99", 1e9) < 50 if w["rps"] is not None else None
    all_ready = up["ready"] == up["uploads"]
    if w["rps"] is None:
        goal_p99 = True  # nothing to measure
    L.append(f"Goal (issue 16 part 4): 0 errors: {'met' if errors == 0 and not up['refused'] else 'NOT met'}; "
             f"read p99 < 50 ms: {'met' if goal_p99 else 'NOT met'}; every version ready: "
             f"{'met' if all_ready else 'NOT met'}")
    text = "\n".join(L) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(d, "report.txt"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Self-test of fault_proxy.py: runs an echo upstream in-process and the proxy as a subprocess,
then checks every fault. Exits 0 when all checks pass, 1 otherwise. Takes a few seconds."""
import http.client
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, "fault_proxy.py")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


# ---- upstream: echo server that records, per connection, bytes received and how it ended ----

class Upstream(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.lock = threading.Lock()
        self.records = []  # dicts: received (int), end (None | "eof" | "reset")


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        rec = {"received": 0, "end": None}
        with self.server.lock:
            self.server.records.append(rec)
        s = self.request
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    s.shutdown(socket.SHUT_WR)  # half-close back: echo is complete
                    rec["end"] = "eof"
                    return
                rec["received"] += len(data)
                s.sendall(data)
        except OSError:
            rec["end"] = "reset"


def wait_for(pred, timeout=3.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


# ---- helpers -------------------------------------------------------------------------------

class Control:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, expect=200):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3)
        try:
            c.request(method, path)
            r = c.getresponse()
            body = json.loads(r.read())
            if r.status != expect:
                raise AssertionError(f"{method} {path}: status {r.status}, want {expect}: {body}")
            return body
        finally:
            c.close()

    def post(self, path, expect=200):
        return self.call("POST", path, expect)

    def state(self):
        return self.call("GET", "/state")


def connect(port, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def echo_ok(s, msg=b"ping"):
    s.sendall(msg)
    return recv_exact(s, len(msg)) == msg


def closes_abruptly(s, timeout=1.0):
    """True if the socket is reset or closed (EOF) within timeout, without getting data."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False


def is_reset(s, timeout=1.0):
    """True if reading hits ECONNRESET within timeout (data before it is drained)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return False  # orderly EOF, not a reset
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False


# ---- the test ------------------------------------------------------------------------------

def run(proxy_port, ctl, upstream):
    st = ctl.state()
    check(st["mode"] == "pass" and st["open_connections"] == 0 and st["total_connections"] == 0,
          f"initial state {st}")
    accepted = 0

    # pass: echo, a 3 MiB round trip and half-close in both directions
    a = connect(proxy_port); accepted += 1
    check(echo_ok(a, b"hello"), "pass: echo through the proxy")
    payload = os.urandom(3 * 1024 * 1024)
    b = connect(proxy_port); accepted += 1
    got = []
    reader = threading.Thread(target=lambda: got.append(recv_exact(b, len(payload) + 1)))
    reader.start()
    b.sendall(payload)
    b.shutdown(socket.SHUT_WR)  # EOF -> proxy shuts upstream write -> echo shuts back -> EOF
    reader.join(5)
    check(got and got[0] == payload, "pass: 3 MiB echoed intact, then EOF after half-close")
    b.close()
    n = len(upstream.records)
    check(wait_for(lambda: upstream.records[n - 1]["end"] == "eof"),
          "pass: upstream saw an orderly EOF")
    check(wait_for(lambda: ctl.state()["open_connections"] == 1),
          "pass: closed connection leaves open_connections")

    # latency
    ctl.post("/latency?ms=150")
    t0 = time.monotonic()
    ok = echo_ok(a, b"slow")
    dt = time.monotonic() - t0
    check(ok and dt >= 0.28, f"latency 150 ms: round trip {dt * 1000:.0f} ms (two chunks)")
    st = ctl.post("/latency?ms=0")
    t0 = time.monotonic()
    ok = echo_ok(a, b"fast")
    dt = time.monotonic() - t0
    check(ok and dt < 0.1 and st["latency_ms"] == 0, f"latency off: round trip {dt * 1000:.0f} ms")

    # refuse: new connections reset at once, open one untouched
    st = ctl.post("/mode/refuse")
    check(st["mode"] == "refuse", "refuse: mode set")
    t0 = time.monotonic()
    try:
        r = connect(proxy_port)
    except ConnectionResetError:
        r = None  # the reset came before connect() returned: as refused as it gets
    accepted += 1
    check((r is None or closes_abruptly(r)) and time.monotonic() - t0 < 0.5, "refuse: new connection reset at once")
    if r is not None:
        r.close()
    check(echo_ok(a, b"still-up"), "refuse: open connection untouched")
    ctl.post("/mode/pass")
    c = connect(proxy_port); accepted += 1
    check(echo_ok(c, b"back"), "refuse -> pass: new connections work again")
    c.close()

    # stall: open and new connections hold bytes, released on pass
    st = ctl.post("/mode/stall")
    check(st["mode"] == "stall", "stall: mode set")
    a.sendall(b"held-on-a")
    a.settimeout(0.5)
    try:
        a.recv(100)
        check(False, "stall: open connection read times out")
    except (socket.timeout, TimeoutError):
        check(True, "stall: open connection read times out")
    n_rec = len(upstream.records)
    d = connect(proxy_port); accepted += 1
    check(wait_for(lambda: len(upstream.records) > n_rec), "stall: upstream connection made")
    rec_a, rec_d = upstream.records[0], upstream.records[n_rec]
    d.sendall(b"held-on-d")
    d.settimeout(0.5)
    try:
        d.recv(100)
        check(False, "stall: new connection read times out")
    except (socket.timeout, TimeoutError):
        check(True, "stall: new connection read times out")
    a.settimeout(2)
    d.settimeout(2)
    ctl.post("/mode/pass")
    check(recv_exact(a, 9) == b"held-on-a", "stall -> pass: held bytes delivered on open conn")
    check(recv_exact(d, 9) == b"held-on-d", "stall -> pass: held bytes delivered on new conn")

    # cut: every open connection reset, mode unchanged
    check(wait_for(lambda: ctl.state()["open_connections"] == 2), "cut: two connections open")
    st = ctl.post("/cut")
    check(st["mode"] == "pass" and st.get("cut_connections") == 2 and st["open_connections"] == 0,
          f"cut: 2 cut, mode still pass ({st['mode']}, {st.get('cut_connections')})")
    check(is_reset(a), "cut: open connection a reset (ECONNRESET)")
    check(is_reset(d), "cut: open connection d reset (ECONNRESET)")
    a.close()
    d.close()
    check(wait_for(lambda: rec_a["end"] == "reset" and rec_d["end"] == "reset"),
          f"cut: upstream sides reset too ({rec_a}, {rec_d})")
    e = connect(proxy_port); accepted += 1
    check(echo_ok(e, b"after-cut"), "cut: new connections still pass")

    # cut_after: counted from when the mode is set, on open and new connections
    limit = 1000
    st = ctl.post(f"/mode/cut_after?bytes={limit}")
    check(st["mode"] == "cut_after" and st["cut_after_bytes"] == limit, "cut_after: mode set")
    check(echo_ok(e, b"x" * 600), "cut_after: 600 bytes on the open connection pass")
    n_rec = len(upstream.records)
    f = connect(proxy_port); accepted += 1
    check(wait_for(lambda: len(upstream.records) > n_rec), "cut_after: upstream connection made")
    rec_f = upstream.records[n_rec]
    f.sendall(os.urandom(3000))
    check(is_reset(f), "cut_after: new connection reset after the limit")
    check(wait_for(lambda: rec_f["end"] == "reset") and rec_f["received"] == limit,
          f"cut_after: upstream got exactly {limit} bytes then a reset ({rec_f})")
    rec_e = upstream.records[n_rec - 1]
    e.sendall(b"y" * 600)  # 600 + 600 > 1000: cut after 400 more
    check(is_reset(e), "cut_after: open connection reset once it passed the limit")
    check(wait_for(lambda: rec_e["end"] == "reset") and rec_e["received"] == 9 + 1000,
          f"cut_after: open connection's upstream got 9 + {limit} bytes ({rec_e})")
    e.close()
    f.close()
    ctl.post("/mode/pass")
    g = connect(proxy_port); accepted += 1
    check(echo_ok(g, b"z" * 5000), "cut_after -> pass: no more cuts")

    # state counters
    st = ctl.state()
    check(st["total_connections"] == accepted, f"state: total_connections {st['total_connections']} == {accepted}")
    check(st["refused_connections"] == 1, f"state: refused_connections {st['refused_connections']}")
    check(st["open_connections"] == 1, f"state: open_connections {st['open_connections']}")
    up_min = 5 + len(payload) + 4 * 3 + 8 + 9 * 3 + 600 + 1000 + 400 + 5000
    check(st["bytes_up"] == up_min, f"state: bytes_up {st['bytes_up']} == {up_min}")
    check(up_min - 2000 <= st["bytes_down"] <= st["bytes_up"],
          f"state: bytes_down {st['bytes_down']} plausible")
    g.close()

    # control API errors
    ctl.call("GET", "/nope", expect=404)
    ctl.post("/mode/cut_after", expect=400)
    ctl.post("/latency?ms=-1", expect=400)
    ctl.call("GET", "/mode/stall", expect=405)
    check(ctl.state()["mode"] == "pass", "control: bad requests change nothing")


def main():
    t_start = time.monotonic()
    upstream = Upstream()
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="fault_proxy_selftest.")
    ports_file = os.path.join(tmp, "ports.json")
    err_path = os.path.join(tmp, "stderr.log")
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, PROXY, "--upstream", f"127.0.0.1:{upstream.server_address[1]}",
             "--listen-port", "0", "--control-port", "0", "--ports-file", ports_file],
            stderr=err)
    try:
        if not wait_for(lambda: os.path.exists(ports_file), timeout=5):
            check(False, "proxy wrote its ports file")
        else:
            with open(ports_file) as f:
                ports = json.load(f)
            check(set(ports) == {"proxy", "control"}, f"ports file {ports}")
            try:
                run(ports["proxy"], Control(ports["control"]), upstream)
            except Exception as e:  # an unexpected error is a failure, not a crash
                import traceback
                traceback.print_exc()
                check(False, f"unexpected {e!r}")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(3)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, f"SIGTERM: proxy exited with {rc}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        upstream.shutdown()
    with open(err_path) as f:
        log = f.read()
    mode_lines = [l for l in log.splitlines() if " mode " in l]
    check(len(mode_lines) == 6, f"stderr: one line per mode change ({len(mode_lines)})")
    unexpected = [l for l in log.splitlines() if "fault_proxy[" not in l]
    check(not unexpected, "stderr: no stray output (tracebacks, asyncio warnings)")
    if failures or unexpected:
        sys.stdout.write("---- proxy stderr ----\n" + log)
    took = time.monotonic() - t_start
    check(took < 15, f"finished in {took:.1f} s")
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

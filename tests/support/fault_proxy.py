#!/usr/bin/env python3
"""Fault-injecting TCP proxy for integration tests (Python 3.11 stdlib only).

Sits between the insightstream binary and an S3/SQS emulator and injects the Toxiproxy-style
faults the tests need: down (refuse), stall, cut every open connection, cut an upload after N
bytes, and added latency. Faults are switched at any time, also while connections are open,
through a tiny HTTP/1.1 control API.

Usage:
    fault_proxy.py --upstream 127.0.0.1:PORT [--listen-port 0] [--control-port 0]
                   [--ports-file FILE]

Both ports are bound on 127.0.0.1 (0 = pick a free one). Once both are listening,
{"proxy": P, "control": C} is written to FILE atomically (temporary file + rename), and the
proxy serves until SIGTERM or SIGINT (exit status 0).

Control API (one request per connection; every answer is `200 OK`, `Connection: close`, with
the JSON state as body, or 4xx with {"error": ...}):
    POST /mode/pass                 forward normally (the default); releases held bytes
    POST /mode/refuse               new connections are accepted and reset at once (RST)
    POST /mode/stall                no bytes forwarded, in either direction, on new and open
                                    connections; they are held (not dropped) until another mode
    POST /mode/cut_after?bytes=N    forward, but reset a connection once N bytes have gone
                                    upstream on it (counted from the moment this mode is set)
    POST /cut                       reset every open connection now; the mode is unchanged
    POST /latency?ms=N              N ms delay before each forwarded chunk (0 = off)
    POST /reset                     mode pass and latency 0 (counters are kept)
    GET  /state                     the state: mode, cut_after_bytes, latency_ms,
                                    open_connections, total_connections, refused_connections,
                                    resets, bytes_up, bytes_down, upstream, proxy_port
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import struct
import sys
import tempfile
from urllib.parse import parse_qs, urlsplit

CHUNK = 64 * 1024          # largest read per forwarded chunk
UPSTREAM_CONNECT_TIMEOUT = 10.0
CONTROL_READ_TIMEOUT = 5.0
MODES = ("pass", "refuse", "stall", "cut_after")


def log(msg):
    print(f"fault_proxy[{os.getpid()}]: {msg}", file=sys.stderr, flush=True)


def rst(writer):
    """Closes the writer's socket with SO_LINGER 0, so the peer gets a RST instead of a FIN."""
    if writer is None:
        return
    transport = writer.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()  # drops buffered output; the socket is closed on the next loop turn


class Conn:
    """One proxied connection: a client socket, its upstream socket and a pump per direction.

    While stalled a pump holds at most the one chunk it has read (<= 64 KiB) plus what its
    StreamReader buffered before pausing the socket (<= 128 KiB), so well under 1 MiB per
    direction; anything more stays in the kernel socket buffers (the sender blocks)."""

    next_id = 1

    def __init__(self, proxy, creader, cwriter):
        self.proxy = proxy
        self.id = Conn.next_id
        Conn.next_id += 1
        self.cr, self.cw = creader, cwriter
        self.ur = self.uw = None
        self.closed = False
        self.cut_count = 0  # bytes sent upstream while in cut_after mode
        self.tasks = []

    def reset(self):
        """Resets both sides (RST) and stops the pumps. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.proxy.resets += 1
        self.proxy.conns.discard(self)
        rst(self.cw)
        rst(self.uw)
        current = asyncio.current_task()
        for t in self.tasks:
            if t is not current:
                t.cancel()

    async def run(self):
        p = self.proxy
        p.conns.add(self)
        try:
            try:
                self.ur, self.uw = await asyncio.wait_for(
                    asyncio.open_connection(p.upstream_host, p.upstream_port, limit=CHUNK),
                    UPSTREAM_CONNECT_TIMEOUT)
            except (OSError, asyncio.TimeoutError) as e:
                log(f"conn {self.id}: upstream connect failed: {e!r}; resetting client")
                self.reset()
                return
            if self.closed:  # cut while connecting upstream
                rst(self.uw)
                return
            self.tasks = [asyncio.create_task(self.pump(self.cr, self.uw, True)),
                          asyncio.create_task(self.pump(self.ur, self.cw, False))]
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if not self.closed:  # both directions ended with EOF: close normally
                self.closed = True
                self.cw.close()
                self.uw.close()
        finally:
            p.conns.discard(self)

    async def gate(self):
        """Waits while the proxy is stalled. Returns False if the connection is gone."""
        while not self.proxy.flowing.is_set():
            await self.proxy.flowing.wait()
        return not self.closed

    async def pump(self, reader, writer, up):
        p = self.proxy
        try:
            while True:
                data = await reader.read(CHUNK)
                if not await self.gate():
                    return
                if not data:
                    # Half-close: EOF from this side becomes a shutdown(SHUT_WR) on the other.
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                if p.latency_ms > 0:
                    await asyncio.sleep(p.latency_ms / 1000.0)
                    if not await self.gate():
                        return
                cut = False
                if up and p.mode == "cut_after":
                    remaining = max(p.cut_after - self.cut_count, 0)
                    if len(data) >= remaining:
                        data, cut = data[:remaining], True
                    self.cut_count += len(data)
                if data:
                    writer.write(data)
                    if up:
                        p.bytes_up += len(data)
                    else:
                        p.bytes_down += len(data)
                    await writer.drain()
                if cut:
                    log(f"conn {self.id}: cut after {self.cut_count} bytes up")
                    self.reset()
                    return
        except asyncio.CancelledError:
            raise
        except (OSError, RuntimeError):
            # A side was reset or closed under us: pass the reset on to the other side.
            self.reset()


class Proxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.proxy_port = None
        self.mode = "pass"
        self.cut_after = None
        self.latency_ms = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.conns = set()
        self.total = 0
        self.refused = 0
        self.resets = 0
        self.bytes_up = 0
        self.bytes_down = 0

    def describe_mode(self):
        return f"cut_after={self.cut_after}" if self.mode == "cut_after" else self.mode

    def set_mode(self, mode, cut_after=None):
        old = self.describe_mode()
        self.mode = mode
        self.cut_after = cut_after if mode == "cut_after" else None
        if mode == "cut_after":
            for c in self.conns:
                c.cut_count = 0
        if mode == "stall":
            self.flowing.clear()
        else:
            self.flowing.set()
        log(f"mode {old} -> {self.describe_mode()} ({len(self.conns)} open connections)")

    def state(self):
        return {
            "mode": self.mode,
            "cut_after_bytes": self.cut_after,
            "latency_ms": self.latency_ms,
            "open_connections": len(self.conns),
            "total_connections": self.total,
            "refused_connections": self.refused,
            "resets": self.resets,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "upstream": f"{self.upstream_host}:{self.upstream_port}",
            "proxy_port": self.proxy_port,
        }

    async def on_client(self, reader, writer):
        self.total += 1
        if self.mode == "refuse":
            self.refused += 1
            rst(writer)
            return
        try:
            await Conn(self, reader, writer).run()
        except Exception as e:  # never let one connection take the server down
            log(f"connection error: {e!r}")

    # ---- control API -------------------------------------------------------------------

    def control(self, method, target):
        """Returns (status, reason, body dict)."""
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query)

        def int_param(name):
            vals = query.get(name)
            if not vals:
                raise ValueError(f"missing query parameter {name}")
            try:
                n = int(vals[-1])
            except ValueError:
                raise ValueError(f"{name} must be an integer") from None
            if n < 0:
                raise ValueError(f"{name} must be >= 0")
            return n

        if path == "/state":
            if method not in ("GET", "POST"):
                return 405, "Method Not Allowed", {"error": "use GET"}
            return 200, "OK", self.state()
        posts = {"/mode/pass", "/mode/refuse", "/mode/stall", "/mode/cut_after", "/cut",
                 "/latency", "/reset"}
        if path not in posts:
            return 404, "Not Found", {"error": f"unknown path {path}"}
        if method != "POST":
            return 405, "Method Not Allowed", {"error": "use POST"}
        extra = {}
        try:
            if path == "/mode/cut_after":
                self.set_mode("cut_after", int_param("bytes"))
            elif path.startswith("/mode/"):
                self.set_mode(path[len("/mode/"):])
            elif path == "/cut":
                conns = list(self.conns)
                for c in conns:
                    c.reset()
                extra["cut_connections"] = len(conns)
                log(f"cut {len(conns)} open connections (mode stays {self.describe_mode()})")
            elif path == "/latency":
                ms = int_param("ms")
                if ms != self.latency_ms:
                    log(f"latency {self.latency_ms} ms -> {ms} ms")
                self.latency_ms = ms
            elif path == "/reset":
                if self.mode != "pass":
                    self.set_mode("pass")
                if self.latency_ms:
                    log(f"latency {self.latency_ms} ms -> 0 ms")
                self.latency_ms = 0
        except ValueError as e:
            return 400, "Bad Request", {"error": str(e)}
        body = self.state()
        body.update(extra)
        return 200, "OK", body

    async def on_control(self, reader, writer):
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"),
                                              CONTROL_READ_TIMEOUT)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if 0 < length <= 65536:  # the API takes no body; read and ignore one
                    await asyncio.wait_for(reader.readexactly(length), CONTROL_READ_TIMEOUT)
                status, reason, body = self.control(method.upper(), target)
            except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError):
                status, reason, body = 400, "Bad Request", {"error": "malformed request"}
            payload = (json.dumps(body) + "\n").encode()
            writer.write(f"HTTP/1.1 {status} {reason}\r\n"
                         "Content-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n"
                         "Connection: close\r\n\r\n".encode() + payload)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


def write_ports_file(path, ports):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fault_proxy.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(ports, f)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


async def amain(args):
    host, _, port = args.upstream.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"--upstream must be HOST:PORT, got {args.upstream!r}")
    proxy = Proxy(host, int(port))
    server = await asyncio.start_server(proxy.on_client, "127.0.0.1", args.listen_port,
                                        limit=CHUNK, reuse_address=True)
    control = await asyncio.start_server(proxy.on_control, "127.0.0.1", args.control_port,
                                         reuse_address=True)
    proxy.proxy_port = server.sockets[0].getsockname()[1]
    control_port = control.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    if args.ports_file:
        write_ports_file(args.ports_file, {"proxy": proxy.proxy_port, "control": control_port})
    log(f"listening proxy=127.0.0.1:{proxy.proxy_port} control=127.0.0.1:{control_port} "
        f"upstream={host}:{port}")

    await stop.wait()
    log("stopping")
    server.close()
    control.close()
    for c in list(proxy.conns):
        c.reset()
    await asyncio.sleep(0)  # let the aborted transports close their sockets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--listen-port", type=int, default=0, help="proxy port (0 = free port)")
    ap.add_argument("--control-port", type=int, default=0, help="control port (0 = free port)")
    ap.add_argument("--ports-file", help='write {"proxy": P, "control": C} here when ready')
    args = ap.parse_args()
    asyncio.run(amain(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Small HTTP helpers shared by the load test's Python parts (standard library only)."""
import http.client
import json
import urllib.parse


class Client:
    """One kept-alive connection to the target (not thread-safe: one per thread)."""

    def __init__(self, base, timeout=120):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout, blocksize=1 << 20)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers dict (lower-case names), body bytes). Retries once on a dropped keep-alive."""
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.close()
                return r.status, hdrs, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 1 or body is not None and not isinstance(body, (bytes, str)):
                    raise
        raise RuntimeError("unreachable")

    def json(self, method, path, obj=None, token=None, expect=(200,)):
        headers = {}
        body = None
        if obj is not None:
            body = json.dumps(obj).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        status, _, data = self.request(method, path, body, headers)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

"""What the tests' small HTTP stand-ins share (credentials_server.py, otlp_receiver.py): a handler
that answers JSON and logs nothing (answers may hold secrets), and serving on a free loopback
port, written to a ports file as {"port": P} once it listens, until SIGTERM."""
import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve_until_term(handler_class, ports_file):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    tmp = ports_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": server.server_address[1]}, f)
    os.replace(tmp, ports_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0

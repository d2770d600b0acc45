#!/usr/bin/env python3
"""A small OpenTelemetry collector stand-in for the tests: OTLP/HTTP JSON traces only.

  otlp_receiver.py --ports-file FILE

POST /v1/traces takes an ExportTraceServiceRequest as JSON (Content-Type application/json) and
checks its shape the way the OTLP/JSON mapping defines it: hex trace ids (32) and span ids (16),
int64 times as decimal strings, a span kind of 1..5, attributes as {key, value: {stringValue |
intValue | doubleValue | boolValue}}. A request that breaks a rule gets 400 and is listed at
GET /errors. GET /spans answers every accepted span, flattened, with its resource's service.name
as "service". Writes {"port": P} to FILE once it listens; stops on SIGTERM.
"""
import argparse
import json
import re
import sys
import threading

from json_http import JsonHandler, serve_until_term

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
UINT = re.compile(r"^[0-9]+$")


def check_attributes(attrs, where):
    if not isinstance(attrs, list):
        raise ValueError(f"{where}: attributes is not a list")
    out = {}
    for a in attrs:
        value = a.get("value")
        if not isinstance(a.get("key"), str) or not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"{where}: bad attribute {a}")
        (kind, v), = value.items()
        if kind == "intValue":
            if not isinstance(v, str) or not re.match(r"^-?[0-9]+$", v):
                raise ValueError(f"{where}: intValue {v!r} is not an int64 string")
            v = int(v)
        elif kind not in ("stringValue", "doubleValue", "boolValue"):
            raise ValueError(f"{where}: unknown value kind {kind}")
        out[a["key"]] = v
    return out


def flatten(doc):
    spans = []
    for rs in doc["resourceSpans"]:
        resource = check_attributes(rs["resource"]["attributes"], "resource")
        if "service.name" not in resource:
            raise ValueError("resource without service.name")
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                if not HEX32.match(s.get("traceId", "")) or not HEX16.match(s.get("spanId", "")):
                    raise ValueError(f"bad ids in {s}")
                if "parentSpanId" in s and not HEX16.match(s["parentSpanId"]):
                    raise ValueError(f"bad parentSpanId in {s}")
                if not UINT.match(s.get("startTimeUnixNano", "")) or not UINT.match(s.get("endTimeUnixNano", "")):
                    raise ValueError(f"times are not uint64 strings in {s}")
                if int(s["endTimeUnixNano"]) < int(s["startTimeUnixNano"]):
                    raise ValueError(f"a span ends before it starts: {s}")
                if s.get("kind") not in (1, 2, 3, 4, 5) or not s.get("name"):
                    raise ValueError(f"bad kind or name in {s}")
                flat = dict(s)
                flat["attributes"] = check_attributes(s.get("attributes", []), s["name"])
                flat["service"] = resource["service.name"]
                spans.append(flat)
    return spans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports-file", required=True)
    args = ap.parse_args()
    lock = threading.Lock()
    spans, errors = [], []

    class Handler(JsonHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                if self.path != "/v1/traces":
                    raise ValueError(f"posted to {self.path}, not /v1/traces")
                if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                    raise ValueError("Content-Type is not application/json")
                got = flatten(json.loads(body))
            except (ValueError, KeyError, TypeError) as e:
                with lock:
                    errors.append(str(e))
                return self.answer(400, {"error": str(e)})
            with lock:
                spans.extend(got)
            self.answer(200, {})

        def do_GET(self):
            with lock:
                if self.path == "/spans":
                    return self.answer(200, spans)
                if self.path == "/errors":
                    return self.answer(200, errors)
            self.answer(404, {})

    return serve_until_term(Handler, args.ports_file)


if __name__ == "__main__":
    sys.exit(main())

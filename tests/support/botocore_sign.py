#!/usr/bin/env python3
"""Signs requests with botocore's SigV4 signer, the independent reference for src/aws/sigv4.

Reads a JSON array of requests (method, host, path as sent, query pairs, headers, body,
service, region, amz_date, credentials) from the file named on the command line and prints one
Authorization header per line."""
import json
import sys

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(r):
    creds = Credentials(r["access_key"], r["secret_key"], r["token"] or None)
    cls = S3SigV4Auth if r["service"] == "s3" else SigV4Auth
    auth = cls(creds, r["service"], r["region"])
    req = AWSRequest(method=r["method"], url="http://" + r["host"] + r["path"],
                     headers=dict(r["headers"]), data=r["body"].encode("utf-8"),
                     params=[tuple(p) for p in r["query"]])
    req.context["timestamp"] = r["amz_date"]
    canonical = auth.canonical_request(req)
    to_sign = auth.string_to_sign(req, canonical)
    signature = auth.signature(to_sign, req)
    scope = auth.scope(req)
    signed = auth.signed_headers(auth.headers_to_sign(req))
    return f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed}, Signature={signature}"


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        for r in json.load(f):
            print(sign(r))


if __name__ == "__main__":
    main()

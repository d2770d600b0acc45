#!/usr/bin/env python3
"""A stand-in for the ECS container credentials endpoint, for the tests.

  credentials_server.py --aws-dir DIR --user NAME --token TOKEN --lifetime SECONDS --ports-file FILE

Serves GET /creds: with `Authorization: TOKEN` it answers the IAM user NAME's keys from
DIR/aws.json (the emulator's users) in the ECS format, with an Expiration SECONDS from now, so a
client must come back for fresh keys; anything else gets 401. GET /count tells how many times keys
were handed out. Writes {"port": P} to FILE once it listens; stops on SIGTERM.
"""
import argparse
import datetime
import json
import os
import sys
import threading

from json_http import JsonHandler, serve_until_term


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aws-dir", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--lifetime", type=float, default=900)
    ap.add_argument("--ports-file", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.aws_dir, "aws.json")) as f:
        user = json.load(f)["users"][args.user]
    served = {"count": 0}
    lock = threading.Lock()

    class Handler(JsonHandler):
        def do_GET(self):
            if self.path == "/count":
                return self.answer(200, {"count": served["count"]})
            if self.path != "/creds" or self.headers.get("Authorization") != args.token:
                return self.answer(401, {"message": "unauthorized"})
            with lock:
                served["count"] += 1
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=args.lifetime)
            self.answer(200, {
                "AccessKeyId": user["access_key_id"],
                "SecretAccessKey": user["secret_access_key"],
                "Token": "",
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expires.microsecond // 1000:03d}Z",
            })

    return serve_until_term(Handler, args.ports_file)


if __name__ == "__main__":
    sys.exit(main())

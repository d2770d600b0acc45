#!/usr/bin/env python3
"""`moto_server` (same arguments) whose SigV4 check uses the request target exactly as sent.

Why: moto 5.2.1 recomputes a request's signature from werkzeug's `request.url`, which rebuilds
the path and query with its own percent-encoding: `%2F`, `%3A`, `%2B`, `%3D`, `%2C`, `%40`,
`%21`, `%27`, `%28`, `%29`, `%2A`, `%24`, `%3B`, `%5B`, `%25` and UTF-8 bytes come back decoded
(or encoded differently), so the canonical request it signs differs from the one the client
signed. A client that encodes as AWS's specification says (RFC 3986, everything but
A-Z a-z 0-9 - _ . ~ encoded; botocore, and src/aws/sigv4) is then refused with
SignatureDoesNotMatch, e.g. for every ListObjectsV2 whose prefix contains '/'
(`?prefix=is%2F`) and for every object key containing ':', '+', '=', ',' or non-ASCII.
(Known upstream: https://github.com/getmoto/moto/issues/5948.)

The patch: while moto authenticates a request, its `uri` is the request target as it came off the
wire (werkzeug's RAW_URI, e.g. `/insightstream-test?list-type=2&prefix=is%2F`), from which
botocore's signer takes the canonical path and query as they are. That is what AWS does for a
client that sends its canonical encoding on the wire, which every SDK and src/aws do. Nothing
else about moto changes: the operation itself still sees the decoded URL.
"""
import sys

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse

_original_setup_class = BaseResponse.setup_class
_original_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _setup_class(self, request, full_url, headers, use_raw_body=False):
    # werkzeug's development server puts the request target, undecoded, in RAW_URI.
    environ = getattr(request, "environ", None)
    self._raw_request_target = environ.get("RAW_URI") if isinstance(environ, dict) else None
    return _original_setup_class(self, request, full_url, headers, use_raw_body)


def _authenticate_and_authorize_action(self, iam_request_cls, resource="*"):
    raw = getattr(self, "_raw_request_target", None)
    if not raw:
        return _original_authenticate(self, iam_request_cls, resource)
    # moto only takes the path and the query of `uri` here (urlparse), and every request has its
    # own response object, so swapping it for the duration of the check affects nothing else.
    decoded = self.uri
    self.uri = raw
    try:
        return _original_authenticate(self, iam_request_cls, resource)
    finally:
        self.uri = decoded


BaseResponse.setup_class = _setup_class
ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])

"""Docker HEALTHCHECK: GET /health from this container's gunicorn; exit 0 only on a 200.

A script rather than a one-liner because the request must carry a Host header the app accepts
(the first of ALLOWED_HOSTS) and reach the port GUNICORN_BIND names.
"""

import os
import sys
import urllib.request

port = (os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000").rpartition(":")[2]
host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed http URL
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:  # refused, timed out, or an HTTP error status
    print(f"healthcheck: {exc}", file=sys.stderr)
    sys.exit(1)

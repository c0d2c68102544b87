"""Time the admin invoice changelist in-process (server time, no network), and list its
queries with their times. Run by scripts/bench.sh after bench/run.py, or by hand:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.admin_changelist [--runs N] [--path P]
"""

import argparse
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402

PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"


def get(client: Client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/admin/billing/invoice/")
    args = parser.parse_args()
    # No collectstatic here: the pages name the static files without the hashed manifest.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}}
    override_settings(STORAGES=plain).enable()
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench"))
    get(client, args.path)  # warm: templates, connection
    wall, cpu = [], []
    for _ in range(args.runs):
        w, c = time.perf_counter(), time.process_time()
        get(client, args.path)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    print(
        f"admin changelist {args.path}: median {statistics.median(wall):.0f} ms server time "
        f"({statistics.median(cpu):.0f} ms CPU), {len(queries)} queries:"
    )
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:150]}")


if __name__ == "__main__":
    main()

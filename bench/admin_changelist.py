"""Time the admin invoice changelist in-process (server time, no network), and list its
queries with their times. Run by scripts/bench.sh after bench/run.py, or by hand:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.admin_changelist [--runs N] [--path P]
"""

import argparse

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.admin_timing import get, median_ms, signed_in_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/admin/billing/invoice/")
    args = parser.parse_args()
    client = signed_in_client()
    get(client, args.path)  # warm: templates, connection
    wall, cpu = median_ms(lambda: get(client, args.path), args.runs)
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    print(
        f"admin changelist {args.path}: median {wall:.0f} ms server time "
        f"({cpu:.0f} ms CPU), {len(queries)} queries:"
    )
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:150]}")


if __name__ == "__main__":
    main()

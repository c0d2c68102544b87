"""CPU per request of the app or the floor called in-process (no gunicorn, no network), and
optionally a cProfile of it on a CPU clock. Run against a loaded bench database:

    DATABASE_URL=mysql://... BENCH_TOKEN=<access token> .venv/bin/python -m bench.inprocess \
        app|floor '/api/v1/invoices?limit=50' [--calls 500] [--profile N] [--queries]

`python -m bench.prepare DIR` prints a token (and writes DIR/visits.txt and DIR/items.txt).
With `--visits DIR/visits.txt --items DIR/items.txt` each call is a visit's completion as
bench/wrk/request.lua sends it (`POST /api/v1/visits/<id>/complete`, one pool's readings, five
stocked lines), each call a visit no earlier call used; `--skip N` starts N visits in (the
floor's and the app's runs must not meet the same visits). `--queries` prints the SQL of one
call. The figure is the best of three rounds of
`--calls` requests, in `time.process_time()`; `--profile N` then prints the N costliest
functions by cumulative CPU time (the profiler inflates small Python calls: read the shares).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path

import orjson


def load(name: str):
    if name == "floor":
        from bench.floor import application
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
        from ektor.wsgi import application
    return application


def completions(visits_file: str, items_file: str, skip: int):
    """(path, body) of each completion in turn, as bench/wrk/request.lua makes them."""
    items = [int(line) for line in Path(items_file).read_text().split()]
    lines = Path(visits_file).read_text().splitlines()[skip:]
    for line in lines:
        visit, pool = map(int, line.split())
        body = {
            "readings": [
                {
                    "pool_id": pool,
                    "free_chlorine": 1.5,
                    "combined_chlorine": 0.2,
                    "ph": 7.8,
                    "total_alkalinity": 70,
                    "calcium_hardness": 250,
                    "cyanuric_acid": 40,
                    "salt": None,
                    "temperature_f": 82,
                    "tds": 900,
                    "phosphates": None,
                }
            ],
            "lines": [
                {"item_id": item, "quantity": "1.5", "pool_id": pool}
                for item in random.sample(items, 5)
            ],
            "checklist": [{"task": "Brush walls and steps", "done": True}],
            "customer_notes": "Filter cleaned.",
            "office_notes": None,
        }
        yield f"/api/v1/visits/{visit}/complete", orjson.dumps(body)
    raise SystemExit("out of visits: prepare more (BENCH_VISITS) or --skip fewer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("server", choices=["app", "floor"])
    parser.add_argument("path")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--visits")
    parser.add_argument("--items")
    parser.add_argument("--skip", type=int, default=0)
    args = parser.parse_args()
    application = load(args.server)
    path, _, query = args.path.partition("?")
    status = []
    posts = completions(args.visits, args.items, args.skip) if args.visits else None

    def call() -> None:
        method, target, body = "GET", path, b""
        if posts is not None:
            method, (target, body) = "POST", next(posts)
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": target,
            "QUERY_STRING": query,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {os.environ['BENCH_TOKEN']}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        body = application(environ, lambda code, headers: status.append(code))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()

    for _ in range(30):  # warm: connections, caches, lazy imports
        call()
    if not status[-1].startswith("200"):
        raise SystemExit(f"{args.path} answered {status[-1]}")
    rounds = []
    for _ in range(3):
        start = time.process_time()
        for _ in range(args.calls):
            call()
        rounds.append((time.process_time() - start) / args.calls * 1000)
    best = min(rounds)
    print(f"{args.server} {args.path}: {best:.2f} ms CPU a request (best of 3 x {args.calls})")
    if args.queries:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            call()
        for n, executed in enumerate(queries.captured_queries, 1):
            print(f"{n:3} {executed['sql'][:240]}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(lambda: [call() for _ in range(args.calls)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()

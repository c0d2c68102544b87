"""CPU per request of the app or the floor called in-process (no gunicorn, no network), and
optionally a cProfile of it on a CPU clock. Run against a loaded bench database:

    DATABASE_URL=mysql://... BENCH_TOKEN=<access token> .venv/bin/python -m bench.inprocess \
        app|floor '/api/v1/invoices?limit=50' [--calls 500] [--profile N]

`python -m bench.prepare DIR` prints a token. The figure is the best of three rounds of
`--calls` requests, in `time.process_time()`; `--profile N` then prints the N costliest
functions by cumulative CPU time (the profiler inflates small Python calls: read the shares).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time


def load(name: str):
    if name == "floor":
        from bench.floor import application
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
        from ektor.wsgi import application
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("server", choices=["app", "floor"])
    parser.add_argument("path")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    application = load(args.server)
    path, _, query = args.path.partition("?")
    status = []

    def call() -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "HTTP_HOST": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {os.environ['BENCH_TOKEN']}",
            "wsgi.input": io.BytesIO(b""),
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
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(lambda: [call() for _ in range(args.calls)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()

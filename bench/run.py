"""Drive the app and the bare floor with wrk and print requests/s, p50, p99 and CPU/request.

Run by scripts/bench.sh after it has started MariaDB (DATABASE_URL) and loaded the data set.
Both servers run under gunicorn with the same workers and threads; each endpoint is measured
with a fresh connection per request and with keep-alive.
"""

import argparse
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree_cpu_ticks(pid: int) -> int:
    """utime+stime of a gunicorn master and its live workers, plus the master's cutime+cstime:
    what its exited workers used (gunicorn replaces a worker after max_requests)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    total = 0
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
        if p == pid:
            total += int(fields[13]) + int(fields[14])
    return total


def wait_for(port: int, path: str = "/health", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1."):
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not come up")


def start_gunicorn(
    app: str, port: int, env: dict, workers: int, threads: int, log: Path, config: str
):
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"),
        app,
        "--config",
        config,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "5",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(port)
    return proc


def run_wrk(port: int, case: dict, close: bool, seconds: int, connections: int) -> dict:
    env = dict(os.environ)
    env.update(
        BENCH_METHOD=case["method"],
        BENCH_PATH=case["path"],
        BENCH_CLOSE="1" if close else "0",
    )
    if case.get("ids_file"):
        env["BENCH_IDS_FILE"] = case["ids_file"]
    env["BENCH_IDEMPOTENCY"] = "1" if case.get("keyed") else "0"
    if case.get("visits_file"):
        # Each completion takes a visit no run has completed yet (app and floor alike).
        env.update(
            BENCH_VISITS_FILE=case["visits_file"],
            BENCH_ITEMS_FILE=case["items_file"],
            BENCH_OFFSET=str(case["offset"]),
        )
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench/wrk/request.lua"),
        f"http://127.0.0.1:{port}",
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    line = next(x for x in result.stderr.splitlines() if x.startswith("BENCH "))
    if case.get("visits_file"):
        sent = next(x for x in result.stderr.splitlines() if x.startswith("BENCH_SENT "))
        # wrk's two threads take turns: the furthest one used twice its count.
        case["offset"] += 2 * int(sent.split()[1]) + 2
    return json.loads(line[6:])


def fetch(port: int, path: str) -> tuple[dict, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={
            "Authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
            "X-Bench-Session": os.environ["BENCH_SESSION"],
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local server)
        headers = {k: response.headers.get(k, "").split("?")[-1] for k in PAGE_HEADERS}
        return headers, response.read()


PAGE_HEADERS = ("X-Total-Count", "Link", "Content-Type")


def check_same_answers(cases, app_port: int, floor_port: int) -> None:
    """The floor must serve what the app serves, byte for byte, or its ratio means nothing.
    This also puts the lists' counts in the cache before anything is measured."""
    for case in cases:
        if case["method"] != "GET":
            continue
        (app_headers, app_body), (floor_headers, floor_body) = (
            fetch(app_port, case["path"]),
            fetch(floor_port, case["path"]),
        )
        if app_headers != floor_headers:
            raise SystemExit(
                f"bench: the floor answers {case['path']} with other headers: "
                f"app {app_headers}, floor {floor_headers}"
            )
        if app_body != floor_body:
            at = next(
                (i for i, (a, f) in enumerate(zip(app_body, floor_body, strict=False)) if a != f),
                min(len(app_body), len(floor_body)),
            )
            raise SystemExit(
                f"bench: the floor answers {case['path']} unlike the app, from byte {at}: "
                f"app {app_body[max(0, at - 80) : at + 80]!r}, "
                f"floor {floor_body[max(0, at - 80) : at + 80]!r}"
            )


def replica_selects() -> int | None:
    """The replica's count of SELECTs so far (scripts/bench.sh --replica), else None."""
    urls = os.environ.get("DATABASE_REPLICA_URLS")
    if not urls:
        return None
    import MySQLdb

    url = urlparse(urls.split(",")[0].strip())
    conn = MySQLdb.connect(
        host=url.hostname, port=url.port or 3306, user=url.username, password=url.password or ""
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Com_select'")
            return int(cursor.fetchone()[1])
    finally:
        conn.close()


def measure(proc, port, case, close, seconds, connections) -> dict:
    before, replica_before = process_tree_cpu_ticks(proc.pid), replica_selects()
    stats = run_wrk(port, case, close, seconds, connections)
    cpu_ms = (process_tree_cpu_ticks(proc.pid) - before) * 1000 / CLK_TCK
    requests = max(stats["requests"], 1)
    replica_after = replica_selects()
    return {
        # SELECTs the replica ran per request (None without one): where the reads went.
        "replica_q": None
        if replica_before is None or replica_after is None
        else (replica_after - replica_before) / requests,
        "rps": requests / (stats["duration_us"] / 1e6),
        "p50_ms": stats["p50_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "cpu_ms": cpu_ms / requests,
        "errors": stats["errors_status"] + stats["errors_connect"] + stats["errors_read"],
        "requests": stats["requests"],
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s (its own latencies and CPU, not a mix of runs)."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    return {
        **ordered[len(ordered) // 2],
        "runs": [round(run["rps"]) for run in runs],
        "cpu_runs": [round(run["cpu_ms"], 2) for run in runs],
    }


def prepare(workdir: Path) -> dict:
    """Sign in a benchmark admin and pick the ids the requests use (through Django)."""
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "bench.prepare", str(workdir)],
        cwd=ROOT,
        env=dict(os.environ, DEBUG="false"),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"bench/prepare.py failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure (median kept)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 4)))
    parser.add_argument("--only", help="regex of endpoint names to run")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ektor-bench-"))
    # One token serves the whole run, however long the scale run takes.
    os.environ.setdefault("JWT_ACCESS_MINUTES", "240")
    info = prepare(workdir)
    env = dict(os.environ, DEBUG="false", SECURE_SSL_REDIRECT="false", API_DOCS_ENABLED="false")
    # Requests log one JSON line each, as in production; the log goes to a file here.
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["BENCH_TOKEN"], env["BENCH_SESSION"] = info["token"], info["session"]
    os.environ.update(BENCH_TOKEN=info["token"], BENCH_SESSION=info["session"])
    cases = [
        {"name": "invoice list (50 newest)", "method": "GET", "path": "/api/v1/invoices?limit=50"},
        {"name": "customer", "method": "GET", "path": f"/api/v1/customers/{info['customer_id']}"},
        {
            "name": f"statement ({info['statement_items']} invoices)",
            "method": "GET",
            "path": f"/api/v1/reports/customers/{info['customer_id']}/statement"
            f"?from={info['from']}&to={info['to']}",
        },
        {
            "name": "property list (page 3)",
            "method": "GET",
            "path": "/api/v1/properties?limit=50&offset=100",
        },
        {
            "name": "payment POST",
            "method": "POST",
            "path": "/api/v1/payments",
            "ids_file": info["ids_file"],
        },
        {
            # A new key each request: the claim and its completion. The floor ignores the
            # header, so the change of the ratio from the row above is what the key costs.
            "name": "payment POST + key",
            "method": "POST",
            "path": "/api/v1/payments",
            "ids_file": info["ids_file"],
            "keyed": True,
        },
        {
            # A technician's stop (operations.visits.visit_complete): one pool's readings and
            # five lines of stocked items picked at random, each request a new visit.
            "name": "visit complete",
            "method": "POST",
            "path": "/api/v1/visits/<id>/complete",
            "visits_file": info["visits_file"],
            "items_file": info["items_file"],
            "offset": 0,
        },
        # The catalog's cached answers (catalog/cache.py): after the first request the app
        # reads them from the cache (the database cache here: no REDIS_URL), the floor
        # counts and reads the rows every time.
        {"name": "item list (50, cached)", "method": "GET", "path": "/api/v1/items?limit=50"},
        # A technician's day as the office reads it: 20 stops with address, pools, customer.
        {
            "name": "route (20 stops)",
            "method": "GET",
            "path": f"/api/v1/route?date={info['route_date']}"
            f"&technician_id={info['route_technician']}",
        },
        # The same on a second app server with CATALOG_CACHE_SECONDS=0: every request reads
        # the database, as a first request (or one after a write) does.
        {
            "name": "item list (50, uncached)",
            "method": "GET",
            "path": "/api/v1/items?limit=50",
            "uncached": True,
        },
        {
            "name": "item search (uncached)",
            "method": "GET",
            "path": "/api/v1/items?q=cartridge&limit=50",
            "uncached": True,
        },
    ]
    if args.only:
        cases = [c for c in cases if re.search(args.only, c["name"])]

    app_port, floor_port = free_port(), free_port()
    # The app with its production settings (JSON access log included), the floor without.
    app = start_gunicorn(
        "ektor.wsgi:application",
        app_port,
        env,
        args.workers,
        args.threads,
        workdir / "app.log",
        "gunicorn.conf.py",
    )
    floor = start_gunicorn(
        "bench.floor:application",
        floor_port,
        env,
        args.workers,
        args.threads,
        workdir / "floor.log",
        "bench/floor_gunicorn.py",
    )
    servers = [app, floor]
    uncached_port = None
    if any(case.get("uncached") for case in cases):
        uncached_port = free_port()
        servers.append(
            start_gunicorn(
                "ektor.wsgi:application",
                uncached_port,
                {**env, "CATALOG_CACHE_SECONDS": "0"},
                args.workers,
                args.threads,
                workdir / "app-uncached.log",
                "gunicorn.conf.py",
            )
        )
    results = []
    try:
        for case in cases:
            case["app"] = (servers[2], uncached_port) if case.get("uncached") else (app, app_port)
            check_same_answers([case], case["app"][1], floor_port)
        for case in cases:
            for close in (True, False):
                row = {"endpoint": case["name"], "connection": "fresh" if close else "keep-alive"}
                runs = {"app": [], "floor": []}
                # Alternate the two servers so a noisy moment does not hit one of them only.
                for _ in range(args.repeat):
                    for name, proc, port in (("app", *case["app"]), ("floor", floor, floor_port)):
                        runs[name].append(
                            measure(proc, port, case, close, args.seconds, args.connections)
                        )
                row["app"], row["floor"] = median_run(runs["app"]), median_run(runs["floor"])
                row["ratio"] = row["app"]["rps"] / max(row["floor"]["rps"], 1e-9)
                # How many times the floor's CPU the app spends on one request (target: <= 8).
                row["cpu_ratio"] = row["app"]["cpu_ms"] / max(row["floor"]["cpu_ms"], 1e-9)
                results.append(row)
                print_row(row)
                sys.stdout.flush()
    finally:
        for proc in servers:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.python_version()}",
        "workers": args.workers,
        "threads": args.threads,
        "connections": args.connections,
        "seconds": args.seconds,
        "repeat": args.repeat,
        "data": info["counts"],
        "results": results,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


HEADER = (
    f"{'endpoint':<28} {'conn':<10} {'app r/s':>8} {'p50':>7} {'p99':>7} {'cpu ms':>7} "
    f"{'floor r/s':>9} {'f cpu':>6} {'ratio':>6} {'cpu x':>6} {'errs':>5}"
)


def print_row(row: dict) -> None:
    if not getattr(print_row, "printed", False):
        print(HEADER + ("" if row["app"].get("replica_q") is None else " repl q"))
        print_row.printed = True
    a, f = row["app"], row["floor"]
    print(
        f"{row['endpoint']:<28} {row['connection']:<10} {a['rps']:>8.0f} {a['p50_ms']:>7.1f} "
        f"{a['p99_ms']:>7.1f} {a['cpu_ms']:>7.2f} {f['rps']:>9.0f} {f['cpu_ms']:>6.2f} "
        f"{row['ratio']:>6.0%} {row['cpu_ratio']:>6.1f} {a['errors']:>5}"
        + ("" if a.get("replica_q") is None else f" {a['replica_q']:>6.1f}")
    )


if __name__ == "__main__":
    main()

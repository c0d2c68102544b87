"""Gunicorn settings for production (the container and `make serve`), from the environment.

Shutdown: on SIGTERM (what `docker stop` and systemd send) gunicorn stops accepting
connections, lets each worker finish its requests for up to `graceful_timeout` seconds, then
exits. SIGINT/SIGQUIT stop at once. `docker compose` is given a longer grace period than that.
"""

import os
from pathlib import Path

from dotenv import load_dotenv

# The same .env the app reads (ektor/settings.py), so `make serve` honours its GUNICORN_* too.
load_dotenv(os.environ.get("ENV_FILE") or Path(__file__).resolve().parent / ".env", override=False)


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"gunicorn.conf.py: {name} must be at least {minimum}, got {value}")
    return value


def _cpus() -> int:
    # The CPUs this process may run on (a container's cpuset), not the host's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000"

# The usual 2 x CPUs + 1, capped: each worker holds its own database connections and memory.
workers = _env_int("WEB_CONCURRENCY", min(2 * _cpus() + 1, 8))
threads = _env_int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"

timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # time to finish in-flight requests after SIGTERM
keepalive = 5  # seconds an idle keep-alive connection is held (gthread workers)

# Load the app once in the master and fork the workers from it: a worker replaced after
# max_requests then starts at once instead of importing Django again (half a second of CPU
# each time), and the workers share the loaded code's memory (ektor/wsgi.py also imports there
# what a first request would). The price: SIGHUP re-reads this file but keeps the loaded code, so
# a release restarts the service (docs/deployment.md).
preload_app = True

# Recycle workers now and then so a slow leak cannot grow forever; the jitter keeps them from
# all restarting at once. GUNICORN_MAX_REQUESTS=0 turns it off. Not much more often: a worker's
# lifetime of 1,000 item-list requests took 1.9 s of CPU against 1.4 s for 1,000 requests of a
# worker that lives on (keep-alive clients; a stopping worker lingers up to 2 s):
# a third more per request at 1,000, a thirtieth at 10,000 (docs/performance.md).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 10000, minimum=0)
max_requests_jitter = max_requests // 10

# Workers' heartbeat files on tmpfs, as gunicorn advises: a container's disk-backed /tmp can
# stall them. These are not temporary data files, so the usual /dev/shm worry does not apply.
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

# No runtime control socket: its default path ($HOME/.gunicorn/gunicorn.ctl) is shared by every
# gunicorn of the user and is not writable in the image. Signals do the job (see the top).
control_socket_disable = True

# Logs: JSON lines, access on stdout and errors on stderr, ready for any log shipper. The
# request id is the X-Request-Id the application put on the response.
logger_class = "ektor.gunicorn_logging.JsonLogger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = (
    '{"ts": "%(ts)s", "level": "INFO", "logger": "gunicorn.access", "message": "access", '
    '"request_id": "%({x-request-id}o)s", "remote_addr": "%(h)s", "method": "%(m)s", '
    '"path": "%(U)s", "query": "%(q)s", "status": %(s)s, "duration_ms": %(M)s, '
    '"user_agent": "%(a)s"}'
)

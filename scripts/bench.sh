#!/usr/bin/env bash
# The benchmark: a throwaway MariaDB, a deterministic data set loaded by `seed_demo --scale`,
# the app under gunicorn with production settings, and the bare floor (bench/floor.py), both
# driven by wrk with 16 connections. Prints requests/s, p50, p99, server CPU ms/request, the
# ratio of requests/s to the floor's and the app's CPU per request as a multiple of the
# floor's, per endpoint, with a fresh connection per request and keep-alive.
#   scripts/bench.sh                 # 10,000 customers / 240,000 invoices
#   BENCH_CUSTOMERS=41667 scripts/bench.sh   # the 1,000,000-invoice scale run
#   scripts/bench.sh --replica       # with a MariaDB replica: lists and statements read from it
#   scripts/bench.sh --redis         # the app servers cache in a throwaway Redis (REDIS_URL), as
#                                    # production does, instead of the database cache
# Extra arguments go to bench/run.py (--seconds, --repeat, --only, --json FILE). Then the
# admin invoice changelist and the admin index (the office dashboard) are timed in-process
# (bench/admin_changelist.py, bench/admin_dashboard.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh
export ENV_FILE=/dev/null
export MARIADB_BUFFER_POOL="${MARIADB_BUFFER_POOL:-2G}"
redis_pid=
stop_servers() {
  [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
  mariadb_stop
}
trap stop_servers EXIT
replica= redis=
while [ "${1:-}" = --replica ] || [ "${1:-}" = --redis ]; do
  case "$1" in
    --replica) replica=1 ;;
    --redis) redis=1 ;;
  esac
  shift
done
if [ -n "$replica" ]; then
  MARIADB_REPLICA=1 mariadb_start
else
  mariadb_start
fi
if [ -n "$redis" ]; then
  # The production cache (REDIS_URL) for the app's servers, a throwaway one here.
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
  redis_pid=$!
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  echo "redis: up on 127.0.0.1:$redis_port"
fi
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1,localhost
export SECRET_KEY="bench-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
py=.venv/bin/python
$py manage.py migrate --noinput -v0
time $py manage.py seed_demo --scale "${BENCH_CUSTOMERS:-10000}"
if [ -n "${DATABASE_REPLICA_URLS:-}" ]; then
  time mariadb_replica_wait 1800
fi
$py bench/run.py "$@"
LOG_LEVEL=WARNING $py -m bench.admin_changelist
LOG_LEVEL=WARNING $py -m bench.admin_dashboard

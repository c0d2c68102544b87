#!/usr/bin/env bash
# Start the back office on the embedded SQLite database at http://127.0.0.1:8000, or at
# RUN_ADDR (PORT or HOST:PORT) (admin at /admin/, API docs at /docs), with the background task
# worker beside the web server; Ctrl-C stops both. Does all set-up itself,
# including a development .env when there is none (scripts/dev_env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
py=.venv/bin/python
# shellcheck source=scripts/dev_env.sh
. scripts/dev_env.sh
PYTHON=$py dev_env_ensure
addr="${RUN_ADDR:-127.0.0.1:8000}"
url=$(run_url "$addr")
$py manage.py migrate --noinput
$py manage.py bootstrap_admin
echo "Ektor back office: $url/admin/  API docs: $url/docs"
echo "Background tasks: run by the worker (manage.py db_worker) beside the web server."
# Web server and task worker side by side, each in its own process group (with the reloader
# child it starts): when either stops, or this script is stopped (Ctrl-C, SIGTERM), both stop.
set -m
$py manage.py db_worker --queue-name="*" &
worker=$!
$py manage.py runserver "$addr" &
web=$!
stop() {
  kill -TERM -- "-$web" "-$worker" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
wait -n

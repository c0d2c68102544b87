#!/usr/bin/env bash
# Start the back office on the embedded SQLite database at http://127.0.0.1:8000, or at
# RUN_ADDR (PORT or HOST:PORT) (admin at /admin/, API docs at /docs). Does all set-up itself,
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
exec $py manage.py runserver "$addr"

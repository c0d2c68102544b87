#!/usr/bin/env bash
# The scheduling benchmark (issue 17): a throwaway MariaDB, 12,000 weekly plans, then a month
# scheduled by the app (operations.scheduling.visits_schedule) and by a plain-SQL floor making
# the same inserts, alternated, in one run (bench/scheduling.py; docs/performance.md).
# Extra arguments go to bench/scheduling.py (--plans, --runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh
export ENV_FILE=/dev/null
export MARIADB_BUFFER_POOL="${MARIADB_BUFFER_POOL:-1G}"
trap mariadb_stop EXIT
mariadb_start
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1,localhost LOG_LEVEL=WARNING
export SECRET_KEY="bench-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python -m bench.scheduling "$@"

#!/usr/bin/env bash
# The capacity plan's measurements (docs/scaling.md): a throwaway MariaDB (scripts/mariadb.sh,
# 2 GB buffer pool, as scripts/bench.sh), migrated, then bench/capacity.py: a slice of
# companies x pools x weeks loaded in bulk, its tables' sizes extrapolated to a year of 500
# companies x 2,000 pools, and the busiest queries with their plans and CPU costs.
#   scripts/capacity.sh                                   # 5 companies x 2,000 pools x 4 weeks
#   scripts/capacity.sh --companies 1 --pools 200 --weeks 2 --json FILE
# Arguments go to bench/capacity.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh
export ENV_FILE=/dev/null
export MARIADB_BUFFER_POOL="${MARIADB_BUFFER_POOL:-2G}"
trap mariadb_stop EXIT
mariadb_start
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=localhost LOG_LEVEL=WARNING
export SECRET_KEY="capacity-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python -m bench.capacity "$@"

#!/usr/bin/env bash
# Aging as of a day over 1,000,000 invoices (issue 19): a throwaway MariaDB, the data set of
# bench/aging.py loaded with bulk inserts, then the selector, the API and the admin page timed
# in-process against the plain SQL floor (see docs/performance.md, "Aging").
#   scripts/bench_aging.sh                      # 1,000,000 invoices
#   BENCH_INVOICES=200000 scripts/bench_aging.sh
# Extra arguments go to `bench.aging measure` (--runs N).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh
export ENV_FILE=/dev/null
export MARIADB_BUFFER_POOL="${MARIADB_BUFFER_POOL:-2G}"
trap mariadb_stop EXIT
mariadb_start
# The report's GROUP BY of ~20,000 customers stays in memory: on a shared machine something
# cleaned /tmp under an on-disk temporary table ("Error on delete of '/tmp/#sql-temptable...'").
mariadb --no-defaults -uroot --socket="$MARIADB_DIR/primary/mysqld.sock" \
  -e 'SET GLOBAL tmp_table_size = 268435456, GLOBAL max_heap_table_size = 268435456'
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1,localhost LOG_LEVEL=WARNING
export SECRET_KEY="bench-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
py=.venv/bin/python
$py manage.py migrate --noinput -v0
$py -m bench.aging load --invoices "${BENCH_INVOICES:-1000000}"
$py -m bench.aging measure "$@"

#!/usr/bin/env bash
# The whole test suite, on SQLite and then on a throwaway MariaDB with a replica of it (the
# read replica tests, ektor/tests/test_replicas.py). Does all set-up itself.
# Extra arguments go to pytest (e.g. scripts/test.sh -k invoices).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh

unset DATABASE_URL DATABASE_REPLICA_URLS
export ENV_FILE=/dev/null  # the suite never reads a developer's .env

run_pytest() {
  local label=$1; shift
  echo "==> tests on $label"
  local status=0
  .venv/bin/python -m pytest "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "==> tests on $label: no tests were collected; that is a failure" >&2
    return 1
  fi
  return "$status"
}

run_pytest "SQLite" "$@"

trap mariadb_stop EXIT
MARIADB_REPLICA=1 mariadb_start
run_pytest "MariaDB ($DATABASE_URL)" "$@"

#!/usr/bin/env bash
# A throwaway MariaDB server for tests and benchmarks: its own data directory in a temp
# folder, its own socket and port, gone when stopped. Source this file, then:
#   mariadb_start   -> exports MARIADB_PORT, MARIADB_DIR and DATABASE_URL
#   mariadb_stop
mariadb_start() {
  local bin
  bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  if [ ! -x "$bin" ]; then
    echo "mariadb: mariadbd not found; run scripts/setup.sh test (as root) first" >&2
    return 1
  fi
  MARIADB_DIR=$(mktemp -d /tmp/ektor-mariadb.XXXXXX)
  MARIADB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export MARIADB_DIR MARIADB_PORT
  mariadb-install-db --no-defaults --datadir="$MARIADB_DIR/data" --user="$(id -un)" \
    --auth-root-authentication-method=socket --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 || {
    echo "mariadb: mariadb-install-db failed:" >&2; tail -20 "$MARIADB_DIR/install.log" >&2; return 1; }
  "$bin" --no-defaults --datadir="$MARIADB_DIR/data" --socket="$MARIADB_DIR/mysqld.sock" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve \
    --pid-file="$MARIADB_DIR/mysqld.pid" --log-error="$MARIADB_DIR/error.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-256M}" --innodb-flush-log-at-trx-commit=2 \
    --skip-log-bin --max-connections=300 >>"$MARIADB_DIR/server.out" 2>&1 &
  MARIADB_PID=$!
  export MARIADB_PID
  local i
  for i in $(seq 1 60); do
    if mariadb --no-defaults -uroot --socket="$MARIADB_DIR/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$MARIADB_PID" 2>/dev/null; then
      echo "mariadb: server exited; its log:" >&2; tail -20 "$MARIADB_DIR/error.log" >&2; return 1
    fi
    sleep 0.5
  done
  mariadb --no-defaults -uroot --socket="$MARIADB_DIR/mysqld.sock" <<SQL || return 1
CREATE USER 'ektor'@'127.0.0.1' IDENTIFIED BY 'ektor';
GRANT ALL PRIVILEGES ON *.* TO 'ektor'@'127.0.0.1';
CREATE DATABASE ektor CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
  DATABASE_URL="mysql://ektor:ektor@127.0.0.1:$MARIADB_PORT/ektor"
  export DATABASE_URL
  echo "mariadb: $("$bin" --version | awk '{print $3}') up on 127.0.0.1:$MARIADB_PORT (data in $MARIADB_DIR)"
}

mariadb_stop() {
  if [ -n "${MARIADB_PID:-}" ] && kill -0 "$MARIADB_PID" 2>/dev/null; then
    kill "$MARIADB_PID" 2>/dev/null || true
    wait "$MARIADB_PID" 2>/dev/null || true
  fi
  [ -n "${MARIADB_DIR:-}" ] && rm -rf "$MARIADB_DIR"
  unset MARIADB_PID MARIADB_DIR
  echo "mariadb: stopped"
}

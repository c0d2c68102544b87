#!/usr/bin/env bash
# A throwaway MariaDB server for tests and benchmarks: its own data directory in a temp
# folder, its own socket and port, gone when stopped. Source this file, then:
#   mariadb_start   -> exports MARIADB_PORT, MARIADB_DIR and DATABASE_URL
#   mariadb_stop
# With MARIADB_REPLICA=1, mariadb_start also starts a second server replicating the first
# (GTID replication from the primary's first binlog event, so every database and user created
# afterwards on the primary, the test database included, appears on the replica) and exports
#   DATABASE_REPLICA_URLS      the replica, as the app reads it (a read-only account)
#   MARIADB_REPLICA_ADMIN_URL  the replica's admin account (tests stop and delay replication)
# and mariadb_replica_wait SECONDS waits until the replica has caught up.

# _mariadb_server NAME PORT [mariadbd options...]: a server on the data directory
# $MARIADB_DIR/NAME/data (made by mariadb-install-db when absent).
_mariadb_server() {
  local name=$1 port=$2 bin dir
  shift 2
  bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  dir="$MARIADB_DIR/$name"
  mkdir -p "$dir"
  if [ ! -d "$dir/data" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 || {
      echo "mariadb: mariadb-install-db failed:" >&2; tail -20 "$dir/install.log" >&2; return 1; }
  fi
  "$bin" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-256M}" --innodb-flush-log-at-trx-commit=2 \
    --max-connections=300 "$@" >>"$dir/server.out" 2>&1 &
  echo $! >"$dir/pid"
  local i
  for i in $(seq 1 60); do
    if mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "mariadb: $name exited; its log:" >&2; tail -20 "$dir/error.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "mariadb: $name did not answer in 30 s" >&2
  return 1
}

_mariadb_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mariadb_start() {
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    echo "mariadb: mariadbd not found; run scripts/setup.sh test (as root) first" >&2
    return 1
  fi
  MARIADB_DIR=$(mktemp -d /tmp/ektor-mariadb.XXXXXX)
  MARIADB_PORT=$(_mariadb_free_port)
  export MARIADB_DIR MARIADB_PORT
  local primary_log=(--skip-log-bin) replica_port="" replica_pid=""
  if [ "${MARIADB_REPLICA:-}" = 1 ]; then
    primary_log=(--server-id=1 --log-bin=primary-bin --binlog-format=ROW)
    replica_port=$(_mariadb_free_port)
    # One fresh data directory, copied before either server starts; then both start side by
    # side: the replica costs the run about a second.
    mkdir -p "$MARIADB_DIR/primary" "$MARIADB_DIR/replica"
    mariadb-install-db --no-defaults --datadir="$MARIADB_DIR/primary/data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 || {
      echo "mariadb: mariadb-install-db failed:" >&2; tail -20 "$MARIADB_DIR/install.log" >&2
      return 1; }
    cp -a "$MARIADB_DIR/primary/data" "$MARIADB_DIR/replica/data"
    _mariadb_server replica "$replica_port" --server-id=2 --skip-log-bin --read-only \
      --relay-log=replica-relay &
    replica_pid=$!
  fi
  _mariadb_server primary "$MARIADB_PORT" "${primary_log[@]}" || return 1
  MARIADB_PID=$(cat "$MARIADB_DIR/primary/pid")
  export MARIADB_PID
  local sql="mariadb --no-defaults -uroot --socket=$MARIADB_DIR/primary/mysqld.sock"
  if [ -n "$replica_port" ]; then
    wait "$replica_pid" || return 1
    MARIADB_REPLICA_PID=$(cat "$MARIADB_DIR/replica/pid")
    export MARIADB_REPLICA_PID
    # The replica account first: replicated like everything after it.
    $sql -e "CREATE USER 'replication'@'127.0.0.1' IDENTIFIED BY 'replication';
      GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1';" || return 1
    mariadb --no-defaults -uroot --socket="$MARIADB_DIR/replica/mysqld.sock" -e "
      CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MARIADB_PORT,
        MASTER_USER='replication', MASTER_PASSWORD='replication',
        MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
      START SLAVE;" || return 1
  fi
  $sql <<SQL || return 1
CREATE USER 'ektor'@'127.0.0.1' IDENTIFIED BY 'ektor';
GRANT ALL PRIVILEGES ON *.* TO 'ektor'@'127.0.0.1';
-- What the app reads a replica with: no writes, and the replication status for its lag.
CREATE USER 'ektor_read'@'127.0.0.1' IDENTIFIED BY 'ektor_read';
GRANT SELECT, SLAVE MONITOR ON *.* TO 'ektor_read'@'127.0.0.1';
CREATE DATABASE ektor CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
  DATABASE_URL="mysql://ektor:ektor@127.0.0.1:$MARIADB_PORT/ektor"
  export DATABASE_URL
  echo "mariadb: $(mariadbd --version 2>/dev/null | awk '{print $3}') up on 127.0.0.1:$MARIADB_PORT (data in $MARIADB_DIR)"
  if [ -n "$replica_port" ]; then
    mariadb_replica_wait 30 || return 1
    DATABASE_REPLICA_URLS="mysql://ektor_read:ektor_read@127.0.0.1:$replica_port/ektor"
    MARIADB_REPLICA_ADMIN_URL="mysql://ektor:ektor@127.0.0.1:$replica_port/ektor"
    export DATABASE_REPLICA_URLS MARIADB_REPLICA_ADMIN_URL
    echo "mariadb: replica up on 127.0.0.1:$replica_port, replicating the primary"
  fi
}

# mariadb_replica_wait SECONDS: until the replica has applied all the primary has committed.
mariadb_replica_wait() {
  local gtid
  gtid=$(mariadb --no-defaults -uroot --socket="$MARIADB_DIR/primary/mysqld.sock" -N \
    -e 'SELECT @@gtid_binlog_pos')
  if [ "$(mariadb --no-defaults -uroot --socket="$MARIADB_DIR/replica/mysqld.sock" -N \
      -e "SELECT MASTER_GTID_WAIT('$gtid', $1)")" != 0 ]; then
    echo "mariadb: the replica did not catch up in $1 s; its log:" >&2
    tail -20 "$MARIADB_DIR/replica/error.log" >&2
    return 1
  fi
}

mariadb_stop() {
  local pid
  for pid in "${MARIADB_REPLICA_PID:-}" "${MARIADB_PID:-}"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      # The replica is no child of this shell (started in a subshell): wait by polling.
      wait "$pid" 2>/dev/null || while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  done
  [ -n "${MARIADB_DIR:-}" ] && rm -rf "$MARIADB_DIR"
  unset MARIADB_PID MARIADB_REPLICA_PID MARIADB_DIR DATABASE_REPLICA_URLS MARIADB_REPLICA_ADMIN_URL
  echo "mariadb: stopped"
}

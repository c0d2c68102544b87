#!/usr/bin/env bash
# Schemathesis over the whole OpenAPI document, as a technician, staff and then an admin
# (bearer tokens), against the app under gunicorn with production settings on a throwaway
# MariaDB. Checks that no answer is a server error and that every status is one the document
# declares. Fails when either check fails.
#   scripts/fuzz.sh                       # 100 examples per operation and role
#   FUZZ_EXAMPLES=20 scripts/fuzz.sh      # a quicker pass
# Extra arguments go to `schemathesis run` (e.g. --include-tag invoices). Reports (JUnit, and
# the server's log) are written to test-artifacts/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# shellcheck source=scripts/mariadb.sh
. scripts/mariadb.sh
export ENV_FILE=/dev/null
py=.venv/bin/python
out=test-artifacts/fuzz
mkdir -p "$out"

server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  mariadb_stop
}
trap cleanup EXIT
mariadb_start

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1 API_DOCS_ENABLED=true
export SECRET_KEY="fuzz-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
# A run takes longer than an access token lives by default.
export JWT_ACCESS_MINUTES=180 LOG_LEVEL=INFO
$py manage.py migrate --noinput -v0
$py manage.py createcachetable
password="Fuzz-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
# The admin first: the first admin of the company is its owner, who cannot demote itself.
for role in admin staff technician; do
  echo "$password" | $py manage.py create_user "fuzz-$role" --email "fuzz-$role@example.com" \
    --role "$role" --password-file -
done

GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY=2 GUNICORN_THREADS=2 \
  .venv/bin/gunicorn -c gunicorn.conf.py ektor.wsgi >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fs "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "fuzz: gunicorn exited:" >&2; tail -20 "$out/server.log" >&2; exit 1; }
  sleep 0.5
done

token() {
  curl -fsS "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"fuzz-$1\", \"password\": \"$password\"}" |
    $py -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# Every role's token before any run: fuzzing the sign-in spends its rate limit, so a token
# asked for after a run is refused (429).
declare -A tokens
for role in technician staff admin; do
  tokens[$role]=$(token "$role")
done

status=0
# The admin last: its run may change users (including the others' roles).
for role in technician staff admin; do
  echo "==> schemathesis as $role ($base)"
  # Logging out, or ending a session by its id (taken from GET auth/sessions), would end the
  # very session the run uses: those three are left out.
  .venv/bin/schemathesis run "$base/openapi.json" \
    --checks not_a_server_error,status_code_conformance \
    --header "Authorization: Bearer ${tokens[$role]}" \
    --max-examples "${FUZZ_EXAMPLES:-100}" \
    --seed "${FUZZ_SEED:-12}" \
    --workers 2 \
    --request-timeout 30 \
    --exclude-operation-id auth_logout --exclude-operation-id auth_logout_all \
    --exclude-operation-id auth_sessions_delete \
    --generation-database none \
    --generation-with-security-parameters false \
    --suppress-health-check all \
    --report junit --report-junit-path "$out/$role.xml" \
    --no-color "$@" || status=$?
done
# What the app answered, from its request log (gunicorn's own refusals are not in it).
$py - "$out/server.log" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if '"ektor.request"' in line]
counts = collections.Counter(row["status"] for row in rows)
print(f"fuzz: {len(rows)} requests reached the app:", dict(sorted(counts.items())))
for (method, path), n in collections.Counter(
    (row["method"], row["path"]) for row in rows if row["status"] >= 500
).items():
    print(f"fuzz: {n} x 5xx on {method} {path}", file=sys.stderr)
PY
exit "$status"

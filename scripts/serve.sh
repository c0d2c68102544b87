#!/usr/bin/env bash
# Serve the back office in production mode without Docker: gunicorn (gunicorn.conf.py) against
# the MySQL/MariaDB named by DATABASE_URL, static files collected and served by whitenoise.
# SECRET_KEY and DATABASE_URL come from the environment or .env (or the file named by ENV_FILE).
# One machine, so it runs the release step itself before the web process, both through the
# container's entrypoint (docker/entrypoint.sh waits for the database): `manage.py release`
# (migrate, bootstrap_admin), then exec gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh serve

env_file="${ENV_FILE:-.env}"
if [ -z "${DATABASE_URL:-}" ] && ! grep -Eqs '^DATABASE_URL=.+' "$env_file"; then
  echo "serve: DATABASE_URL is not set (environment or $env_file)." >&2
  echo "serve: e.g. DATABASE_URL=mysql://ektor:password@127.0.0.1:3306/ektor" >&2
  exit 1
fi
# Production settings whatever .env says; settings refuse to start without a real SECRET_KEY.
export DEBUG=false
export PATH="$PWD/.venv/bin:$PATH"

python manage.py check --deploy
python manage.py collectstatic --noinput --verbosity 0
docker/entrypoint.sh python manage.py release
exec docker/entrypoint.sh gunicorn -c gunicorn.conf.py ektor.wsgi

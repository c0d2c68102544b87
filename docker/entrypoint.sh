#!/bin/sh
# Start the back office: wait for the database, bring the schema (the cache table included)
# up to date, make sure the first admin exists, then replace this shell with gunicorn so that
# it is PID 1 and gets SIGTERM directly (graceful shutdown, see gunicorn.conf.py).
# Used by the container and by scripts/serve.sh (`make serve`); `python` and `gunicorn` are
# whatever PATH finds first (the image's /opt/venv, or .venv for make serve).
set -eu
cd "$(dirname "$0")/.."

python manage.py wait_for_db --timeout 60
python manage.py migrate --noinput
python manage.py bootstrap_admin
exec gunicorn -c gunicorn.conf.py ektor.wsgi

#!/bin/sh
# The image's entrypoint: wait for the database, then replace this shell with the command
# given (the image's CMD starts the web server; `release` runs the release step), so that it
# is PID 1 and gets SIGTERM directly (graceful shutdown, see gunicorn.conf.py).
#   web:      gunicorn -c gunicorn.conf.py ektor.wsgi        (the CMD)
#   release:  python manage.py release                       (once per release: migrate, first admin)
# Migrations are not run here: every replica starts through this script, and the release step
# runs once (docker/compose.yml's `release` service, docs/deployment.md).
set -eu
cd "$(dirname "$0")/.."

python manage.py wait_for_db --timeout 60
exec "$@"

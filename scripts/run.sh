#!/usr/bin/env bash
# Start the back office on the embedded SQLite database at http://127.0.0.1:8000
# (admin at /admin/, API docs at /docs). Does all set-up itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export DEBUG="${DEBUG:-true}"
export API_DOCS_ENABLED="${API_DOCS_ENABLED:-true}"
py=.venv/bin/python
$py manage.py migrate --noinput
$py manage.py bootstrap_admin
echo "Ektor back office: http://127.0.0.1:8000/admin/  API docs: http://127.0.0.1:8000/docs"
exec $py manage.py runserver "${RUN_ADDR:-127.0.0.1:8000}"

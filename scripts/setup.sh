#!/usr/bin/env bash
# Prepare this checkout: system packages (when asked), the virtualenv and Python packages.
#   scripts/setup.sh run    - what serving on SQLite needs (Pango for invoice PDFs, as root)
#   scripts/setup.sh test   - plus MariaDB, its client headers and Chromium for the test suite
#   scripts/setup.sh serve  - gunicorn and the MySQL client (requirements/prod.txt) for make serve
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-run}"

python="${PYTHON:-python3}"
need_apt=()
# A Debian python3 needs python3-venv for `-m venv`; mysqlclient builds with gcc and the headers.
[ -x .venv/bin/python ] || "$python" -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ "$profile" = "test" ] || [ "$profile" = "serve" ]; then
  command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
  "$python" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(
      os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || need_apt+=(python3-dev)
fi
# WeasyPrint (the invoice PDF) lays out text with Pango. A first try on SQLite without root
# runs without it: everything but the invoice PDF works, and the script says so.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then
  if [ "$profile" = "run" ] && [ "$(id -u)" != 0 ]; then
    echo "setup: Pango is missing (apt-get install libpango-1.0-0 libpangoft2-1.0-0):" \
      "invoice PDFs will not be made until it is installed" >&2
  else
    need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
  fi
fi
if [ "$profile" = "test" ]; then
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server)
  pkg-config --exists libmariadb 2>/dev/null || need_apt+=(libmariadb-dev pkg-config)
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  # The cache tests start a throwaway Redis server (conftest.py, redis_server).
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fi
if [ "$profile" = "serve" ]; then
  pkg-config --exists libmariadb 2>/dev/null || need_apt+=(libmariadb-dev pkg-config)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages: ${need_apt[*]}" >&2
    echo "setup: install them (apt-get install ${need_apt[*]}) or run as root" >&2
    exit 1
  fi
  echo "setup: installing system packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
req=requirements/base.txt
[ "$profile" = "test" ] && req=requirements/dev.txt
[ "$profile" = "serve" ] && req=requirements/prod.txt
stamp=".venv/.installed-$(basename "$req" .txt)"
digest=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "setup: installing Python packages from $req"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$digest" > "$stamp"
fi

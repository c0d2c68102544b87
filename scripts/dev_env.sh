#!/usr/bin/env bash
# Development set-up shared by scripts/run.sh and its tests; source it, then call:
#   dev_env_ensure  - write a development .env (or the file ENV_FILE names) when there is none,
#                     so every later `manage.py` command runs with the settings the server had
#   run_url ADDR    - the URL runserver serves for ADDR (RUN_ADDR: PORT, HOST:PORT, [IPv6]:PORT)

dev_env_ensure() {
  local env_file="${ENV_FILE:-.env}"
  [ -e "$env_file" ] && return 0
  local key
  key=$("${PYTHON:-python3}" -c 'import secrets; print(secrets.token_urlsafe(50))')
  (
    umask 077  # the key is a secret, even a development one
    cat > "$env_file" <<ENV
# Development settings, written by scripts/run.sh because there was no $env_file.
# Every variable is described in .env.example. Never use this file in production.
DEBUG=true
SECRET_KEY=$key
API_DOCS_ENABLED=true
# The first admin, created by \`manage.py bootstrap_admin\` (scripts/run.sh runs it) when the
# three are set; or run \`.venv/bin/python manage.py createsuperuser\` instead.
# BOOTSTRAP_ADMIN_USERNAME=admin
# BOOTSTRAP_ADMIN_EMAIL=admin@example.com
# BOOTSTRAP_ADMIN_PASSWORD=
ENV
  )
  echo "run: wrote $env_file for development (DEBUG=true, a new SECRET_KEY, API docs on);"
  echo "run: every manage.py command reads it. Edit it to change settings (see .env.example)."
}

run_url() {
  local addr="$1"
  case "$addr" in
    *[!0-9]*) ;;               # HOST:PORT or [IPv6]:PORT, as given
    *) addr="127.0.0.1:$addr" ;; # a port alone: runserver's default address
  esac
  echo "http://$addr"
}

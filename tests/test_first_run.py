"""A newcomer's first minutes: scripts/run.sh leaves a development .env behind, so the next
`manage.py` command runs with the server's settings; a missing key is one clear line."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ektor.testing import ROOT, clean_env, run_manage

MISSING_KEY = "SECRET_KEY is not set. With DEBUG off the app refuses to start"


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def dev_env(function: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Call a function of scripts/dev_env.sh in `cwd`, with no ENV_FILE set."""
    env = clean_env()
    del env["ENV_FILE"]
    script = f'. "{ROOT / "scripts" / "dev_env.sh"}"; {function} "$@"'
    return run(["bash", "-c", script, "dev_env", *args], env, cwd)


@pytest.mark.parametrize("command", ["check", "seed_demo", "makemigrations --check --dry-run"])
def test_manage_py_without_a_key_prints_one_line_and_exits_1(command):
    result = run_manage(*command.split(), DEBUG="false")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"manage.py: {MISSING_KEY}")
    assert "DEBUG=true in .env (scripts/run.sh writes such a .env when there is none)" in line


def test_gunicorn_without_a_key_prints_one_line_and_exits_1():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is in requirements/prod.txt")
    env = clean_env(DEBUG="false", GUNICORN_BIND="127.0.0.1:0", WEB_CONCURRENCY="1")
    result = run([str(gunicorn), "-c", "gunicorn.conf.py", "ektor.wsgi"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"ektor.wsgi: {MISSING_KEY}" in result.stderr


def test_dev_env_writes_a_development_env_once_and_manage_py_runs_with_it(tmp_path):
    result = dev_env("dev_env_ensure", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "run: wrote .env for development (DEBUG=true, a new SECRET_KEY, API docs on);"
    )
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    settings = dict(
        line.split("=", 1) for line in env_file.read_text().splitlines() if line[:1].isalpha()
    )
    assert settings["DEBUG"] == "true"
    assert settings["API_DOCS_ENABLED"] == "true"
    key = settings["SECRET_KEY"]
    assert len(key) >= 50 and len(set(key)) >= 5

    # A second run keeps the file (and its key) and says nothing.
    again = dev_env("dev_env_ensure", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    assert f"SECRET_KEY={key}\n" in env_file.read_text()

    # What the server ran with, every later command runs with: no DEBUG in the environment.
    env = {**clean_env(), "ENV_FILE": str(env_file)}
    code = "import django; django.setup(); from django.conf import settings as s;"
    code += "print(s.DEBUG, s.API_DOCS_ENABLED, s.SECRET_KEY)"
    result = run([sys.executable, "-c", code], {**env, "DJANGO_SETTINGS_MODULE": "ektor.settings"})
    assert result.stdout.split() == ["True", "True", key], result.stderr


def test_dev_env_keeps_an_existing_env(tmp_path):
    (tmp_path / ".env").write_text("BOOTSTRAP_ADMIN_USERNAME=pat\n")
    result = dev_env("dev_env_ensure", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    assert (tmp_path / ".env").read_text() == "BOOTSTRAP_ADMIN_USERNAME=pat\n"


@pytest.mark.parametrize(
    ("run_addr", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("8765", "http://127.0.0.1:8765"),
        ("0.0.0.0:9000", "http://0.0.0.0:9000"),
        ("[::1]:8001", "http://[::1]:8001"),
        ("localhost:8002", "http://localhost:8002"),
    ],
)
def test_the_banner_shows_the_address_served(tmp_path, run_addr, url):
    assert dev_env("run_url", run_addr, cwd=tmp_path).stdout == f"{url}\n"


def test_run_script_serves_and_announces_the_same_address():
    text = (ROOT / "scripts" / "run.sh").read_text()
    assert os.access(ROOT / "scripts" / "run.sh", os.X_OK)
    assert 'addr="${RUN_ADDR:-127.0.0.1:8000}"' in text
    assert 'url=$(run_url "$addr")' in text
    assert 'echo "Ektor back office: $url/admin/  API docs: $url/docs"' in text
    # The web server and the task worker (tests/test_run_script.py runs them).
    assert (
        '$py manage.py runserver "$addr" &' in text
        and '$py manage.py db_worker --queue-name="*" &' in text
    )
    # The .env comes first, so migrate and bootstrap_admin already read it.
    assert text.index("dev_env_ensure") < text.index("manage.py migrate")

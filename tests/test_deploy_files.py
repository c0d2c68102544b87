"""What can be checked of the deployment files without a Docker engine: they parse, they
wire what they should, and every variable they pass is one the application reads."""

import json
import os
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from ektor.gunicorn_logging import JsonAtoms
from ektor.testing import GOOD_KEY, ROOT, run_django

DOCKER = ROOT / "docker"
# A documented variable: set (KEY=value) or shown commented out (# KEY=value) to keep its
# default; a variable gunicorn itself reads must never be set to an empty value.
ENV_KEY = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
EMPTY_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)=\s*$", re.MULTILINE)
# ${NAME}, ${NAME:-default}, ${NAME:?error}: group 2 is set when there is a default.
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(:-[^}]*)?(?::\?[^}]*)?\}")


def env_keys(path: Path) -> list[str]:
    return ENV_KEY.findall(path.read_text())


def read_by_app(name: str) -> bool:
    """The variable is read by name in the settings or the gunicorn configuration."""
    sources = (ROOT / "ektor" / "settings.py", ROOT / "gunicorn.conf.py")
    return any(re.search(rf"[\"']{name}[\"']", path.read_text()) for path in sources)


def in_readme(name: str, readme: str) -> bool:
    """`NAME`, or the table's shorthand `PREFIX_FIRST`, `_SECOND` for a family of variables."""
    stem, _, last = name.rpartition("_")
    return f"`{name}`" in readme or (f"`{stem}_" in readme and f"`_{last}`" in readme)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (DOCKER / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line
    ]


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for instruction, args in dockerfile_instructions():
        if instruction == "FROM":
            name = re.search(r"\bAS\s+(\S+)", args, re.IGNORECASE)
            assert name, f"every stage is named: FROM {args}"
            current = stages.setdefault(name.group(1), [("FROM", args)])
        elif stages:
            current.append((instruction, args))
    return stages


def test_compose_services_healthchecks_and_volume(compose):
    assert set(compose["services"]) == {"db", "release", "web", "worker"}
    db, api = compose["services"]["db"], compose["services"]["web"]

    assert db["image"] == "mysql:8.0"
    assert "--character-set-server=utf8mb4" in db["command"]
    assert "--collation-server=utf8mb4_unicode_ci" in db["command"]
    assert db["healthcheck"]["test"][:3] == ["CMD", "mysqladmin", "ping"]
    assert "mysql-data" in compose["volumes"]
    assert "mysql-data:/var/lib/mysql" in db["volumes"]

    assert api["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "release": {"condition": "service_completed_successfully"},
    }
    assert api["ports"] == ["8000:8000"]
    assert api["build"]["context"] == ".."
    assert (DOCKER / api["build"]["context"] / api["build"]["dockerfile"]).resolve() == (
        DOCKER / "Dockerfile"
    )
    # The api's health check is the image's HEALTHCHECK (checked below).
    assert "healthcheck" not in api
    # docker stop must wait longer than gunicorn's graceful shutdown.
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert int(api["stop_grace_period"].rstrip("s")) > gunicorn["graceful_timeout"]


def test_compose_worker_runs_the_task_worker_from_the_same_image(compose):
    worker, web = compose["services"]["worker"], compose["services"]["web"]
    assert worker["command"] == [
        "python",
        "manage.py",
        "db_worker",
        "--no-reload",
        "--queue-name=*",
    ]
    assert (worker["build"], worker["image"], worker["env_file"]) == (
        web["build"],
        web["image"],
        web["env_file"],
    )
    assert worker["environment"] == web["environment"]
    # After the release step's migrations, like web; never a port, never the web health check.
    assert worker["depends_on"] == web["depends_on"]
    assert "ports" not in worker and worker["healthcheck"] == {"disable": True}
    assert worker["restart"] == "unless-stopped"
    # The systemd unit of docs/deployment.md starts the same command.
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    assert (
        "ExecStart=/srv/ektor/docker/entrypoint.sh python manage.py db_worker --no-reload "
        "--queue-name=*" in deployment
    )


def test_compose_env_file_example_is_committed_and_real_one_ignored(compose):
    for name in ("release", "web", "worker"):
        assert compose["services"][name]["env_file"] == ".env"
    assert (DOCKER / ".env.example").is_file()
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("needs a git checkout (the image has none)")

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0

    assert ignored("docker/.env")
    assert not ignored("docker/.env.example")


def test_every_variable_compose_passes_is_read_by_the_app(compose):
    """docker/.env.example's keys are the app's settings, except the MySQL image's own
    MYSQL_* variables, which compose substitutes into the db service and the api's
    DATABASE_URL. Every key is documented in README.md and the root .env.example."""
    keys = env_keys(DOCKER / ".env.example")
    compose_text = (DOCKER / "compose.yml").read_text()
    interpolated = {m.group(1): m.group(2) for m in INTERPOLATION.finditer(compose_text)}
    root_example = set(env_keys(ROOT / ".env.example"))
    readme = (ROOT / "README.md").read_text()

    assert "SECRET_KEY" in keys and "MYSQL_PASSWORD" in keys
    for path in (DOCKER / ".env.example", ROOT / ".env.example"):
        # gunicorn parses WEB_CONCURRENCY itself, before gunicorn.conf.py: "" would crash it.
        assert "WEB_CONCURRENCY" not in EMPTY_KEY.findall(path.read_text()), path
    for key in keys:
        if key.startswith("MYSQL_"):
            assert key in interpolated, f"{key} is not used by docker/compose.yml"
        else:
            assert read_by_app(key), f"{key} is not read by ektor/settings.py or gunicorn.conf.py"
            assert key in root_example, f"{key} is missing from .env.example"
        assert in_readme(key, readme), f"{key} is missing from README.md"
    for key in compose["services"]["web"]["environment"]:
        assert read_by_app(key), f"{key} is not read by ektor/settings.py"
    # Whatever compose substitutes comes from docker/.env or has a default.
    for key, default in interpolated.items():
        assert key in keys or default, f"${{{key}}} has no default and is not in .env.example"


def test_dockerfile_multi_stage_non_root_healthcheck_no_secrets():
    stages = dockerfile_stages()
    assert {"build", "runtime", "test"} <= set(stages)
    arg_default = re.search(r"ARG PYTHON_IMAGE=(\S+)", (DOCKER / "Dockerfile").read_text())
    assert arg_default and arg_default.group(1).startswith("python:3.11-slim")

    build = " ".join(args for _, args in stages["build"])
    for package in ("gcc", "pkg-config", "libmariadb-dev"):
        assert package in build
    assert "requirements/prod.txt" in build

    runtime = stages["runtime"]
    runtime_text = " ".join(args for _, args in runtime)
    assert "libmariadb3" in runtime_text and "-dev" not in runtime_text
    assert "COPY --from=build /opt/venv /opt/venv" in " ".join(f"{i} {a}" for i, a in runtime)
    users = [args for instruction, args in runtime if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    # The last stage is the one `docker build` produces by default; it must not run as root.
    last_user = [a for i, a in dockerfile_instructions() if i == "USER"][-1]
    assert last_user.split(":")[0] not in ("root", "0")

    healthcheck = [args for instruction, args in runtime if instruction == "HEALTHCHECK"]
    assert healthcheck and "/app/docker/healthcheck.py" in healthcheck[0]
    assert "/health" in (DOCKER / "healthcheck.py").read_text()
    assert ("ENTRYPOINT", '["/app/docker/entrypoint.sh"]') in runtime

    # Static files are collected at build time with DEBUG off and a key that lives only in
    # that one command; nothing secret is baked into the image's environment.
    collect = [a for i, a in runtime if i == "RUN" and "collectstatic" in a]
    assert collect and "DEBUG=false" in collect[0] and "SECRET_KEY=build-only" in collect[0]
    secretish = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY", re.IGNORECASE)
    for instruction, args in dockerfile_instructions():
        if instruction in ("ENV", "ARG"):
            assert not secretish.search(args), f"{instruction} {args}"


def test_dockerignore_keeps_local_secrets_and_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", "docker/.env", ".venv", ".git", "db.sqlite3*"):
        assert entry in ignored


def test_entrypoint_is_executable_posix_shell_in_the_right_order():
    entrypoint = DOCKER / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    text = entrypoint.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in text
    for shell in ("sh", "dash"):
        if shell == "dash" and not shutil.which("dash"):
            continue
        result = subprocess.run([shell, "-n", str(entrypoint)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    # The cache table is a migration: no start script or doc may need a second schema step.
    for path in (entrypoint, ROOT / "scripts" / "serve.sh", ROOT / "scripts" / "run.sh"):
        assert "createcachetable" not in path.read_text(), path
    commands = [line for line in text.splitlines() if line and not line.startswith("#")]
    # Wait for the database, then become the command given: the image's CMD (web) or release.
    assert commands[-2:] == ["python manage.py wait_for_db --timeout 60", 'exec "$@"']
    # Every replica starts here, so nothing here changes the schema or the users.
    assert not any("migrate" in line or "bootstrap_admin" in line for line in commands)


def test_entrypoint_becomes_the_command_it_is_given(tmp_path):
    """`exec "$@"`: the command replaces the shell (same process id), arguments intact."""
    fake = tmp_path / "app"
    (fake / "docker").mkdir(parents=True)
    shutil.copy(DOCKER / "entrypoint.sh", fake / "docker" / "entrypoint.sh")
    # A stand-in `python` on PATH answers the wait for the database.
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "python"
    stub.write_text('#!/bin/sh\necho "waited: $*"\n')
    stub.chmod(0o755)
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
    script = 'echo "shell $$"; exec "$0" "$@"'
    result = subprocess.run(
        [
            "sh",
            "-c",
            script,
            str(fake / "docker" / "entrypoint.sh"),
            "sh",
            "-c",
            'echo "cmd $$ $1"',
            "_",
            "two words",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shell, waited, command = result.stdout.splitlines()
    assert waited == "waited: manage.py wait_for_db --timeout 60"
    assert command == f"cmd {shell.split()[1]} two words"


def test_the_release_step_runs_once_not_in_every_replica(compose):
    """compose runs `release` once before web; the image's CMD is only the web server; the
    systemd unit and make serve run the release step before gunicorn, not inside it."""
    release = compose["services"]["release"]
    assert release["command"] == ["python", "manage.py", "release"]
    assert release["restart"] == "no"
    assert release["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert release["build"] == compose["services"]["web"]["build"]
    assert "command" not in compose["services"]["web"]
    cmd = [args for instruction, args in dockerfile_stages()["runtime"] if instruction == "CMD"]
    assert cmd == ['["gunicorn", "-c", "gunicorn.conf.py", "ektor.wsgi"]']
    serve = (ROOT / "scripts" / "serve.sh").read_text().strip().splitlines()
    assert serve[-2:] == [
        "docker/entrypoint.sh python manage.py release",
        "exec docker/entrypoint.sh gunicorn -c gunicorn.conf.py ektor.wsgi",
    ]
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    assert "ExecStartPre=/srv/ektor/docker/entrypoint.sh python manage.py release" in deployment
    assert (
        "ExecStart=/srv/ektor/docker/entrypoint.sh gunicorn -c gunicorn.conf.py ektor.wsgi"
        in deployment
    )


def test_serve_script_is_executable_and_parses():
    serve = ROOT / "scripts" / "serve.sh"
    assert os.access(serve, os.X_OK)
    result = subprocess.run(["bash", "-n", str(serve)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "serve:" in (ROOT / "Makefile").read_text()


def load_gunicorn_conf(monkeypatch, **env) -> dict:
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_conf_defaults(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)
    assert conf["bind"] == "0.0.0.0:8000"
    assert 3 <= conf["workers"] <= 8
    assert (conf["threads"], conf["worker_class"]) == (2, "gthread")
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (30, 30, 5)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (10000, 1000)
    assert conf["preload_app"] is True
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")
    assert conf["logger_class"] == "ektor.gunicorn_logging.JsonLogger"
    assert conf["control_socket_disable"] is True


def test_gunicorn_conf_from_environment(monkeypatch):
    conf = load_gunicorn_conf(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:9000",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="1",
        GUNICORN_MAX_REQUESTS="0",
    )
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("127.0.0.1:9000", 3, 1)
    assert conf["worker_class"] == "sync"
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (0, 0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_CONCURRENCY", "many", "WEB_CONCURRENCY must be an integer, got 'many'"),
        ("GUNICORN_THREADS", "0", "GUNICORN_THREADS must be at least 1, got 0"),
    ],
)
def test_gunicorn_conf_refuses_bad_values(monkeypatch, name, value, message):
    with pytest.raises(SystemExit) as exc:
        load_gunicorn_conf(monkeypatch, **{name: value})
    assert str(exc.value) == f"gunicorn.conf.py: {message}"


def test_access_log_line_is_json_even_with_quotes_and_backslashes(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)
    atoms = {
        "ts": "2025-01-01T00:00:00.000+00:00",
        "{x-request-id}o": "rid-123",
        "h": "10.0.0.1",
        "m": "GET",
        "U": '/api/v1/customers/"x\\y\n',
        "q": "limit=5",
        "s": "404",
        "M": 12,
        "a": 'curl "8"',
    }
    line = json.loads(conf["access_log_format"] % JsonAtoms(atoms))
    assert line == {
        "ts": "2025-01-01T00:00:00.000+00:00",
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "access",
        "request_id": "rid-123",
        "remote_addr": "10.0.0.1",
        "method": "GET",
        "path": '/api/v1/customers/"x\\y\n',
        "query": "limit=5",
        "status": 404,
        "duration_ms": 12,
        "user_agent": 'curl "8"',
    }


@pytest.mark.django_db
def test_wait_for_db_returns_when_the_database_answers(capsys):
    call_command("wait_for_db", timeout=5)
    assert "wait_for_db: database 'default' is ready." in capsys.readouterr().out


def test_wait_for_db_gives_up_after_the_timeout():
    code = (
        "import django, sys; django.setup();"
        "from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'wait_for_db', '--timeout', '1',"
        " '--interval', '0.2'])"
    )
    result = run_django(
        code, DEBUG="false", SECRET_KEY=GOOD_KEY, DATABASE_URL="mysql://nobody:x@127.0.0.1:9/none"
    )
    assert result.returncode == 1
    assert "wait_for_db: database not ready" in result.stderr
    assert "CommandError: wait_for_db: database 'default' still unreachable after" in result.stderr
    # A timeout shorter than the interval: one try, in words that agree with it.
    result = run_django(
        code.replace("'1',", "'0.1',"),
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        DATABASE_URL="mysql://nobody:x@127.0.0.1:9/none",
    )
    assert "still unreachable after 1 attempt (0.1s)" in result.stderr


_FIRST_REQUEST = """
import io, json, sys
from django.conf import settings
import ektor.wsgi
before = set(sys.modules)
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/items", "QUERY_STRING": "limit=50",
    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
    "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "HTTP_HOST": "127.0.0.1",
    "HTTP_AUTHORIZATION": "Bearer not.a.token",
}
status = []
b"".join(ektor.wsgi.application(environ, lambda s, h: status.append(s)))
roots = {app.split(".")[0] for app in settings.INSTALLED_APPS}
new = sorted(set(sys.modules) - before)
print(json.dumps({"status": status[0], "roots": sorted(roots), "new": new}))
"""


def test_a_workers_first_request_imports_no_view_or_token_backend():
    # gunicorn forks its workers from the master that loaded ektor.wsgi (preload_app): what a
    # first request imports, every new worker imports again.
    result = run_django(
        _FIRST_REQUEST, SECRET_KEY=GOOD_KEY, SECURE_SSL_REDIRECT="false", LOG_LEVEL="WARNING"
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["status"] == "401 Unauthorized"
    # Django's own lazily imported odds and ends (the messages' storage) are allowed.
    heavy = set(seen["roots"]) - {"django"} | {"rest_framework_simplejwt", "jwt", "PIL"}
    assert [name for name in seen["new"] if name.split(".")[0] in heavy] == []

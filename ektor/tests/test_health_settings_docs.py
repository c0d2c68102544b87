import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "ci-only-Vq3pX9zL2mK8wR4tY7uB1nC6dF0gH5jS" * 2

pytestmark = pytest.mark.django_db


def run_django(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with exactly the given configuration (no .env)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT))}
    env.update(ENV_FILE=os.devnull, DJANGO_SETTINGS_MODULE="ektor.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_health_ok(anon_client):
    response = anon_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": settings.APP_VERSION, "database": "ok"}


def test_health_503_when_database_is_unreachable():
    # A real unreachable database: a MySQL port nobody listens on, or a SQLite file in a
    # directory that does not exist.
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health');"
        "print(json.dumps({'status': r.status_code, 'body': r.json(),"
        " 'rid': r['X-Request-Id']}))"
    )
    for url in ("mysql://nobody:nothing@127.0.0.1:9/none", "sqlite:////nonexistent/dir/x.db"):
        result = run_django(
            code,
            SECRET_KEY=GOOD_KEY,
            DEBUG="false",
            SECURE_SSL_REDIRECT="false",
            ALLOWED_HOSTS="testserver",
            DATABASE_URL=url,
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout.strip().splitlines()[-1])
        assert out["status"] == 503
        assert out["body"]["status"] == "unavailable"
        assert out["body"]["database"] == "error"
        assert out["body"]["code"] == "HTTP_503"
        assert out["body"]["details"]["request_id"] == out["rid"]


def test_startup_refused_without_secret_key_when_debug_off():
    result = run_django("import django; django.setup()", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_startup_refused_with_weak_secret_key_when_debug_off():
    result = run_django("import django; django.setup()", DEBUG="false", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_debug_on_starts_without_secret_key():
    result = run_django("import django; django.setup(); print('up')", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_production_defaults_are_secure():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.API_DOCS_ENABLED, s.DEBUG]))"
    )
    result = run_django(code, DEBUG="false", SECRET_KEY=GOOD_KEY)
    assert json.loads(result.stdout) == [True, True, True, 31536000, False, False]
    result = run_django(code, DEBUG="false", SECRET_KEY=GOOD_KEY, SECURE_SSL_REDIRECT="false")
    assert json.loads(result.stdout)[0] is False


def test_mysql_url_gets_utf8mb4_strict_and_persistent_connections():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps(s.DATABASES['default'], default=str))"
    )
    result = run_django(code, DEBUG="true", DATABASE_URL="mysql://u:p@db:3306/ektor")
    db = json.loads(result.stdout)
    assert db["ENGINE"] == "django.db.backends.mysql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db", 3306, "ektor", "u")
    assert db["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in db["OPTIONS"]["init_command"]
    assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True


def test_openapi_document_served(anon_client):
    response = anon_client.get("/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Ektor back office API"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_served_without_cdn(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from ektor.testing import GOOD_KEY, PRODUCTION_ENV, run_django

pytestmark = pytest.mark.django_db


def test_health_ok(anon_client):
    response = anon_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": settings.APP_VERSION,
        "database": "ok",
        "cache": "ok",
    }


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_health_other_methods_are_405_with_allow_not_a_csrf_403(method):
    # A browser-like client enforces CSRF as the real server does.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/health")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    body = response.json()
    assert body["code"] == "HTTP_405"
    assert body["message"] == f'Method "{method.upper()}" not allowed.'
    assert body["details"]["reason"] == "method_not_allowed"
    assert body["details"]["request_id"] == response["X-Request-Id"]


def test_health_options_and_head(anon_client):
    response = anon_client.options("/health")
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert anon_client.head("/health").status_code == 200


def health_in_fresh_process(database_url: str) -> tuple[int, dict, str]:
    """GET /health in production settings on `database_url`: status, body, X-Request-Id."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health');"
        "print(json.dumps([r.status_code, r.json(), r['X-Request-Id']]))"
    )
    result = run_django(code, **PRODUCTION_ENV, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))


def test_health_503_when_the_cache_table_is_missing():
    # A database that answers but was never migrated: sign-ins would fail on the rate limits.
    status, body, _ = health_in_fresh_process("sqlite://:memory:")
    assert status == 503
    assert (body["status"], body["database"], body["cache"]) == ("unavailable", "ok", "error")
    assert (body["message"], body["details"]["reason"]) == (
        "Cache unavailable",
        "cache_unavailable",
    )


# A real unreachable database: a MySQL port nobody listens on, or a SQLite file in a
# directory that does not exist.
@pytest.mark.parametrize(
    "url", ["mysql://nobody:nothing@127.0.0.1:9/none", "sqlite:////nonexistent/dir/x.db"]
)
def test_health_503_when_database_is_unreachable(url):
    status, body, request_id = health_in_fresh_process(url)
    assert status == 503
    assert (body["status"], body["database"], body["cache"]) == ("unavailable", "error", "error")
    assert body["details"]["reason"] == "database_unavailable"
    assert body["code"] == "HTTP_503"
    assert body["details"]["request_id"] == request_id


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
    assert db["ENGINE"] == "ektor.db.mysql"  # Django's MySQL backend with faster dates
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


def directive(response, name: str) -> str:
    policy = response["Content-Security-Policy"]
    return next(d.strip() for d in policy.split(";") if d.strip().split()[0] == name)


@pytest.mark.parametrize("path", ["/admin/login/", "/docs", "/redoc"])
def test_pages_allow_no_inline_script(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 200
    assert directive(response, "script-src") == "script-src 'self'"
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/customers", "/openapi.json", "/health"])
def test_api_answers_may_load_nothing(anon_client, path):
    response = anon_client.get(path)
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_swagger_ui_bootstrap_is_a_script_file(anon_client):
    html = anon_client.get("/docs").content.decode()
    assert '<script src="/docs?script="></script>' in html
    script = anon_client.get("/docs?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_fonts_are_served_from_our_origin(anon_client):
    html = anon_client.get("/redoc").content.decode()
    assert "googleapis" not in html and "gstatic" not in html
    assert '<link rel="stylesheet" href="/static/ektor/redoc.css">' in html
    css = b"".join(anon_client.get("/static/ektor/redoc.css").streaming_content).decode()
    fonts = re.findall(r"url\((fonts/[\w-]+\.woff2)\)", css)
    assert len(fonts) == 6
    for font in fonts:
        response = anon_client.get(f"/static/ektor/{font}")
        assert response.status_code == 200 and response["Content-Type"] == "font/woff2"


def test_favicon_is_served(anon_client):
    response = anon_client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/ektor/favicon.ico"
    icon = anon_client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_docs_pages_not_served_in_production_unless_enabled():
    code = (
        "import django, json; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', 'ektor', verbosity=0);"
        "from django.test import Client; c = Client();"
        "print(json.dumps({p: c.get(p).status_code for p in"
        " ('/openapi.json', '/docs', '/redoc', '/health')}))"
    )
    # /health needs a database with the cache table: an in-memory one, migrated above.
    production = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite://:memory:"}
    result = run_django(code, **production)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "/openapi.json": 404,
        "/docs": 404,
        "/redoc": 404,
        "/health": 200,
    }
    # Switched on, the same configuration serves them (the HTML pages also need collectstatic
    # with DEBUG off, which the image and `make serve` run; the document does not).
    result = run_django(code, API_DOCS_ENABLED="true", **production)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["/openapi.json"] == 200


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    # drf-spectacular's warnings also fail `check --deploy --fail-level WARNING` in CI.
    from django.core.management import call_command

    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/invoices" in out.read_text()

"""Fixtures shared by every app's tests: users of each role and API clients signed in as them."""

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.backends import role_permissions
from accounts.models import Role
from accounts.services import session_start
from accounts.tests.factories import UserFactory
from core.context import Ctx
from tenancy.tests.factories import default_company


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"ektor database backend: {engine}"


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "mysql":
        return
    skip = pytest.mark.skip(reason="needs MariaDB/MySQL; runs in the MariaDB pass of the suite")
    for item in items:
        if "mariadb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def company(db):
    """The company the tests' rows belong to (tenancy.tests.factories.default_company)."""
    return default_company()


@pytest.fixture
def ctx(company) -> Ctx:
    """Who acts in a test's own calls of services and selectors: the system, for the test
    company (a user's ctx, where the actor matters, is Ctx.for_user(...) in the test)."""
    return Ctx.system(company)


@pytest.fixture
def admin_user(db):
    # The owner of the test company, as the bootstrap admin is of the first company.
    return UserFactory(
        username="boss", email="boss@example.com", role=Role.ADMIN, company__is_owner=True
    )


@pytest.fixture
def staff_user(db):
    return UserFactory(username="clerk", email="clerk@example.com", role=Role.STAFF)


@pytest.fixture
def technician_user(db):
    return UserFactory(username="tech", email="tech@example.com", role=Role.TECHNICIAN)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        tokens = session_start(Ctx.system(), user=user, user_agent="pytest", ip_address="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        client.tokens = tokens
        # As in a running server, the role's permissions are already in process memory, so
        # query-count pins show the steady state (accounts/backends.py).
        role_permissions(user.role)
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def admin_client_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def staff_client_api(staff_user):
    return client_for(staff_user)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the cache: no test inherits another's sign-in attempts.

    Rolled-back tests would drop the database cache's rows anyway, but transactional tests
    (which flush only model tables) and a Redis cache keep them.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        from django.core.cache import cache

        request.getfixturevalue("db")
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Process-memory caches (role permissions) would outlive a test's rolled-back rows."""
    from accounts.backends import role_permissions_clear

    role_permissions_clear()
    yield
    role_permissions_clear()


def web_client_for(user) -> Client:
    """A browser-like client signed in to the admin site."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_web(admin_user) -> Client:
    return web_client_for(admin_user)


@pytest.fixture
def staff_web(staff_user) -> Client:
    return web_client_for(staff_user)


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory):
    """Stored files go to a folder of the run, never the checkout's media/."""
    from django.conf import settings
    from django.test import override_settings

    root = tmp_path_factory.mktemp("media")
    local = {"BACKEND": "ektor.files.LocalStorage", "OPTIONS": {"location": root}}
    with override_settings(MEDIA_ROOT=root, STORAGES={**settings.STORAGES, "default": local}):
        yield root


@pytest.fixture(scope="session")
def s3_server() -> str:
    """A real S3-compatible HTTP server (moto's server mode) on a free local port; its URL."""
    import logging

    from moto.server import ThreadedMotoServer

    from ektor.testing import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_KEYS = {"access_key": "ektor-test-key", "secret_key": "ektor-test-secret"}


@pytest.fixture
def s3_bucket(s3_server, request) -> str:
    """A fresh private bucket on the S3 server, named after the test."""
    import re

    import boto3

    name = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:50] + "-bucket"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_storage(s3_server, s3_bucket, settings):
    """The default storage is the bucket, configured as production configures it."""
    from ektor.settings import s3_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=s3_bucket,
            region="us-east-1",
            endpoint_url=s3_server,
            url_seconds=settings.FILE_URL_SECONDS,
            **S3_KEYS,
        ),
    }
    return s3_bucket


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1, and Django's SMTP backend
    pointed at it; `smtp_server.messages` holds what arrived (email.message.EmailMessage)."""
    from aiosmtpd.controller import Controller

    from ektor.testing import SmtpServer, free_port

    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    controller.stop()


@pytest.fixture
def worker_database(request, tmp_path) -> str:
    """A DATABASE_URL another process (a worker, a second server) can share with the test: on
    MariaDB the test database (the test commits its rows), on SQLite a migrated file (the test
    database is in memory)."""
    from urllib.parse import quote

    from ektor.testing import run_manage

    if connection.vendor == "mysql":
        request.getfixturevalue("transactional_db")
        db = connection.settings_dict
        return (
            f"mysql://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    migrate = run_manage("migrate", "--noinput", DEBUG="true", DATABASE_URL=url)
    assert migrate.returncode == 0, migrate.stderr
    return url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> str:
    """A real Redis server (Debian's redis-server, installed by scripts/setup.sh test) on a
    free port of 127.0.0.1, keeping nothing on disk; its URL."""
    import shutil
    import socket
    import subprocess
    import time

    from ektor.testing import free_port

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert shutil.which(binary), "redis-server is missing: run scripts/setup.sh test (as root)"
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "redis did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_cache(redis_server, settings) -> str:
    """The default cache is the Redis server, as with REDIS_URL in production; emptied."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
        }
    }
    from django.core.cache import cache

    cache.clear()
    return redis_server

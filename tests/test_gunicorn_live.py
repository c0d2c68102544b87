"""The production stack without Docker, for real: `scripts/serve.sh` (what `make serve` runs)
starts gunicorn with production settings against the MariaDB test database, and we talk to it
over HTTP: health, the admin's static CSS from whitenoise, signing in, a list, JSON access
logs with the request id, and a graceful stop on SIGTERM."""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from accounts.models import Role
from accounts.tests.factories import UserFactory
from ektor.testing import ROOT, clean_env, free_port

pytestmark = [
    pytest.mark.mariadb,
    # Committed rows, so the gunicorn process sees them.
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Pool-Service-Live-2024!"


class Server:
    """scripts/serve.sh running in its own process group; stop() sends SIGTERM once."""

    def __init__(self, tmp: Path):
        db = connection.settings_dict  # the test database (test_ektor), not the real one
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = tmp / "stdout.log", tmp / "stderr.log"
        self.env = clean_env(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            SECURE_SSL_REDIRECT="false",  # no TLS here; every other protection stays on
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=(
                f"mysql://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
                f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
            STATIC_ROOT=str(tmp / "static"),
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="2",
            PYTHONUNBUFFERED="1",
        )
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "serve.sh")],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.returncode: int | None = None

    def logs(self) -> str:
        return (
            f"--- stdout\n{self.stdout_path.read_text()[-4000:]}\n"
            f"--- stderr\n{self.stderr_path.read_text()[-4000:]}"
        )

    def wait_until_up(self, deadline_seconds: float = 180) -> None:
        # A deadline for start-up (setup, migrate, collectstatic), not a timing assertion.
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve.sh exited with {self.process.returncode}\n{self.logs()}")
            try:
                if self.get("/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"gunicorn did not answer /health in time\n{self.logs()}")

    def request(self, method, path, body=None, token=None, headers=None):
        request = urllib.request.Request(self.base + path, method=method, headers=headers or {})  # noqa: S310
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def stop(self) -> int:
        if self.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.returncode = self.process.wait()
        return self.returncode


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("gunicorn"))
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def test_health_admin_static_css_and_json_access_log(server):
    status, headers, body = server.get("/health", headers={"X-Request-Id": "live-health-1"})
    assert status == 200
    health = json.loads(body)
    # The shared cache (the database table here) answers too.
    assert (health["database"], health["cache"]) == ("ok", "ok")
    assert headers["X-Request-Id"] == "live-health-1"
    assert headers["Strict-Transport-Security"] is None  # HSTS is only sent over HTTPS

    # The admin login page links its CSS by hashed name (manifest storage, collectstatic ran
    # into STATIC_ROOT) and whitenoise serves it, cacheable forever.
    status, _, body = server.get("/admin/login/")
    assert status == 200
    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body.decode())
    assert css, body.decode()[:2000]
    status, headers, body = server.get(css.group(1))
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"]
    assert b"body" in body

    # Production default: no API docs.
    assert server.get("/docs")[0] == 404
    assert server.get("/openapi.json")[0] == 404

    # The image's HEALTHCHECK script agrees.
    check = subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py")],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr

    access = [
        json.loads(line)
        for line in server.stdout_path.read_text().splitlines()
        if '"logger": "gunicorn.access"' in line
    ]
    health = [line for line in access if line["request_id"] == "live-health-1"]
    assert len(health) == 1
    assert health[0] | {"ts": None, "duration_ms": None} == {
        "ts": None,
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "access",
        "request_id": "live-health-1",
        "remote_addr": "127.0.0.1",
        "method": "GET",
        "path": "/health",
        "query": "",
        "status": 200,
        "duration_ms": None,
        "user_agent": health[0]["user_agent"],
    }
    assert any(line["path"] == css.group(1) and line["status"] == 200 for line in access)


def test_signs_in_and_reads_the_users_list(server):
    admin = UserFactory(username="live-admin", email="live-admin@example.com", role=Role.ADMIN)
    # The server hashes like production; the test settings' fast MD5 hasher is not enabled there.
    admin.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    admin.save(update_fields=["password"])

    status, _, body = server.request(
        "POST", "/api/v1/auth/token", body={"username": "live-admin", "password": PASSWORD}
    )
    assert status == 200, body
    token = json.loads(body)["access_token"]

    status, headers, body = server.get("/api/v1/users?limit=10", token=token)
    assert status == 200, body
    users = json.loads(body)
    assert isinstance(users, list)
    assert "live-admin" in [user["username"] for user in users]
    assert int(headers["X-Total-Count"]) >= 1

    status, _, body = server.get("/api/v1/users")
    assert status == 401
    assert json.loads(body)["code"] == "HTTP_401"


def raw_exchange(server, head: str, body: bytes = b"") -> tuple[int, str, bytes]:
    """Send `head` (request line and headers) and `body` as they are; status, content type
    and body of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("Content-Type", ""), response.read()


def test_request_size_refusals_through_gunicorn(server):
    # 50 MB declared and never sent: answered at once from the header, the body unread.
    status, content_type, body = raw_exchange(
        server,
        "POST /api/v1/auth/refresh HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        f"Content-Length: {50 * 1024 * 1024}\nConnection: close\n",
    )
    assert (status, content_type) == (413, "application/json")
    assert json.loads(body)["details"]["reason"] == "request_too_large"
    # A chunked body is refused, not read as an empty one.
    status, content_type, body = raw_exchange(
        server,
        "POST /api/v1/auth/token HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        "Transfer-Encoding: chunked\nConnection: close\n",
        b"2\r\n{}\r\n0\r\n\r\n",
    )
    assert (status, content_type) == (411, "application/json")
    assert json.loads(body)["details"]["reason"] == "length_required"
    # gunicorn's own refusal, before the app, is HTML (docs/deployment.md says so).
    status, content_type, _ = raw_exchange(
        server, f"GET /api/v1/{'x' * 4100} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n"
    )
    assert (status, content_type) == (414, "text/html")


def test_sigterm_stops_gracefully(server):
    assert server.stop() == 0
    messages = [
        json.loads(line)["message"]
        for line in server.stderr_path.read_text().splitlines()
        if '"logger": "gunicorn.error"' in line
    ]
    assert "Handling signal: term" in messages
    assert "Shutting down: Master" in messages

"""Two web processes as a load balancer sees them: gunicorn twice, with production settings,
the same database, secrets and bucket, but each with its own temp folder and media folder.
Whatever one process starts, the other continues (a token, an admin session, a rate limit, an
upload's preview), and neither writes anything to its own disk. Twice: sharing the database
cache, and sharing a real Redis server (REDIS_URL, as production runs)."""

import json
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import S3_KEYS
from ektor.testing import ROOT, clean_env, free_port, run_manage

pytestmark = [
    pytest.mark.mariadb,
    # Committed rows, so the gunicorn processes see them.
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Pool-Service-Twice-2024!"


class Browser:
    """Requests with one cookie jar, whichever server answers (as behind a balancer)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, method, url, *, data=None, headers=None):
        request = urllib.request.Request(url, method=method, data=data, headers=headers or {})  # noqa: S310
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        for line in headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return status, headers, body.decode()

    def form(self, url, fields, *, files=None):
        """A multipart form post, as the admin's forms are sent."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )
        for name, (filename, content) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n'
            )
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", url, data=body, headers=headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test reads each redirect itself


def api(method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    status, _, text = Browser().request(method, url, data=data, headers=headers)
    return status, json.loads(text) if text else None


class WebProcess:
    """gunicorn with the production settings of `shared`, its temp and media folders in `home`."""

    def __init__(self, home: Path, shared: dict[str, str]):
        self.tmp, self.media = home / "tmp", home / "media"
        self.tmp.mkdir(parents=True)
        self.media.mkdir()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = home / "gunicorn.log"
        env = clean_env(
            **shared,
            TMPDIR=str(self.tmp),
            MEDIA_ROOT=str(self.media),
            GUNICORN_BIND=f"127.0.0.1:{port}",
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "ektor.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 120  # a deadline for start-up, not a timing assertion
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited\n{self.log.read_text()[-4000:]}")
            try:
                if api("GET", self.base + "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"gunicorn did not answer /health\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def local_files(self) -> list[str]:
        return sorted(str(p) for folder in (self.tmp, self.media) for p in folder.rglob("*"))


@pytest.fixture(params=["database cache", "redis"])
def two_web_processes(request, transactional_db, s3_storage, s3_server, tmp_path):
    db = connection.settings_dict  # the test database
    static = tmp_path / "static"  # built once, as into an image both processes run
    shared = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP here; the balancer would end TLS
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": (
            f"mysql://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "STATIC_ROOT": str(static),
        "STORAGE_BUCKET": s3_storage,
        "STORAGE_ENDPOINT_URL": s3_server,
        "STORAGE_REGION": "us-east-1",
        "STORAGE_ACCESS_KEY_ID": S3_KEYS["access_key"],
        "STORAGE_SECRET_ACCESS_KEY": S3_KEYS["secret_key"],
        # A fixed window: a day's, so the test's four sign-ins never straddle two windows.
        "AUTH_USERNAME_RATE_LIMIT": "3/day",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    if request.param == "redis":
        # A database of its own on the suite's server: the rate limit starts from nothing.
        shared["REDIS_URL"] = request.getfixturevalue("redis_server").rsplit("/", 1)[0] + "/3"
    collect = run_manage("collectstatic", "--noinput", "--verbosity=0", **shared)
    assert collect.returncode == 0, collect.stderr
    servers = [WebProcess(tmp_path / name, shared) for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_until_up()
        yield servers
        if "REDIS_URL" in shared:
            import redis

            # What the two shared (sessions' rate limits, counts) is in that Redis.
            assert redis.Redis.from_url(shared["REDIS_URL"]).dbsize() > 0
    finally:
        for server in servers:
            server.stop()


def test_what_one_web_process_starts_the_other_continues(two_web_processes):
    a, b = two_web_processes
    admin = UserFactory(
        username="office", email="office@example.com", role=Role.ADMIN, company__is_owner=True
    )
    admin.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    admin.save(update_fields=["password"])

    # Both see the same bucket.
    for server in (a, b):
        assert api("GET", server.base + "/health")[1]["storage"] == "ok"

    # A token from one is good on the other, and signing out on the other ends it on both.
    office = {"username": "office", "password": PASSWORD}
    status, tokens = api("POST", a.base + "/api/v1/auth/token", office)
    assert status == 200, tokens
    token = tokens["access_token"]
    status, users = api("GET", b.base + "/api/v1/users", token=token)
    assert status == 200 and [user["username"] for user in users] == ["office"]
    assert api("POST", b.base + "/api/v1/auth/logout", token=token)[0] == 204
    status, body = api("GET", a.base + "/api/v1/auth/me", token=token)
    assert status == 401, body

    # The sign-in rate limit counts across both (the shared cache): 3 a day per username.
    wrong = {"username": "nobody", "password": "wrong-password"}
    assert [api("POST", s.base + "/api/v1/auth/token", wrong)[0] for s in (a, b, a)] == [401] * 3
    status, body = api("POST", b.base + "/api/v1/auth/token", wrong)
    assert status == 429, body

    # The admin: signed in on one, used on the other; a CSV uploaded to one for its preview
    # is imported by the other (the preview keeps nothing on the server).
    browser = Browser()
    browser.request("GET", a.base + "/admin/login/")
    status, headers, _ = browser.form(a.base + "/admin/login/?next=/admin/", office)
    assert (status, headers["Location"]) == (302, "/admin/"), browser.cookies
    status, _, page = browser.request("GET", b.base + "/admin/")
    assert status == 200 and "office" in page

    importing = "/admin/customers/customer/import/"
    csv = (
        "first_name,last_name,email,property_label,address1\n"
        "Luz,Ortiz,luz@example.com,Home,1 Sea St\n"
    )
    status, _, preview = browser.form(a.base + importing, {}, files={"file": ("new.csv", csv)})
    assert status == 200 and "Import 1 row" in preview, preview[-3000:]
    status, headers, _ = browser.form(b.base + importing, {"csv_text": csv})
    assert (status, headers["Location"]) == (302, "/admin/customers/customer/")
    status, _, listing = browser.request("GET", a.base + "/admin/customers/customer/")
    assert status == 200 and "Ortiz" in listing

    # Nothing was left on either process's disk.
    assert (a.local_files(), b.local_files()) == ([], [])

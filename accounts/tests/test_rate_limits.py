"""Rate limits on token, register and refresh: shared through the database cache, per client
address and per username, fixed windows counted atomically, 429 with Retry-After, and not
dodged with X-Forwarded-For."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.services import session_start
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.throttling import ClientAddressRateThrottle, _AuthRateThrottle, client_ip
from ektor.testing import run_at_once
from ektor.tests.test_errors import assert_envelope

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


WRONG_PASSWORD = "wrong-guess"


def attempt(client: APIClient, username: str = "clerk", password: str = WRONG_PASSWORD, **extra):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def cache_rows() -> int:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (our own table name)
        return cursor.fetchone()[0]


def assert_limited(response) -> None:
    body = assert_envelope(response, 429)
    assert body["message"] == "Too many requests; try again later"
    assert body["details"]["reason"] == "rate_limited"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["details"]["retry_after"] == retry_after


def uses_database_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] == "ektor.cache.DatabaseCache"


def test_the_suite_counts_in_the_database_cache_unless_redis_is_configured():
    assert uses_database_cache() is not bool(settings.REDIS_URL)


@override_settings(AUTH_RATE_LIMIT="3/min", AUTH_USERNAME_RATE_LIMIT="100/min")
def test_limit_per_address_is_shared_by_two_clients_and_not_dodged_by_x_forwarded_for(
    staff_user,
):
    # Two separate clients (as two server processes would be), one caller address. Each
    # request reads the counter from the database cache, not from process memory.
    first, second = APIClient(), APIClient()
    assert attempt(first).status_code == 401
    assert attempt(second, "someone").status_code == 401
    if uses_database_cache():
        assert cache_rows() > 0
    assert attempt(first, "another", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 401
    # Fourth: over the limit, whoever asks and whatever address they claim to forward.
    assert_limited(attempt(second, "fresh", HTTP_X_FORWARDED_FOR="198.51.100.2"))
    assert_limited(attempt(first, "clerk", DEFAULT_PASSWORD))  # even with the right password
    # Another address has its own allowance.
    assert attempt(first, "clerk", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.50").status_code == 200


@override_settings(
    AUTH_RATE_LIMIT="100/min", AUTH_USERNAME_RATE_LIMIT="2/min", AUTH_USERNAME_CEILING="5/min"
)
def test_limit_per_username_per_address_then_a_ceiling_across_addresses(staff_user):
    for _ in range(2):
        assert attempt(APIClient(), "Clerk", REMOTE_ADDR="192.0.2.1").status_code == 401
    # A third guess at the same account from that address: refused, case regardless.
    assert_limited(attempt(APIClient(), "CLERK", REMOTE_ADDR="192.0.2.1"))
    # From other addresses the account has its own allowance, up to the ceiling (5 counted:
    # the refused guess above was not counted against it).
    for address in ("192.0.2.2", "192.0.2.2", "192.0.2.3"):
        assert attempt(APIClient(), "clerk", REMOTE_ADDR=address).status_code == 401
    assert_limited(attempt(APIClient(), "clerk", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.4"))
    # Other accounts are not affected.
    assert attempt(APIClient(), "boss", REMOTE_ADDR="192.0.2.4").status_code == 401


def test_a_stranger_guessing_from_elsewhere_cannot_lock_the_user_out(staff_user, monkeypatch):
    # The defaults: 20/min per address, 10/min per username and address, 30/min per username.
    freeze_throttle_clock(monkeypatch, 6_000_030.0)
    stranger = APIClient()
    address = "198.51.100.66"
    statuses = Counter(attempt(stranger, REMOTE_ADDR=address).status_code for _ in range(25))
    assert statuses == {401: 10, 429: 15}
    # The user, at their own address, signs in with the right password.
    response = attempt(APIClient(), "clerk", DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.80")
    assert response.status_code == 200, response.content


@override_settings(AUTH_RATE_LIMIT="2/min")
def test_register_and_refresh_are_limited_per_address(ctx, staff_user):
    client = APIClient()
    for _ in range(2):
        response = client.post("/api/v1/auth/register", {}, format="json")
        assert response.status_code == 401  # closed: anonymous is refused before counting
    tokens = session_start(ctx, user=staff_user)
    refresh = tokens["refresh_token"]
    for _ in range(2):
        response = client.post("/api/v1/auth/refresh", {"refresh_token": refresh}, format="json")
        assert response.status_code in (200, 401)
        refresh = response.json().get("refresh_token", refresh)
    assert_limited(client.post("/api/v1/auth/refresh", {"refresh_token": refresh}, format="json"))
    # Each endpoint counts on its own: signing in still works.
    assert attempt(client, "clerk", DEFAULT_PASSWORD).status_code == 200


@override_settings(REGISTRATION_OPEN=True, AUTH_RATE_LIMIT="2/min")
def test_open_registration_is_limited_per_address():
    client = APIClient()
    for name in ("first_one", "second_one"):
        body = {"username": name, "email": f"{name}@example.com", "password": "Chlorine-Tab-93"}
        assert client.post("/api/v1/auth/register", body, format="json").status_code == 201
    body = {"username": "third_one", "email": "t@example.com", "password": "Chlorine-Tab-93"}
    assert_limited(client.post("/api/v1/auth/register", body, format="json"))


@override_settings(AUTH_RATE_LIMIT="2/min", TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(staff_user):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(2):
        response = attempt(APIClient(), HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", **proxy)
        assert response.status_code == 401
    # The entry the proxy added decides; what the client put in front of it does not.
    assert_limited(attempt(APIClient(), HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.9", **proxy))
    assert attempt(APIClient(), HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy).status_code == 401


class FakeRequest:
    def __init__(self, remote: str, forwarded: str | None = None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),
        (2, "1.1.1.1, 2.2.2.2, 3.3.3.3", "2.2.2.2"),
        (2, "2.2.2.2", "2.2.2.2"),
        (1, "not-an-ip", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, None, "10.0.0.2"),
    ],
)
def test_client_ip(proxies, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(FakeRequest("10.0.0.2", forwarded)) == expected


class FakeView:
    throttle_scope = "token"


def freeze_throttle_clock(monkeypatch, at: float) -> list[float]:
    """The rate limits' clock, held at `at` until the test moves it (now[0] = ...)."""
    now = [at]
    monkeypatch.setattr(_AuthRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


@override_settings(AUTH_RATE_LIMIT="3/min")
def test_a_fixed_window_allows_the_limit_then_waits_for_the_next_window(monkeypatch):
    now = freeze_throttle_clock(monkeypatch, 6_000_030.0)  # half way through a minute

    def ask(address: str = "192.0.2.9") -> ClientAddressRateThrottle:
        throttle = ClientAddressRateThrottle()
        throttle.allowed = throttle.allow_request(FakeRequest(address), FakeView())
        return throttle

    assert [ask().allowed for _ in range(3)] == [True, True, True]
    refused = ask()
    assert not refused.allowed
    assert refused.wait() == 30  # until the minute ends, not a minute after the last try
    assert ask("192.0.2.10").allowed  # another address counts on its own
    now[0] = 6_000_059.5
    assert not ask().allowed  # refused requests do not push the window on
    now[0] = 6_000_060.0  # the next minute: a fresh allowance
    assert [ask().allowed for _ in range(4)] == [True, True, True, False]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@override_settings(AUTH_RATE_LIMIT="10/min", AUTH_USERNAME_RATE_LIMIT="1000/min")
def test_sign_ins_at_once_from_many_threads_never_pass_the_limit(staff_user, monkeypatch):
    """Each thread is a separate connection, as separate server processes would be: the
    counter is shared and incremented atomically, so exactly the limit gets through."""
    freeze_throttle_clock(monkeypatch, 6_000_030.0)  # the burst cannot straddle two windows
    threads, each = 8, 5

    def work() -> list[int]:
        client = APIClient()
        return [attempt(client, REMOTE_ADDR="192.0.2.77").status_code for _ in range(each)]

    statuses = [status for got in run_at_once(*[work] * threads) for status in got]
    assert Counter(statuses) == {401: 10, 429: threads * each - 10}


OTHER_PROCESS = """
import django, json
django.setup()
from django.test import Client
statuses = [
    Client(REMOTE_ADDR="127.0.0.1").post(
        "/api/v1/auth/token", {"username": "clerk", "password": "wrong-guess"},
        content_type="application/json",
    ).status_code
    for _ in range(2)
]
print(json.dumps(statuses))
"""


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@override_settings(AUTH_RATE_LIMIT="3/min")
def test_limit_is_shared_with_another_server_process(staff_user):
    """A second Django process on the same database counts against the same limit."""
    for _ in range(2):
        assert attempt(APIClient()).status_code == 401
    test_db = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    env = {
        "PATH": os.environ["PATH"],
        "ENV_FILE": os.devnull,
        "DJANGO_SETTINGS_MODULE": "ektor.test_settings",
        "DATABASE_URL": urlunsplit(test_db),
        "AUTH_RATE_LIMIT": "3/min",
    }
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Its first attempt is the third overall; its second is over the limit.
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [401, 429]
    assert_limited(attempt(APIClient()))


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "ektor.cache.DatabaseCache",
            "LOCATION": "ektor_cache",
            "OPTIONS": {"MAX_ENTRIES": 10},
        }
    }
)
def test_a_full_cache_table_cannot_be_used_to_reset_ones_own_limits(staff_user, monkeypatch):
    # Each made-up username makes a counter; Django's cull would delete live ones (the
    # address counter first: its key sorts first) once the table holds more than MAX_ENTRIES.
    freeze_throttle_clock(monkeypatch, 6_000_030.0)
    client, address = APIClient(), "203.0.113.5"
    checked = guessed = 0
    for n in range(30):
        status = attempt(client, REMOTE_ADDR=address).status_code
        guessed += status == 401
        checked += status == 401
        for k in range(3):
            checked += attempt(client, username=f"x{n}-{k}", REMOTE_ADDR=address).status_code == 401
    assert checked == 20  # the address's limit (AUTH_RATE_LIMIT 20/min), not more
    assert guessed <= 10


def test_a_refused_client_makes_no_counter_per_username_it_names(monkeypatch):
    freeze_throttle_clock(monkeypatch, 6_000_030.0)
    client, address = APIClient(), "203.0.113.9"
    for n in range(20):  # the address's whole allowance (AUTH_RATE_LIMIT 20/min)
        assert attempt(client, username=f"first-{n}", REMOTE_ADDR=address).status_code == 401
    before = cache_rows()
    for n in range(30):
        assert_limited(attempt(client, username=f"made-up-{n}", REMOTE_ADDR=address))
    assert cache_rows() == before


@override_settings(AUTH_RATE_LIMIT="2/min")
def test_a_wrong_method_or_options_spends_no_sign_in_budget(staff_user):
    client = APIClient()
    for _ in range(5):
        response = client.get(TOKEN)
        assert_envelope(response, 405)
        assert response["Allow"] == "POST, OPTIONS"
        assert client.put(TOKEN, {}, format="json").status_code == 405
        assert client.options(TOKEN).status_code == 200
    # The whole allowance is still there.
    assert attempt(client).status_code == 401
    assert attempt(client, "clerk", DEFAULT_PASSWORD).status_code == 200
    assert_limited(attempt(client))


ADMIN_LOGIN = "/admin/login/"


def admin_sign_in(client, username="clerk", password=WRONG_PASSWORD, **extra):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password}, **extra)


@override_settings(AUTH_RATE_LIMIT="3/min")
def test_the_admin_sign_in_form_obeys_the_address_limit(staff_user):
    client = Client()
    for _ in range(3):
        response = admin_sign_in(client)
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    assert client.get(ADMIN_LOGIN).status_code == 200  # showing the form is not an attempt
    # Over the limit: refused before the password is checked, even the right one.
    response = admin_sign_in(client, password=DEFAULT_PASSWORD)
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    page = response.content.decode()
    assert f"Too many sign-in attempts; try again in {retry_after} seconds." in page
    assert "_auth_user_id" not in client.session
    # Another address has its own allowance.
    response = admin_sign_in(client, password=DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)


@override_settings(AUTH_RATE_LIMIT="100/min", AUTH_USERNAME_RATE_LIMIT="3/min")
def test_the_admin_form_and_auth_token_share_one_budget_counting_each_attempt_once(
    staff_user,
):
    api, web = APIClient(), Client()
    assert attempt(api).status_code == 401
    assert admin_sign_in(web).status_code == 200
    assert attempt(api).status_code == 401
    # The fourth guess at this account from this address, whichever the door.
    response = admin_sign_in(web, password=DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert_limited(attempt(api, "clerk", DEFAULT_PASSWORD))
    # Another account from the same address is not affected.
    assert admin_sign_in(web, "boss").status_code == 200


@override_settings(AUTH_USERNAME_RATE_LIMIT="2/min")
def test_a_stranger_at_the_admin_form_cannot_lock_the_user_out(staff_user):
    for _ in range(5):
        admin_sign_in(Client(), REMOTE_ADDR="198.51.100.66")
    response = admin_sign_in(Client(), password=DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.80")
    assert response.status_code == 302

"""Idempotency-Key on every POST under /api/v1 (ektor/api/idempotency.py, run by the API base).

Every branch on SQLite (replay, reused, in progress, malformed, expiry, per-user keys, a
released claim after a 5xx, a replay that does nothing), every POST route of the API (the
routes the role matrix lists), and on MariaDB ten simultaneous payment POSTs over real HTTP.
"""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import session_start, user_update
from accounts.tests.factories import UserFactory
from billing import selectors
from billing.models import Invoice, InvoiceCounter, Payment, ReceivablesByDueDate
from billing.tests.conftest import make_invoice
from conftest import client_for
from core.context import Ctx
from customers.models import Customer
from ektor.api.idempotency import ABANDONED_AFTER
from ektor.models import IDEMPOTENCY_TTL, IdempotencyRecord
from ektor.tests import urls as test_urls
from tenancy.models import Membership
from tenancy.tests.factories import CompanyFactory, default_company
from tests.test_role_matrix import CASES, normalise

URL = "/api/v1/payments"
URL_CUSTOMERS = "/api/v1/customers"


def pay(client, invoice_id, key="pay-1", amount="10.00", **extra):
    headers = {} if key is None else {"Idempotency-Key": key}
    body = {"invoice_id": invoice_id, "amount": amount, **extra}
    return client.post(URL, body, format="json", headers=headers)


def error(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == ("REQUEST_VALIDATION_ERROR" if status == 422 else f"HTTP_{status}")
    assert body["details"]["reason"] == reason
    assert body["details"]["request_id"] == response["X-Request-Id"]
    return body


def billing_state(invoice) -> tuple:
    """Everything a payment moves: the payments, the invoice's figures, the running tallies and
    the invoice-number counters."""
    row = selectors.invoice_get(Ctx.system(invoice.company), invoice_id=invoice.pk)
    return (
        list(Payment.unscoped.order_by("pk").values_list("pk", "amount")),
        (row.status, row.amount_paid, row.balance_due),
        list(
            ReceivablesByDueDate.unscoped.order_by("pk").values_list(
                "invoice_count", "total", "paid"
            )
        ),
        list(InvoiceCounter.unscoped.values_list("year", "last_number")),
    )


@pytest.fixture
def invoice(db):
    return make_invoice(total="100.00")


@pytest.mark.django_db
class TestBranches:
    def test_replay_answers_the_stored_response_and_does_nothing_else(
        self, admin_client_api, invoice
    ):
        first = pay(admin_client_api, invoice.pk, reference="ATH-1")
        assert first.status_code == 201, first.content
        assert "Idempotent-Replayed" not in first
        after_first = billing_state(invoice)

        again = pay(admin_client_api, invoice.pk, reference="ATH-1")
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.content == first.content
        assert again["Content-Type"] == "application/json"
        # A fresh request id: the replay is a request of its own.
        assert again["X-Request-Id"] != first["X-Request-Id"]
        assert billing_state(invoice) == after_first
        assert Payment.unscoped.count() == 1

    def test_without_a_key_each_request_runs(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk, key=None).status_code == 201
        assert pay(admin_client_api, invoice.pk, key=None).status_code == 201
        assert Payment.unscoped.count() == 2
        assert not IdempotencyRecord.objects.exists()

    def test_another_body_path_or_query_with_the_same_key_is_422(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk, key="k").status_code == 201
        body = error(
            pay(admin_client_api, invoice.pk, key="k", amount="11.00"),
            422,
            "idempotency_key_reused",
        )
        message = "This Idempotency-Key was used for another request (method, path or body)"
        assert body["message"] == message
        assert body["details"]["errors"] == [
            {"loc": ["header", "Idempotency-Key"], "msg": message, "type": "idempotency_key_reused"}
        ]
        payload = {"invoice_id": invoice.pk, "amount": "10.00"}
        for path in (f"{URL}?x=1", f"{URL}/"):
            response = admin_client_api.post(
                path, payload, format="json", headers={"Idempotency-Key": "k"}
            )
            error(response, 422, "idempotency_key_reused")
        assert Payment.unscoped.count() == 1

    def test_the_same_key_while_the_first_is_in_flight_is_409(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk).status_code == 201
        # The first request's claim, as a concurrent request sees it before it completes.
        IdempotencyRecord.objects.update(status=None, headers={}, body=b"")
        body = error(pay(admin_client_api, invoice.pk), 409, "idempotency_key_in_progress")
        assert body["message"] == (
            "A request with this Idempotency-Key is still being processed; retry later"
        )
        assert Payment.unscoped.count() == 1

    @pytest.mark.parametrize(
        "key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline", "\x7f"], ids=repr
    )
    def test_a_malformed_key_is_400_and_nothing_runs(self, admin_client_api, invoice, key):
        # The test client passes the value as the WSGI server would (latin-1 text).
        response = admin_client_api.post(
            URL,
            {"invoice_id": invoice.pk, "amount": "10.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        body = error(response, 400, "invalid_idempotency_key")
        assert body["message"] == (
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters"
        )
        assert not Payment.unscoped.exists()
        assert not IdempotencyRecord.objects.exists()

    @pytest.mark.parametrize("key", ["a", "x" * 255, " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
    def test_every_printable_ascii_key_up_to_255_is_accepted(self, admin_client_api, invoice, key):
        assert pay(admin_client_api, invoice.pk, key=key).status_code == 201
        assert pay(admin_client_api, invoice.pk, key=key)["Idempotent-Replayed"] == "true"

    def test_keys_are_case_sensitive(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk, key="Key").status_code == 201
        second = pay(admin_client_api, invoice.pk, key="KEY")
        assert second.status_code == 201 and "Idempotent-Replayed" not in second
        assert Payment.unscoped.count() == 2

    def test_a_record_older_than_24_hours_is_absent(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk).status_code == 201
        IdempotencyRecord.objects.update(created_at=timezone.now() - IDEMPOTENCY_TTL)
        again = pay(admin_client_api, invoice.pk, amount="5.00")  # another body is fine now
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert Payment.unscoped.count() == 2
        record = IdempotencyRecord.objects.get()
        assert timezone.now() - record.created_at < timedelta(minutes=1)
        assert json.loads(bytes(record.body))["amount"] == "5.00"

    def test_a_record_just_under_24_hours_is_still_replayed(self, admin_client_api, invoice):
        assert pay(admin_client_api, invoice.pk).status_code == 201
        age = IDEMPOTENCY_TTL - timedelta(minutes=1)
        IdempotencyRecord.objects.update(created_at=timezone.now() - age)
        assert pay(admin_client_api, invoice.pk)["Idempotent-Replayed"] == "true"
        assert Payment.unscoped.count() == 1

    def test_a_claim_abandoned_in_flight_is_taken_over(self, admin_client_api, invoice):
        """A worker killed mid-request leaves its claim in flight: after ABANDONED_AFTER the key
        runs again instead of answering 409 for a day."""
        assert pay(admin_client_api, invoice.pk).status_code == 201
        IdempotencyRecord.objects.update(
            status=None, created_at=timezone.now() - ABANDONED_AFTER - timedelta(seconds=1)
        )
        again = pay(admin_client_api, invoice.pk)
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert IdempotencyRecord.objects.get().status == 201

    def test_each_user_has_their_own_keys(self, admin_client_api, invoice):
        other = client_for(UserFactory(username="boss2", email="b2@example.com", role=Role.ADMIN))
        first, second = pay(admin_client_api, invoice.pk), pay(other, invoice.pk)
        assert (first.status_code, second.status_code) == (201, 201)
        assert "Idempotent-Replayed" not in second
        assert first.json()["payment_id"] != second.json()["payment_id"]
        assert Payment.unscoped.count() == 2
        # And a user's other body under that key is not judged by the other user's record.
        error(pay(other, invoice.pk, amount="1.00"), 422, "idempotency_key_reused")

    def test_a_key_is_the_users_in_each_company(self, admin_user, admin_client_api):
        """One person in two companies sends one key and body to both: company B runs the
        request for itself and never gets company A's stored answer."""
        acme = CompanyFactory(slug="acme", name="Acme Pools")
        Membership.unscoped.create(user=admin_user, company=acme, role=Role.ADMIN)
        in_acme = APIClient()
        tokens = session_start(Ctx.system(), user=admin_user, company="acme")
        in_acme.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        body = {"first_name": "Ana", "last_name": "Rivera"}

        def create(client):
            return client.post(
                URL_CUSTOMERS, body, format="json", headers={"Idempotency-Key": "one"}
            )

        first, second = create(admin_client_api), create(in_acme)
        assert (first.status_code, second.status_code) == (201, 201), second.content
        assert "Idempotent-Replayed" not in second
        assert first.json()["customer_id"] != second.json()["customer_id"]
        companies = Customer.unscoped.order_by("pk").values_list("company__slug", flat=True)
        assert list(companies) == [default_company().slug, "acme"]
        # Each company keeps its own answer under the key.
        assert create(admin_client_api).content == first.content
        assert create(in_acme).content == second.content
        assert IdempotencyRecord.objects.filter(user=admin_user).count() == 2

    def test_a_refusal_is_stored_and_answered_again(self, admin_client_api, invoice):
        """A 4xx is the request's answer: the same request gets it again, even once the state
        that caused it has changed."""
        refused = pay(admin_client_api, invoice.pk, amount="100.01")
        error(refused, 409, "payment_exceeds_total")
        Invoice.unscoped.filter(pk=invoice.pk).update(subtotal=200, total=200)
        again = pay(admin_client_api, invoice.pk, amount="100.01")
        assert (again.status_code, again["Idempotent-Replayed"]) == (409, "true")
        assert again.content == refused.content
        assert not Payment.unscoped.exists()

    def test_a_validation_error_is_stored_too(self, admin_client_api, invoice):
        first = pay(admin_client_api, invoice.pk, amount="-1")
        assert first.status_code == 422
        again = pay(admin_client_api, invoice.pk, amount="-1")
        assert (again.status_code, again.content) == (422, first.content)
        assert again["Idempotent-Replayed"] == "true"

    def test_who_is_refused_before_the_key_leaves_no_claim(self, staff_user, invoice):
        anonymous = client_for(None)
        error(pay(anonymous, invoice.pk), 401, "not_authenticated")
        error(pay(anonymous, invoice.pk, key=""), 401, "not_authenticated")
        assert not IdempotencyRecord.objects.exists()

    def test_a_replay_is_checked_like_any_request_first(self, admin_user, invoice):
        """Who lost the permission gets 403, not the answer kept for them."""
        clerk = UserFactory(username="clerk2", email="c2@example.com", role=Role.ADMIN)
        client = client_for(clerk)
        assert pay(client, invoice.pk).status_code == 201
        user_update(
            Ctx.for_user(admin_user, company=invoice.company), user=clerk, data={"role": Role.STAFF}
        )
        error(pay(client, invoice.pk), 403, "permission_denied")
        assert Payment.unscoped.count() == 1

    def test_the_key_path_is_one_insert_and_one_update(self, admin_client_api, invoice):
        def statements(key):
            with CaptureQueriesContext(connection) as queries:
                assert pay(admin_client_api, invoice.pk, key=key, amount="1.00").status_code == 201
            # The tests run inside a transaction: the claim's savepoint is theirs, not the app's.
            return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]

        statements(None)  # the first request's own work (the session's last use) out of both
        without, keyed = statements(None), statements("cheap")
        extra = [sql for sql in keyed if "ektor_idempotencyrecord" in sql]
        assert [sql.split()[0] for sql in extra] == ["INSERT", "UPDATE"]
        assert len(keyed) == len(without) + 2


@pytest.mark.django_db
@pytest.mark.urls("ektor.tests.urls")
def test_a_server_error_releases_the_claim_so_a_retry_runs(admin_client_api):
    test_urls.FlakyView.failures_left, test_urls.FlakyView.runs = 1, 0
    url = "/api/v1/test/flaky"
    first = admin_client_api.post(url, {"n": 1}, format="json", headers={"Idempotency-Key": "f"})
    assert first.status_code == 500
    assert first.json()["message"] == "Internal server error"
    assert not IdempotencyRecord.objects.exists()
    retry = admin_client_api.post(url, {"n": 1}, format="json", headers={"Idempotency-Key": "f"})
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert retry.json() == {"ran": 2}
    replay = admin_client_api.post(url, {"n": 1}, format="json", headers={"Idempotency-Key": "f"})
    assert (replay.json(), replay["Idempotent-Replayed"]) == ({"ran": 2}, "true")
    assert replay["Location"] == "/api/v1/test/flaky/2"


@pytest.mark.django_db
def test_purge_deletes_expired_records_only(admin_client_api, invoice, capsys):
    for key in ("old", "fresh"):
        assert pay(admin_client_api, invoice.pk, key=key).status_code == 201
    IdempotencyRecord.objects.filter(pk=IdempotencyRecord.objects.order_by("pk").first().pk).update(
        created_at=timezone.now() - IDEMPOTENCY_TTL - timedelta(seconds=1)
    )
    call_command("purge_idempotency_keys")
    assert capsys.readouterr().out == "Deleted 1 expired Idempotency-Key record(s).\n"
    assert pay(admin_client_api, invoice.pk, key="fresh")["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.count() == 1


# Every POST route honours the key. Sign-in routes have no signed-in caller to keep it for;
# logging out ends the session the second request would need.
UNSTORED = {"api/v1/auth/token", "api/v1/auth/refresh"}
ENDS_THE_SESSION = {"api/v1/auth/logout", "api/v1/auth/logout-all"}
POST_CASES = [case for case in CASES if case.method == "POST"]


def post_routes() -> set[str]:
    """Every route under /api/v1 whose view answers POST, read from the URL configuration."""
    routes: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif text.startswith("api/v1/"):
                callback = pattern.callback
                actions = getattr(callback, "actions", None)
                if "post" in actions if actions is not None else hasattr(callback.cls, "post"):
                    routes.add(normalise(text))

    walk(get_resolver().url_patterns, "")
    return routes


def test_every_post_route_has_a_case():
    routes = post_routes()
    assert {normalise(case.route) for case in POST_CASES} == routes
    assert routes >= UNSTORED | ENDS_THE_SESSION
    assert "api/v1/payments" in routes


@pytest.mark.django_db
@pytest.mark.parametrize("case", POST_CASES, ids=lambda case: case.route)
def test_every_post_route_honours_the_key(case, admin_user):
    client = client_for(admin_user)
    # Payload first, then path, as the role matrix builds them (a path may use the payload's rows).
    payload = case.payload()
    path = case.path()
    route = normalise(case.route)

    def post(key):
        return client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)

    error(post("x" * 256), 400, "invalid_idempotency_key")
    first = post("route-key")
    assert first.status_code == case.admin_status, first.content
    records = IdempotencyRecord.objects.filter(user=admin_user)
    if route in UNSTORED:
        assert not resolve(path).func.cls.authentication_classes
        assert not records.exists()
        return
    assert list(records.values_list("status", flat=True)) == [case.admin_status]
    again = post("route-key")
    if route in ENDS_THE_SESSION:
        error(again, 401, "session_ended")
        return
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    different = client.post(
        path + "?other=1", payload, format="json", HTTP_IDEMPOTENCY_KEY="route-key"
    )
    error(different, 422, "idempotency_key_reused")


# MariaDB: ten simultaneous identical payment POSTs with one key, over real HTTP.


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_payment_posts_with_one_key_make_one_payment(live_server, admin_user):
    invoice = make_invoice(total="100.00")
    token = client_for(admin_user).tokens["access_token"]
    body = json.dumps({"invoice_id": invoice.pk, "amount": "10.00"}).encode()
    barrier = threading.Barrier(10)
    answers: list = [None] * 10

    def post(index: int) -> None:
        request = urllib.request.Request(  # noqa: S310 (the local live server)
            f"{live_server.url}{URL}",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": "ten-at-once",
            },
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local)
                answers[index] = (response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            answers[index] = (exc.code, dict(exc.headers), exc.read())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Payment.unscoped.filter(invoice=invoice).count() == 1
    payment = Payment.unscoped.get(invoice=invoice)
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {201, 409}, answers
    originals = [a for a in answers if a[0] == 201 and "Idempotent-Replayed" not in a[1]]
    assert len(originals) == 1
    created = originals[0][2]
    assert json.loads(created)["payment_id"] == payment.pk
    for status, headers, content in answers:
        if status == 409:
            assert json.loads(content)["details"]["reason"] == "idempotency_key_in_progress"
        elif headers.get("Idempotent-Replayed"):
            assert headers["Idempotent-Replayed"] == "true"
            assert content == created
    row = selectors.invoice_get(Ctx.system(invoice.company), invoice_id=invoice.pk)
    assert row.amount_paid == Decimal("10.00")

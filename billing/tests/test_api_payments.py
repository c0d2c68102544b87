"""/api/v1/payments: the contract's rules in order, with status, code and details.reason."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import Payment
from billing.services import DUPLICATE_REFERENCE
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from billing.tests.test_api_invoices import error, locs
from core.errors import ApplicationError
from ektor.services import conflict_on_integrity

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments"


def pay(client, invoice_id, amount="10.00", **extra):
    return client.post(URL, {"invoice_id": invoice_id, "amount": amount, **extra}, format="json")


def test_record_with_defaults(admin_client_api, invoice):
    response = pay(admin_client_api, invoice.pk, 30)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "payment_id",
        "invoice_id",
        "amount",
        "paid_date",
        "method",
        "reference",
        "notes",
        "created_at",
        "reversed_at",
        "reversed_by",
        "reversal_reason",
    }
    assert (body["reversed_at"], body["reversed_by"], body["reversal_reason"]) == (None,) * 3
    assert (body["amount"], body["method"], body["reference"]) == ("30.00", "other", None)
    assert body["paid_date"] == str(Payment.unscoped.get().paid_date)


def test_rules_in_the_contracts_order(admin_client_api, invoice):
    error(pay(admin_client_api, 999999), 404, "invoice_not_found")
    assert pay(admin_client_api, invoice.pk, "60.00", reference="ATH-1").status_code == 201
    body = error(
        pay(admin_client_api, invoice.pk, "50.00", reference="ATH-1"),
        409,
        "duplicate_payment_reference",
    )
    assert body["message"] == (
        "A payment with reference 'ATH-1' is already recorded on invoice INV-2026-000001"
    )
    body = error(pay(admin_client_api, invoice.pk, "40.01"), 409, "payment_exceeds_total")
    assert body["details"]["balance_due"] == "40.00"
    assert pay(admin_client_api, invoice.pk, "40.00").status_code == 201
    response = admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert (response["status"], response["amount_paid"], response["balance_due"]) == (
        "paid",
        "100.00",
        "0.00",
    )
    error(
        pay(admin_client_api, invoice.pk, "50.00", reference="ATH-1"), 409, "invoice_already_paid"
    )


def test_void_invoice_is_400_before_other_rules(ctx, admin_client_api, invoice):
    services.invoice_void(ctx, invoice=invoice, reason="Mistake")
    body = error(pay(admin_client_api, invoice.pk, "500.00"), 400, "invoice_void")
    assert body["message"] == "Invoice INV-2026-000001 is void and cannot be paid"


def test_payment_on_draft_sends_it(admin_client_api):
    draft = InvoiceFactory()
    assert pay(admin_client_api, draft.pk).status_code == 201
    body = admin_client_api.get(f"/api/v1/invoices/{draft.pk}").json()
    assert (body["status"], body["number"], body["balance_due"]) == (
        "sent",
        "INV-2026-000001",
        "90.00",
    )


@pytest.mark.parametrize(
    ("overrides", "loc", "message"),
    [
        ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "-5"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "1.005"}, "amount", "no more than 2 decimal places"),
        ({"amount": "NaN"}, "amount", "valid amount of money"),
        ({"amount": "-Infinity"}, "amount", "valid amount of money"),
        ({"amount": "99999999999999"}, "amount", "no more than 12 digits"),
        ({"amount": [1]}, "amount", "valid amount of money"),
        ({"invoice_id": "1"}, "invoice_id", "valid integer"),
        ({"method": "bitcoin"}, "method", "is not a valid choice"),
        ({"reference": "x" * 81}, "reference", "no more than 80 characters"),
        ({"paid_date": "2026-02-30"}, "paid_date", "2026-02-30 is not a valid date"),
        ({"paid_date": "2026-2-3"}, "paid_date", "Date has wrong format"),
        ({"amount": "\u0665"}, "amount", "valid amount of money"),
        ({"amount": "\uff15.00"}, "amount", "valid amount of money"),
        ({"amount": "1_0"}, "amount", "valid amount of money"),
    ],
)
def test_input_is_strict(admin_client_api, invoice, overrides, loc, message):
    body = error(
        admin_client_api.post(
            URL, {"invoice_id": invoice.pk, "amount": "1.00", **overrides}, format="json"
        ),
        422,
    )
    assert message in locs(body)[("body", loc)]
    assert not Payment.unscoped.exists()


def test_a_payment_dated_after_today_is_422(admin_client_api, invoice):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = error(pay(admin_client_api, invoice.pk, paid_date=str(tomorrow)), 422)
    assert locs(body)[("body", "paid_date")].startswith(f"paid_date {tomorrow} is after today")
    assert not Payment.unscoped.exists()


def test_many_small_payments_reach_the_total_to_the_cent(admin_client_api):
    invoice = make_invoice(total="1.50")
    for amount in ["0.10"] * 10 + ["0.01"] * 50:
        assert pay(admin_client_api, invoice.pk, amount).status_code == 201
    body = admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert (body["status"], body["amount_paid"], body["balance_due"]) == ("paid", "1.50", "0.00")
    error(pay(admin_client_api, invoice.pk, "0.01"), 409, "invoice_already_paid")


def test_list_filter_and_retrieve(ctx, staff_client_api, invoice):
    other = make_invoice()
    mine = services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("1.00"), reference="A"
    )
    services.payment_record(ctx, invoice_id=other.pk, amount=Decimal("2.00"))
    response = staff_client_api.get(f"{URL}?invoice_id={invoice.pk}")
    assert [row["payment_id"] for row in response.json()] == [mine.pk]
    assert staff_client_api.get(f"{URL}/{mine.pk}").json()["reference"] == "A"
    error(staff_client_api.get(f"{URL}/999999"), 404, "payment_not_found")
    for query in ("invoice_id=-1", "invoice_id=abc", "invoice_id=1.5"):
        body = error(staff_client_api.get(f"{URL}?{query}"), 422)
        assert ("query", "invoice_id") in locs(body)


@pytest.mark.parametrize("count", [1, 25])
def test_list_queries_do_not_grow_with_rows(
    ctx, staff_client_api, django_assert_num_queries, count
):
    invoice = make_invoice(total="1000.00")
    for _ in range(count):
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("1.00"))
    staff_client_api.get(URL)  # stores the table's row count in the cache (ektor/db/counts.py)
    # session + user, the cached count, the page.
    with django_assert_num_queries(3):
        response = staff_client_api.get(f"{URL}?limit=200")
    assert len(response.json()) == count


def test_duplicate_reference_reaching_the_constraint_is_a_409(ctx, invoice):
    """The unique constraint backs the check: its error on this database maps to the 409."""
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("1.00"), reference="R-9")
    with pytest.raises(ApplicationError) as info, conflict_on_integrity(DUPLICATE_REFERENCE):
        Payment.unscoped.create(
            company=invoice.company,
            invoice=invoice,
            amount=Decimal("1.00"),
            paid_date=invoice.issued_date,
            reference="R-9",
        )
    assert (info.value.status, info.value.reason) == (409, "duplicate_payment_reference")


def reverse(client, payment_id, reason="Recorded on the wrong invoice"):
    return client.post(f"{URL}/{payment_id}/reverse", {"reason": reason}, format="json")


class TestReverse:
    def test_a_reversed_payment_stays_on_record_and_counts_as_nothing(
        self, admin_client_api, admin_user, invoice
    ):
        first = pay(admin_client_api, invoice.pk, "40.00", reference="ATH-1").json()
        second = pay(admin_client_api, invoice.pk, "60.00").json()
        assert admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()["status"] == "paid"

        response = reverse(admin_client_api, first["payment_id"])
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["amount"], body["reference"]) == ("40.00", "ATH-1")
        assert (body["reversed_by"], body["reversal_reason"]) == (
            admin_user.pk,
            "Recorded on the wrong invoice",
        )
        assert body["reversed_at"].endswith("Z")
        assert admin_client_api.get(f"{URL}/{first['payment_id']}").json() == body
        row = admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()
        assert (row["status"], row["amount_paid"], row["balance_due"]) == (
            "sent",
            "60.00",
            "40.00",
        )
        # Its reference no longer blocks the payment that replaces it.
        assert pay(admin_client_api, invoice.pk, "40.00", reference="ATH-1").status_code == 201
        assert Payment.unscoped.count() == 3

        body = error(
            reverse(admin_client_api, first["payment_id"], "again"),
            409,
            "payment_already_reversed",
        )
        assert body["message"].startswith(
            f"The payment of 40.00 on invoice {invoice.number} was already reversed on "
        )
        assert body["message"].endswith(": Recorded on the wrong invoice")
        assert reverse(admin_client_api, second["payment_id"]).status_code == 200

    def test_an_invoice_whose_payments_are_all_reversed_can_be_voided(
        self, admin_client_api, invoice
    ):
        payment = pay(admin_client_api, invoice.pk, "100.00").json()
        void = f"/api/v1/invoices/{invoice.pk}/void"
        error(admin_client_api.post(void, {"reason": "Dup"}, format="json"), 409)
        reverse(admin_client_api, payment["payment_id"])
        response = admin_client_api.post(void, {"reason": "Dup"}, format="json")
        assert response.json()["status"] == "void"

    @pytest.mark.parametrize(
        ("reason", "message"),
        [
            ("", "may not be blank"),
            ("   ", "may not be blank"),
            ("x" * 256, "no more than 255 characters"),
            (None, "may not be null"),
        ],
    )
    def test_a_reason_is_required(self, admin_client_api, invoice, reason, message):
        payment = pay(admin_client_api, invoice.pk).json()
        body = error(reverse(admin_client_api, payment["payment_id"], reason), 422)
        assert message in locs(body)[("body", "reason")]
        assert not Payment.unscoped.filter(reversed_at__isnull=False).exists()

    def test_unknown_payment_and_staff(self, admin_client_api, staff_client_api, invoice):
        error(reverse(admin_client_api, 999999), 404, "payment_not_found")
        payment = pay(admin_client_api, invoice.pk).json()
        error(reverse(staff_client_api, payment["payment_id"]), 403, "permission_denied")
        assert Payment.unscoped.get().reversed_at is None

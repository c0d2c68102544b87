"""/api/v1/invoices: the contract's rules with status, code and details.reason."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from billing.models import Invoice
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from customers.tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/invoices"
OUTPUT_KEYS = {
    "invoice_id",
    "number",
    "customer_id",
    "property_id",
    "period_start",
    "period_end",
    "status",
    "issued_date",
    "due_date",
    "subtotal",
    "tax",
    "total",
    "amount_paid",
    "amount_credited",
    "balance_due",
    "notes",
    # Under an open claim (support/tests/test_api_requests.py shows it set and cleared).
    "disputed",
    # Empty on an invoice typed in as v1 (billing/tests/test_invoice_lines.py).
    "lines",
    # The payment reminders sent (billing/tests/test_reminders.py).
    "reminders_sent",
    "created_at",
    "updated_at",
}


def payload(prop, **overrides):
    data = {
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "period_start": "2026-01-05",
        "period_end": "2026-01-11",
        "issued_date": "2026-01-11",
        "due_date": "2026-01-18",
        "subtotal": "100.00",
        "tax": 11.5,
        "total": "111.50",
    }
    return {**data, **overrides}


def error(response, status: int, reason: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == ("REQUEST_VALIDATION_ERROR" if status == 422 else f"HTTP_{status}")
    if reason:
        assert body["details"]["reason"] == reason
    return body


def locs(body) -> dict[tuple, str]:
    return {tuple(e["loc"]): e["msg"] for e in body["details"]["errors"]}


class TestCreate:
    def test_created_as_sent_with_number_and_money_strings(self, admin_client_api):
        response = admin_client_api.post(URL, payload(PropertyFactory()), format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == OUTPUT_KEYS
        assert body["status"] == "sent"
        assert body["number"] == "INV-2026-000001"
        assert (body["subtotal"], body["tax"], body["total"]) == ("100.00", "11.50", "111.50")
        assert (body["amount_paid"], body["balance_due"]) == ("0.00", "111.50")
        assert body["created_at"].endswith("Z")

    def test_draft_on_request_and_due_date_optional(self, admin_client_api):
        data = payload(PropertyFactory(), status="draft")
        del data["due_date"]
        body = admin_client_api.post(URL, data, format="json").json()
        assert (body["status"], body["number"], body["due_date"]) == ("draft", None, None)

    def test_created_void_as_the_original_systems_clients_do(self, admin_client_api):
        body = admin_client_api.post(
            URL, payload(PropertyFactory(), status="void"), format="json"
        ).json()
        assert (body["status"], body["number"], body["balance_due"]) == (
            "void",
            "INV-2026-000001",
            "0.00",
        )
        assert Invoice.unscoped.get().void_reason == "Created void"
        body = error(
            admin_client_api.post(URL, payload(PropertyFactory(), status="paid"), format="json"),
            422,
        )
        assert "becomes paid through payments" in locs(body)[("body", "status")]

    def test_order_customer_then_property_then_ownership(self, admin_client_api):
        prop = PropertyFactory()
        body = error(
            admin_client_api.post(
                URL, payload(prop, customer_id=999999, property_id=999999), format="json"
            ),
            404,
            "customer_not_found",
        )
        assert body["message"] == "Customer not found"
        error(
            admin_client_api.post(URL, payload(prop, property_id=999999), format="json"),
            404,
            "property_not_found",
        )
        body = error(
            admin_client_api.post(
                URL, payload(prop, property_id=PropertyFactory().pk), format="json"
            ),
            400,
            "property_customer_mismatch",
        )
        assert body["message"].startswith("Property Residence ")
        assert body["message"].endswith(f", not to {prop.customer.full_name}")

    @pytest.mark.parametrize(
        ("overrides", "loc", "message"),
        [
            ({"period_end": "2026-01-04"}, "period_end", "period_end must be on or after"),
            ({"due_date": "2026-01-10"}, "due_date", "due_date must be on or after issued_date"),
            ({"total": "111.49"}, "total", "total must equal subtotal + tax exactly"),
            ({"status": "paid"}, "status", "becomes paid through payments"),
            ({"status": "foo"}, "status", "is not a valid choice"),
            ({"subtotal": "100.001"}, "subtotal", "no more than 2 decimal places"),
            ({"subtotal": "-1.00"}, "subtotal", "greater than or equal to 0"),
            ({"subtotal": "NaN"}, "subtotal", "valid amount of money"),
            ({"subtotal": "Infinity"}, "subtotal", "valid amount of money"),
            ({"subtotal": "1e20"}, "subtotal", "no more than 12 digits"),
            ({"subtotal": True}, "subtotal", "valid amount of money"),
            ({"customer_id": "1"}, "customer_id", "valid integer"),
            ({"period_start": "2026-13-01"}, "period_start", "2026-13-01 is not a valid date"),
        ],
    )
    def test_field_rules_are_422(self, admin_client_api, overrides, loc, message):
        body = error(
            admin_client_api.post(URL, payload(PropertyFactory(), **overrides), format="json"), 422
        )
        assert message in locs(body)[("body", loc)]

    def test_missing_required_fields(self, admin_client_api):
        body = error(admin_client_api.post(URL, {}, format="json"), 422)
        assert {loc[1] for loc in locs(body)} == {
            "customer_id",
            "property_id",
            "period_start",
            "period_end",
            "issued_date",
            "subtotal",
            "tax",
            "total",
        }


class TestUpdateSendVoid:
    def test_patch_draft(self, admin_client_api):
        draft = InvoiceFactory()
        response = admin_client_api.patch(
            f"{URL}/{draft.pk}", {"tax": "5.00", "total": "105.00"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert (response.json()["tax"], response.json()["total"]) == ("5.00", "105.00")

    def test_patch_rules(self, admin_client_api):
        draft = InvoiceFactory()
        body = error(
            admin_client_api.patch(f"{URL}/{draft.pk}", {"tax": "5.00"}, format="json"), 422
        )
        assert "total must equal subtotal + tax" in locs(body)[("body", "total")]
        error(
            admin_client_api.patch(f"{URL}/{draft.pk}", {}, format="json"),
            400,
            "no_fields_to_update",
        )
        body = error(
            admin_client_api.patch(f"{URL}/{draft.pk}", {"status": "sent"}, format="json"), 422
        )
        assert "send and void actions" in locs(body)[("body", "status")]

    def test_patch_sent_is_409(self, admin_client_api, invoice):
        body = error(
            admin_client_api.patch(f"{URL}/{invoice.pk}", {"notes": "x"}, format="json"),
            409,
            "invoice_not_draft",
        )
        assert body["message"] == "Invoice INV-2026-000001 is sent: only a draft can be changed"

    def test_send(self, admin_client_api):
        draft = InvoiceFactory()
        response = admin_client_api.post(f"{URL}/{draft.pk}/send")
        assert response.status_code == 200, response.content
        assert (response.json()["status"], response.json()["number"]) == ("sent", "INV-2026-000001")
        error(admin_client_api.post(f"{URL}/{draft.pk}/send"), 409, "invoice_not_draft")
        error(admin_client_api.post(f"{URL}/999999/send"), 404, "invoice_not_found")

    def test_void(self, admin_client_api, invoice):
        body = error(admin_client_api.post(f"{URL}/{invoice.pk}/void", {}, format="json"), 422)
        assert ("body", "reason") in locs(body)
        error(
            admin_client_api.post(f"{URL}/{invoice.pk}/void", {"reason": " "}, format="json"), 422
        )
        response = admin_client_api.post(
            f"{URL}/{invoice.pk}/void", {"reason": "Billed twice"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert (response.json()["status"], response.json()["balance_due"]) == ("void", "0.00")
        error(
            admin_client_api.post(f"{URL}/{invoice.pk}/void", {"reason": "x"}, format="json"),
            409,
            "invoice_already_void",
        )

    def test_void_with_payments_is_409(self, ctx, admin_client_api, invoice):
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("1.00"))
        error(
            admin_client_api.post(f"{URL}/{invoice.pk}/void", {"reason": "x"}, format="json"),
            409,
            "invoice_has_payments",
        )

    def test_retrieve_404_and_bad_id(self, staff_client_api):
        body = error(staff_client_api.get(f"{URL}/999999"), 404, "invoice_not_found")
        assert body["message"] == "Invoice not found"
        body = error(staff_client_api.get(f"{URL}/abc"), 422)
        assert ("path", "invoice_id") in locs(body)

    def test_put_and_delete_are_not_offered(self, admin_client_api, invoice):
        assert admin_client_api.put(f"{URL}/{invoice.pk}", {}, format="json").status_code == 405
        assert admin_client_api.delete(f"{URL}/{invoice.pk}").status_code == 405


class TestList:
    def test_amounts_and_filters(self, ctx, staff_client_api):
        prop = PropertyFactory()
        paid = make_invoice(prop=prop, issued="2099-01-05")
        services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("100.00"))
        partial = make_invoice(prop=prop, issued="2099-02-05", total="50.00")
        services.payment_record(ctx, invoice_id=partial.pk, amount=Decimal("20.50"))
        draft = make_invoice(status="draft", issued="2099-03-05")
        overdue = make_invoice(issued="2020-01-01")

        response = staff_client_api.get(URL)
        assert response["X-Total-Count"] == "4"
        rows = {row["invoice_id"]: row for row in response.json()}
        assert [row["invoice_id"] for row in response.json()] == sorted(rows, reverse=True)
        assert (rows[paid.pk]["status"], rows[paid.pk]["balance_due"]) == ("paid", "0.00")
        assert (rows[partial.pk]["amount_paid"], rows[partial.pk]["balance_due"]) == (
            "20.50",
            "29.50",
        )

        def ids(query):
            response = staff_client_api.get(f"{URL}?{query}")
            assert response.status_code == 200, response.content
            return {row["invoice_id"] for row in response.json()}

        assert ids("status=draft") == {draft.pk}
        assert ids(f"customer_id={prop.customer_id}") == {paid.pk, partial.pk}
        assert ids(f"property_id={prop.pk}") == {paid.pk, partial.pk}
        assert ids("from_date=2099-01-05&to_date=2099-02-05") == {paid.pk, partial.pk}
        assert ids("from_date=2099-02-06") == {draft.pk}
        assert ids("overdue=true") == {overdue.pk}
        assert ids("overdue=false") == {paid.pk, partial.pk, draft.pk}

    @pytest.mark.parametrize(
        "query",
        [
            "status=foo",
            "customer_id=abc",
            "customer_id=-1",
            "property_id=0",
            "from_date=2026-13-01",
            "to_date=01/02/2026",
            "overdue=maybe",
        ],
    )
    def test_bad_filter_values_are_422(self, staff_client_api, query):
        body = error(staff_client_api.get(f"{URL}?{query}"), 422)
        name = query.split("=")[0]
        assert ("query", name) in locs(body)

    @pytest.mark.parametrize("count", [1, 20])
    def test_queries_do_not_grow_with_rows(
        self, ctx, staff_client_api, django_assert_num_queries, count
    ):
        for _ in range(count):
            services.payment_record(ctx, invoice_id=make_invoice().pk, amount=Decimal("10.00"))
        staff_client_api.get(URL)  # stores the row count in the cache (ektor/db/counts.py)
        # Session with its user, the cached count, the page, the page's lines and reminders.
        with django_assert_num_queries(5):
            response = staff_client_api.get(f"{URL}?limit=200")
        assert len(response.json()) == count


def test_overdue_is_relative_to_today(staff_client_api):
    today = datetime.date.today()
    make_invoice(issued=str(today), due_date=today)
    assert staff_client_api.get(f"{URL}?overdue=true").json() == []

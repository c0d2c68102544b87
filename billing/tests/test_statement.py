"""The customer statement: the API, the admin page and the command share one selector."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing import services
from billing.tests.conftest import make_invoice
from billing.tests.factories import CreditFactory, credit_apply_raw
from billing.tests.test_api_invoices import error, locs
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def history(ctx):
    """Hand-computed: in January 2026 the customer was billed 100.00 + 250.50 + 80.25 = 430.75
    (the void 999.99 and the February invoice do not count) and paid 100.00 + 50.25 = 150.25
    (in January), so 280.50 is due on v1's terms; of it the 80.25 draft is not owed yet (not
    sent), so the account's closing balance is 350.50 sent - 150.25 paid = 200.25."""
    customer = CustomerFactory(first_name="Martha", last_name="Perez")
    home = PropertyFactory(customer=customer)
    beach = PropertyFactory(customer=customer)
    paid = make_invoice(prop=home, total="100.00", issued="2026-01-05")
    services.payment_record(
        ctx,
        invoice_id=paid.pk,
        amount=Decimal("100.00"),
        paid_date=D(2026, 1, 10),
        reference="CHK-7",
    )
    partial = make_invoice(prop=beach, total="250.50", issued="2026-01-05")
    services.payment_record(
        ctx, invoice_id=partial.pk, amount=Decimal("50.25"), paid_date=D(2026, 1, 20), method="cash"
    )
    void = make_invoice(prop=home, total="999.99", issued="2026-01-12")
    services.invoice_void(ctx, invoice=void, reason="Wrong amount")
    draft = make_invoice(prop=home, total="80.25", issued="2026-01-31", status="draft")
    make_invoice(prop=home, total="70.00", issued="2026-02-01")
    make_invoice(total="55.00", issued="2026-01-10")  # another customer
    return customer, [paid, partial, void, draft]


def url(customer_id, query="from=2026-01-01&to=2026-01-31"):
    return f"/api/v1/reports/customers/{customer_id}/statement?{query}"


def test_api_totals_match_hand_computed_figures(staff_client_api, history):
    customer, invoices = history
    response = staff_client_api.get(url(customer.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: v for k, v in body.items() if k != "items"} == {
        "customer_id": customer.pk,
        "customer_name": "Martha Perez",
        "from_date": "2026-01-01",
        "to_date": "2026-01-31",
        "total": "430.75",
        "paid_total": "150.25",
        "credited_total": "0.00",
        "balance_due": "280.50",
        # Nothing was owed before January; what was paid in it, and what is owed at its end.
        "opening_balance": "0.00",
        "invoiced_total": "350.50",
        "payments": [
            {
                "payment_id": invoices[0].payments.get().pk,
                "invoice_id": invoices[0].pk,
                "number": invoices[0].number,
                "paid_date": "2026-01-10",
                "amount": "100.00",
                "method": "other",
                "reference": "CHK-7",
            },
            {
                "payment_id": invoices[1].payments.get().pk,
                "invoice_id": invoices[1].pk,
                "number": invoices[1].number,
                "paid_date": "2026-01-20",
                "amount": "50.25",
                "method": "cash",
                "reference": None,
            },
        ],
        "payments_total": "150.25",
        "credits": [],
        "credits_total": "0.00",
        "credit_applications": [],
        "applied_total": "0.00",
        "closing_balance": "200.25",
        "unapplied_credit": "0.00",
    }
    # Ordered by issued_date then invoice_id; the void one is listed but owes nothing.
    assert [item["invoice_id"] for item in body["items"]] == [i.pk for i in invoices]
    assert body["items"][1] == {
        "invoice_id": invoices[1].pk,
        "number": invoices[1].number,
        "issued_date": "2026-01-05",
        "due_date": "2026-01-12",
        "status": "sent",
        "total": "250.50",
        "amount_paid": "50.25",
        "amount_credited": "0.00",
        "balance_due": "200.25",
        "lines": [],
    }
    assert (body["items"][2]["status"], body["items"][2]["balance_due"]) == ("void", "0.00")


def test_older_debt_is_carried_into_later_periods(ctx, staff_client_api, admin_user, history):
    """The customer owes 200.25 from January (the draft is not owed), 70.00 from February, and
    pays 100.00 in June."""
    customer, invoices = history
    june = services.payment_record(
        ctx, invoice_id=invoices[1].pk, amount=Decimal("100.00"), paid_date=D(2026, 6, 3)
    )
    body = staff_client_api.get(url(customer.pk, "from=2026-06-01&to=2026-12-31")).json()
    assert (body["items"], body["total"], body["balance_due"]) == ([], "0.00", "0.00")
    assert (body["opening_balance"], body["payments_total"], body["closing_balance"]) == (
        "270.25",
        "100.00",
        "170.25",
    )
    assert [p["payment_id"] for p in body["payments"]] == [june.pk]
    # February: January's debt brought forward, February's invoice, nothing paid.
    body = staff_client_api.get(url(customer.pk, "from=2026-02-01&to=2026-02-28")).json()
    assert (body["opening_balance"], body["invoiced_total"], body["closing_balance"]) == (
        "200.25",
        "70.00",
        "270.25",
    )
    # A reversed payment counts as nothing: the June payment never happened.
    services.payment_reverse(
        Ctx.for_user(admin_user, default_company()), payment_id=june.pk, reason="Bounced"
    )
    body = staff_client_api.get(url(customer.pk, "from=2026-06-01&to=2026-12-31")).json()
    assert (body["payments"], body["closing_balance"]) == ([], "270.25")
    body = staff_client_api.get(url(customer.pk, "from=2026-07-01&to=2026-12-31")).json()
    assert body["opening_balance"] == "270.25"


def test_api_errors(staff_client_api, history):
    customer, _ = history
    body = error(
        staff_client_api.get(url(customer.pk, "from=2026-02-01&to=2026-01-01")),
        400,
        "invalid_date_range",
    )
    assert body["message"] == "The period starts (2026-02-01) after it ends (2026-01-01)"
    error(staff_client_api.get(url(999999)), 404, "customer_not_found")
    body = error(staff_client_api.get(url(customer.pk, "from=2026-13-01")), 422)
    assert set(locs(body)) == {("query", "from"), ("query", "to")}
    body = error(staff_client_api.get(url("abc")), 422)
    assert ("path", "customer_id") in locs(body)


def test_empty_period(staff_client_api, history):
    customer, _ = history
    body = staff_client_api.get(url(customer.pk, "from=2030-01-01&to=2030-12-31")).json()
    assert (body["items"], body["total"], body["paid_total"], body["balance_due"]) == (
        [],
        "0.00",
        "0.00",
        "0.00",
    )


@pytest.mark.parametrize("extra", [0, 15])
def test_queries_do_not_grow_with_invoices(
    ctx, staff_client_api, history, django_assert_num_queries, extra
):
    customer, _ = history
    prop = PropertyFactory(customer=customer)
    for n in range(extra):
        invoice = services.invoice_create(
            ctx,
            customer_id=customer.pk,
            property_id=prop.pk,
            period_start=D(2026, 1, 1),
            period_end=D(2026, 1, 20),
            issued_date=D(2026, 1, 20),
            lines=[
                {"kind": "service", "description": f"Repair {n}", "unit_price": Decimal("9.00")},
                {"kind": "part", "description": "Gasket", "unit_price": Decimal("1.00")},
            ],
        )
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("1.00"))
        credit = CreditFactory(customer=customer, amount=Decimal("2.00"))
        credit_apply_raw(credit, invoice, "1.00")
    # Session + user, customer (with what was owed before), items (the totals are summed from
    # the items), their lines, the period's payments, credits and credit applications.
    with django_assert_num_queries(7):
        response = staff_client_api.get(url(customer.pk))
    body = response.json()
    assert len(body["items"]) == 4 + extra
    assert sum(len(item["lines"]) for item in body["items"]) == 2 * extra
    assert (len(body["credits"]), len(body["credit_applications"])) == (extra, extra)


def run(*args) -> str:
    out = io.StringIO()
    call_command("statement", *args, stdout=out)
    return out.getvalue()


def test_command_text_csv_html(history):
    customer, invoices = history
    period = ["--from", "2026-01-01", "--to", "2026-01-31"]
    text = run(str(customer.pk), *period)
    # Named, not numbered (no "#8").
    assert f"Customer: Martha Perez <{customer.email}>" in text.splitlines()
    assert invoices[0].number in text
    lines = [line.split() for line in text.splitlines()]
    assert ["Total", "billed", "430.75"] in lines
    assert ["Balance", "due", "on", "these", "invoices", "280.50"] in lines
    assert ["2026-01-20", invoices[1].number, "cash", "50.25"] in lines
    assert lines[-5:-1] == [
        ["Balance", "brought", "forward", "0.00"],
        ["Invoiced", "in", "the", "period", "350.50"],
        ["Payments", "received", "in", "the", "period", "-150.25"],
        ["Balance", "due", "on", "2026-01-31", "200.25"],
    ]

    rows = list(csv.reader(io.StringIO(run(str(customer.pk), *period, "--format", "csv"))))
    assert rows[0][0] == "invoice_id"
    assert [row[0] for row in rows[1:-7]] == [str(i.pk) for i in invoices]
    assert rows[-7] == ["total", "", "", "", "", "430.75", "150.25", "280.50"]
    assert rows[-6:] == [
        ["opening_balance", "", "", "", "", "", "", "0.00"],
        ["invoiced_total", "", "", "", "", "", "", "350.50"],
        ["payments_total", "", "", "", "", "", "", "150.25"],
        ["credits_total", "", "", "", "", "", "", "0.00"],
        ["closing_balance", "", "", "", "", "", "", "200.25"],
        ["unapplied_credit", "", "", "", "", "", "", "0.00"],
    ]

    html = run(str(customer.pk), *period, "--format", "html")
    # The printable statement: the company's letterhead, no period form.
    assert default_company().name in html and "$280.50" in html and "<form" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "--from", "2026-01-01", "--to", "2026-01-31"], "Customer not found"),
        (["1", "--from", "2026-02-01", "--to", "2026-01-01"], "starts (2026-02-01) after it ends"),
        (["1", "--from", "01/02/2026", "--to", "2026-01-31"], "not a date in the form YYYY-MM-DD"),
    ],
)
def test_command_errors(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)


class TestAdminPage:
    def path(self, customer_id, query="?from=2026-01-01&to=2026-01-31"):
        return f"/admin/billing/invoice/statement/{customer_id}/{query}"

    def test_printable_statement(self, client, staff_user, history):
        customer, invoices = history
        client.force_login(staff_user)
        response = client.get(self.path(customer.pk))
        assert response.status_code == 200
        html = response.content.decode()
        assert default_company().name in html
        assert "Martha Perez" in html
        assert "430.75" in html and "150.25" in html and "280.50" in html
        assert invoices[1].number in html
        assert "@media print" in html
        # The customer by name and email, not "Customer no. 8".
        assert customer.email in html and "Customer no." not in html
        assert "Payments received in the period" in html and "CHK-7" in html
        assert "Balance due on Jan 31, 2026" in html
        assert f'href="{self.path(customer.pk, "pdf/?from=2026-01-01&amp;to=2026-01-31")}"' in html

    def test_printable_statement_carries_older_debt(self, client, staff_user, history):
        customer, _ = history
        client.force_login(staff_user)
        html = client.get(self.path(customer.pk, "?from=2026-06-01&to=2026-12-31")).content
        text = re.sub(r"\s+", " ", html.decode())
        assert 'Balance brought forward</td><td class="num">$270.25' in text
        assert 'Balance due on Dec 31, 2026</td><td class="num">$270.25' in text
        assert "No payments received in this period." in text

    def test_link_helper(self, history):
        from billing.admin import statement_link, statement_url

        customer, _ = history
        assert statement_url(customer.pk) == f"/admin/billing/invoice/statement/{customer.pk}/"
        assert 'href="/admin/billing/invoice/statement/' in statement_link(customer.pk)

    def test_period_errors_shown_on_the_page(self, client, staff_user, history):
        customer, _ = history
        client.force_login(staff_user)
        response = client.get(self.path(customer.pk, "?from=2026-02-01&to=2026-01-01"))
        assert response.status_code == 400
        assert "after it ends" in response.content.decode()
        assert client.get(self.path(999999)).status_code == 404
        assert client.get(self.path(customer.pk, "")).status_code == 200  # the period form

    def test_needs_view_invoice(self, client, history):
        from accounts.tests.factories import UserFactory

        customer, _ = history
        # A member of no company: no role, no permission.
        nobody = UserFactory(username="noperms", company=False)
        client.force_login(nobody)
        assert client.get(self.path(customer.pk)).status_code == 403

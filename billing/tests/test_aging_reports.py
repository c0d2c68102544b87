"""Aging's API, admin page and command: one selector (billing.aging), three renderings."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing import services
from billing.tests.conftest import make_invoice
from billing.tests.test_api_invoices import error, locs
from customers.tests.factories import CustomerFactory, PropertyFactory
from tenancy.scoping import company_today
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/aging"
PAGE = "/admin/billing/invoice/aging/"


@pytest.fixture
def owed(ctx):
    """On 2026-06-30 Ana owes 100.00 current (due 07-05) and 60.00 of a 100.00 due 05-01 (60
    days: 31_60; 40.00 paid 06-10, 25.00 more on 07-02 after the day); Luis owes 10.50 due
    03-01 (121 days: over_90)."""
    ana = PropertyFactory(customer=CustomerFactory(first_name="Ana", last_name="Colon"))
    luis = PropertyFactory(customer=CustomerFactory(first_name="Luis", last_name="Diaz"))
    make_invoice(prop=ana, issued="2026-06-25", due_date=datetime.date(2026, 7, 5))
    late = make_invoice(prop=ana, issued="2026-04-20", due_date=datetime.date(2026, 5, 1))
    for amount, day in (
        ("40.00", datetime.date(2026, 6, 10)),
        ("25.00", datetime.date(2026, 7, 2)),
    ):
        services.payment_record(ctx, invoice_id=late.pk, amount=Decimal(amount), paid_date=day)
    make_invoice(prop=luis, total="10.50", issued="2026-02-20", due_date=datetime.date(2026, 3, 1))
    return ana.customer, luis.customer


def test_api_answers_the_contract_shape(staff_client_api, owed):
    ana, luis = owed
    response = staff_client_api.get(URL, {"as_of": "2026-06-30"})
    assert response.status_code == 200, response.content
    zero = "0.00"
    assert response.json() == {
        "as_of": "2026-06-30",
        "buckets": ["current", "1_30", "31_60", "61_90", "over_90"],
        "totals": {
            "current": "100.00",
            "1_30": zero,
            "31_60": "60.00",
            "61_90": zero,
            "over_90": "10.50",
        },
        "total": "170.50",
        "customers": [
            {
                "customer_id": ana.pk,
                "name": "Ana Colon",
                "current": "100.00",
                "1_30": zero,
                "31_60": "60.00",
                "61_90": zero,
                "over_90": zero,
                "total": "160.00",
            },
            {
                "customer_id": luis.pk,
                "name": "Luis Diaz",
                "current": zero,
                "1_30": zero,
                "31_60": zero,
                "61_90": zero,
                "over_90": "10.50",
                "total": "10.50",
            },
        ],
    }


def test_api_as_of_defaults_to_the_company_today(staff_client_api, ctx, owed):
    body = staff_client_api.get(URL).json()
    assert body["as_of"] == company_today(ctx).isoformat()
    # By today the 25.00 counts too: 35.00 is left of the late invoice.
    assert body["total"] == "145.50"


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "", "2026-6-30", "20260630"])
def test_api_bad_date_is_422(staff_client_api, value):
    body = error(staff_client_api.get(URL, {"as_of": value}), 422)
    assert list(locs(body)) == [("query", "as_of")]


def test_api_query_count_is_fixed(staff_client_api, owed, django_assert_num_queries):
    staff_client_api.get(URL)  # warm the session's caches
    with django_assert_num_queries(3):  # the session, the amounts, the names
        assert staff_client_api.get(URL, {"as_of": "2026-06-30"}).status_code == 200


def test_admin_page_shows_buckets_and_links_customers_to_their_invoices(staff_web, owed):
    ana, _ = owed
    response = staff_web.get(PAGE, {"as_of": "2026-06-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["report"].total == Decimal("170.50")
    assert f'href="/admin/billing/invoice/?customer__id__exact={ana.pk}">Ana Colon</a>' in page
    for shown in ("$100.00", "$60.00", "$10.50", "$170.50", "Total (2 customers)"):
        assert shown in page
    assert 'href="?as_of=2026-06-30&amp;format=csv"' in page


def test_admin_page_defaults_to_today_and_is_linked_from_the_invoices(staff_web, ctx, owed):
    response = staff_web.get(PAGE)
    assert response.status_code == 200
    assert response.context["report"].as_of == company_today(ctx)
    assert PAGE in staff_web.get("/admin/billing/invoice/").content.decode()


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-45", "abc"])
def test_admin_page_bad_date_says_why(staff_web, value):
    response = staff_web.get(PAGE, {"as_of": value})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_as_of_the_calendars_first_day_owes_nothing(staff_web, staff_client_api, owed):
    # Its buckets' starts would be before that day (an OverflowError: a 500, API and admin).
    first = {"as_of": "0001-01-01"}
    assert staff_client_api.get(URL, first).json()["total"] == "0.00"
    assert staff_web.get(PAGE, first).context["report"].total == 0
    rows = list(csv.reader(io.StringIO(staff_web.get(PAGE, {**first, "format": "csv"}).text)))
    assert rows[-1][-1] == "0.00"


def test_admin_csv_has_every_customer_and_the_totals(staff_web, owed):
    CustomerFactory(first_name="=SUM(A1)", last_name="Evil")
    evil = PropertyFactory(customer=CustomerFactory(first_name="=SUM(A1)", last_name="Evil"))
    make_invoice(prop=evil, total="1.00", issued="2026-06-01", due_date=None)
    response = staff_web.get(PAGE, {"as_of": "2026-06-30", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="aging-2026-06-30.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "customer_id",
        "customer",
        "current",
        "1_30",
        "31_60",
        "61_90",
        "over_90",
        "total",
    ]
    assert [row[1:] for row in rows[1:]] == [
        ["Ana Colon", "100.00", "0.00", "60.00", "0.00", "0.00", "160.00"],
        ["Luis Diaz", "0.00", "0.00", "0.00", "0.00", "10.50", "10.50"],
        ["'=SUM(A1) Evil", "1.00", "0.00", "0.00", "0.00", "0.00", "1.00"],
        ["Total", "101.00", "0.00", "60.00", "0.00", "10.50", "171.50"],
    ]


def test_admin_page_pages_the_customers(staff_web, ctx, monkeypatch):
    monkeypatch.setattr("billing.admin.AGING_PAGE_SIZE", 2)
    for _ in range(3):
        make_invoice(issued="2026-06-01")
    first = staff_web.get(PAGE, {"as_of": "2026-06-30"})
    assert len(first.context["rows"]) == 2 and "Page 1 of 2" in first.content.decode()
    second = staff_web.get(PAGE, {"as_of": "2026-06-30", "page": "2"})
    assert len(second.context["rows"]) == 1
    assert "$300.00" in second.content.decode()  # the totals are of every customer


def test_technicians_cannot_open_the_admin_page(technician_user):
    from conftest import web_client_for

    assert web_client_for(technician_user).get(PAGE).status_code in (302, 403)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("aging_report", *args, stdout=out)
    return out.getvalue()


def test_command_text(owed):
    assert run("--as-of", "2026-06-30").splitlines() == [
        "Aging as of 2026-06-30",
        "",
        "Customer         Current         1-30        31-60        61-90      Over 90        Total",
        "Ana Colon         100.00         0.00        60.00         0.00         0.00       160.00",
        "Luis Diaz           0.00         0.00         0.00         0.00        10.50        10.50",
        "Total             100.00         0.00        60.00         0.00        10.50       170.50",
        "",
        "2 customers owe 170.50 in total",
    ]


def test_command_csv_and_nothing_owed(owed):
    rows = list(csv.reader(io.StringIO(run("--as-of", "2026-06-30", "--format", "csv"))))
    assert rows[-1] == ["", "Total", "100.00", "0.00", "60.00", "0.00", "10.50", "170.50"]
    assert len(rows) == 4
    assert run("--as-of", "2026-01-01").splitlines() == [
        "Aging as of 2026-01-01",
        "Nothing is owed.",
    ]


def test_command_csv_writes_a_formula_name_as_text(owed):
    ana, _ = owed
    ana.first_name = "=HYPERLINK(x)"
    ana.save()
    rows = list(csv.reader(io.StringIO(run("--as-of", "2026-06-30", "--format", "csv"))))
    assert [row[1] for row in rows[1:-1]] == ["'=HYPERLINK(x) Colon", "Luis Diaz"]


def test_command_company_and_bad_date(owed):
    other = CompanyFactory(slug="other")
    assert "Nothing is owed." in run("--as-of", "2026-06-30", "--company", other.slug)
    with pytest.raises(CommandError, match="'2026-02-30' is not a date in the form YYYY-MM-DD"):
        run("--as-of", "2026-02-30")

"""The office dashboard's figures (billing.dashboard.office_summary): exact after every kind of
write, relative to the day asked for, in a fixed number of queries; and the running figures
behind them (ReceivablesByDueDate) always equal a recount from the invoices and payments."""

import datetime
import importlib
import io
import random
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import services
from billing.dashboard import billed_and_collected, office_summary
from billing.models import NO_DUE_DATE, Invoice, InvoiceStatus, Payment, ReceivablesByDueDate
from billing.selectors import invoice_get, receivables_drift
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory, PaymentFactory
from billing.tests.test_api_invoices import payload
from core.context import Ctx
from core.errors import ApplicationError
from customers.tests.factories import PropertyFactory
from ektor.testing import migrate_to
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def d(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def figures(today: datetime.date = TODAY) -> dict:
    """The dashboard's invoice figures, after checking the running figures against a recount."""
    assert receivables_drift(Ctx.system(default_company())) == {}
    office = office_summary(Ctx.system(default_company()), today=today)
    return {
        "open": (office.open_count, office.open_balance),
        "overdue": (office.overdue_count, office.overdue_balance),
        "drafts": (office.draft_count, office.draft_total),
    }


def money(value: str) -> Decimal:
    return Decimal(value)


def pay(invoice, amount: str, paid_date: str = "2026-03-05"):
    return services.payment_record(
        Ctx.system(default_company()),
        invoice_id=invoice.pk,
        amount=Decimal(amount),
        paid_date=d(paid_date),
    )


def test_empty(ctx):
    assert figures() == {
        "open": (0, money("0.00")),
        "overdue": (0, money("0.00")),
        "drafts": (0, money("0.00")),
    }
    office = office_summary(ctx, today=TODAY)
    assert (office.month_payment_count, office.month_payment_total) == (0, money("0.00"))
    assert office.most_overdue == []


def test_figures_stay_exact_through_sends_payments_and_voids(ctx):
    late = make_invoice(total="100.00", issued="2026-02-01")  # due Feb 8: overdue
    assert figures() == {
        "open": (1, money("100.00")),
        "overdue": (1, money("100.00")),
        "drafts": (0, money("0.00")),
    }
    draft = make_invoice(total="250.00", status="draft", issued="2026-03-09")  # due Mar 16
    assert figures()["drafts"] == (1, money("250.00"))
    services.invoice_update(
        ctx, invoice=draft, data={"subtotal": money("300.00"), "total": money("300.00")}
    )
    assert figures()["drafts"] == (1, money("300.00"))

    services.invoice_send(ctx, invoice=draft)
    assert figures() == {
        "open": (2, money("400.00")),
        "overdue": (1, money("100.00")),  # the sent draft is not due yet
        "drafts": (0, money("0.00")),
    }

    pay(late, "40.00")
    assert figures()["open"] == (2, money("360.00"))
    assert figures()["overdue"] == (1, money("60.00"))

    # A payment on a draft sends it first.
    paid_draft = make_invoice(total="50.00", status="draft", issued="2026-02-20")  # due Feb 27
    assert figures()["drafts"] == (1, money("50.00"))
    pay(paid_draft, "20.00")
    assert figures() == {
        "open": (3, money("390.00")),
        "overdue": (2, money("90.00")),
        "drafts": (0, money("0.00")),
    }

    # Paid in full: it leaves the open and overdue figures with everything paid on it.
    pay(late, "60.00")
    assert figures()["open"] == (2, money("330.00"))
    assert figures()["overdue"] == (1, money("30.00"))

    # Voided: a sent invoice without payments, and a draft.
    services.invoice_void(ctx, invoice=draft, reason="Billed twice")
    assert figures()["open"] == (1, money("30.00"))
    services.invoice_void(
        ctx,
        invoice=make_invoice(total="70.00", status="draft", issued="2026-03-01"),
        reason="Wrong",
    )
    assert figures() == {
        "open": (1, money("30.00")),
        "overdue": (1, money("30.00")),
        "drafts": (0, money("0.00")),
    }

    # A refused write changes nothing.
    with pytest.raises(ApplicationError):
        pay(paid_draft, "30.01")
    assert figures()["open"] == (1, money("30.00"))

    # No due date: open, never overdue.
    make_invoice(total="12.34", issued="2020-01-01", due_date=None)
    assert figures()["open"] == (2, money("42.34"))
    assert figures(d("9999-12-30"))["overdue"] == (1, money("30.00"))

    office = office_summary(ctx, today=TODAY)
    assert [invoice.pk for invoice in office.most_overdue] == [paid_draft.pk]
    assert (office.month_payment_count, office.month_payment_total) == (3, money("120.00"))


def test_a_reversed_payment_counts_as_nothing_on_the_dashboard(ctx, admin_user):
    late = make_invoice(total="100.00", issued="2026-02-01")  # due Feb 8: overdue
    partial = pay(late, "40.00")
    rest = pay(late, "60.00")
    assert figures()["overdue"] == (0, money("0.00"))
    # The paid invoice is owed again (sent), with the other payment still on it.
    services.payment_reverse(
        Ctx.for_user(admin_user, default_company()), payment_id=rest.pk, reason="Bounced"
    )
    assert figures()["overdue"] == (1, money("60.00"))
    services.payment_reverse(
        Ctx.for_user(admin_user, default_company()), payment_id=partial.pk, reason="Wrong invoice"
    )
    assert figures() == {
        "open": (1, money("100.00")),
        "overdue": (1, money("100.00")),
        "drafts": (0, money("0.00")),
    }
    office = office_summary(ctx, today=TODAY)
    assert (office.month_payment_count, office.month_payment_total) == (0, money("0.00"))
    pay(late, "25.00")
    office = office_summary(ctx, today=TODAY)
    assert (office.month_payment_count, office.month_payment_total) == (1, money("25.00"))
    assert figures()["overdue"] == (1, money("75.00"))


def test_overdue_is_relative_to_the_day_asked_for(ctx):
    make_invoice(total="100.00", issued="2026-03-03", due_date=d("2026-03-10"))
    pay(make_invoice(total="80.00", issued="2026-03-04", due_date=d("2026-03-11")), "30.00")
    # Due today is not yet overdue; the day after it is.
    assert figures(d("2026-03-10"))["overdue"] == (0, money("0.00"))
    assert figures(d("2026-03-11"))["overdue"] == (1, money("100.00"))
    assert figures(d("2026-03-12"))["overdue"] == (2, money("150.00"))
    assert figures(d("2026-03-12"))["open"] == (2, money("150.00"))
    assert [i.total for i in office_summary(ctx, today=d("2026-03-11")).most_overdue] == [
        money("100.00")
    ]


def test_payments_of_the_month_start_on_the_first_and_end_today(ctx):
    invoice = make_invoice(total="1000.00", issued="2026-01-10")
    for paid_date, amount in [
        ("2026-02-28", "1.00"),
        ("2026-03-01", "2.00"),
        ("2026-03-10", "4.00"),
        ("2026-03-11", "8.00"),  # dated after "today": not yet counted
    ]:
        pay(invoice, amount, paid_date)

    def month(today: str) -> tuple:
        office = office_summary(ctx, today=d(today))
        return office.month_start, office.month_payment_count, office.month_payment_total

    assert month("2026-02-28") == (d("2026-02-01"), 1, money("1.00"))
    assert month("2026-03-01") == (d("2026-03-01"), 1, money("2.00"))
    assert month("2026-03-10") == (d("2026-03-01"), 2, money("6.00"))
    assert month("2026-03-31") == (d("2026-03-01"), 3, money("14.00"))
    assert month("2026-04-01") == (d("2026-04-01"), 0, money("0.00"))


@pytest.mark.parametrize("rows", [1, 15])
def test_query_count_is_fixed(ctx, rows, django_assert_num_queries):
    for n in range(rows):
        invoice = make_invoice(total="50.00", issued=f"2026-01-{n + 1:02d}")
        pay(invoice, "10.00")
        make_invoice(total="5.00", status="draft", issued=f"2026-02-{n + 1:02d}")
    # The running figures, the drafts, the payments of the month, the most overdue and their
    # customers.
    with django_assert_num_queries(5):
        office = office_summary(ctx, today=TODAY)
    assert office.open_count == rows and office.draft_count == rows
    assert len(office.most_overdue) == min(rows, 10)


def test_running_figures_equal_a_recount_after_any_mix_of_writes(ctx):
    rng = random.Random(20261122)
    invoices = []
    for step in range(120):
        action = rng.choice(
            ["create", "create", "update", "send", "void", "pay", "pay", "settle", "reverse"]
        )
        try:
            if action == "create" or not invoices:
                due = rng.choice(
                    [None, *(d("2026-03-01") + datetime.timedelta(n) for n in range(20))]
                )
                issued = min(due, TODAY) if due else TODAY
                invoices.append(
                    make_invoice(
                        total=f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}",
                        status=rng.choice(["draft", "sent"]),
                        issued=issued.isoformat(),
                        due_date=due,
                    )
                )
            else:
                invoice = rng.choice(invoices)
                if action == "update":
                    amount = Decimal(f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}")
                    services.invoice_update(
                        ctx, invoice=invoice, data={"subtotal": amount, "total": amount}
                    )
                elif action == "send":
                    services.invoice_send(ctx, invoice=invoice)
                elif action == "void":
                    services.invoice_void(ctx, invoice=invoice, reason="Mix")
                elif action == "reverse":
                    payment = invoice.payments.filter(reversed_at__isnull=True).first()
                    if payment is not None:
                        services.payment_reverse(ctx, payment_id=payment.pk, reason="Mix")
                elif action == "settle":
                    balance = invoice_get(ctx, invoice_id=invoice.pk).balance_due
                    pay(invoice, str(balance or Decimal("0.01")))
                else:
                    pay(invoice, f"{rng.randrange(1, 200)}.{rng.randrange(100):02d}")
        except ApplicationError:
            pass  # refused (not a draft, paid, void, over the balance): nothing may change
        assert receivables_drift(ctx) == {}, f"after step {step} ({action})"
    # The mix reached every status, and reversed payments.
    assert set(Invoice.unscoped.values_list("status", flat=True)) == set(InvoiceStatus.values)
    assert Payment.unscoped.filter(reversed_at__isnull=False).exists()


def _old_invoice(old, *, total: str, status: str = "sent", due: str | None = "2026-02-10", **kw):
    """An invoice row as billing 0003's schema holds it (with a customer and property of the
    test company)."""
    companies = old.get_model("tenancy", "Company").objects.order_by("id")
    # A transactional test before this one may have flushed the migrations' first company.
    company = companies.first() or companies.create(slug="main", name="My pool company")
    customer = old.get_model("customers", "Customer").objects.create(
        company_id=company.pk, first_name="Ana", last_name="Rivera"
    )
    prop = old.get_model("customers", "Property").objects.create(
        company_id=company.pk, customer=customer, label="Casa", address1="1 Calle Sol"
    )
    return old.get_model("billing", "Invoice").objects.create(
        customer=customer,
        property=prop,
        period_start=d("2026-01-01"),
        period_end=d("2026-01-31"),
        issued_date=d("2026-02-01"),
        due_date=d(due) if due else None,
        subtotal=Decimal(total),
        total=Decimal(total),
        status=status,
        number=kw.pop("number", None),
        **kw,
    )


@pytest.mark.django_db(transaction=True)
def test_the_data_migrations_fill_the_figures_and_settle_zero_invoices():
    """billing 0004 fills the running figures from the rows there (drafts left out), 0005
    settles the 0.00 invoices sent before; 0008 gives the figures the first company."""
    try:
        old = migrate_to(("billing", "0003_invoice_tally_payment_paid_amount"))
        payment = old.get_model("billing", "Payment")
        late = _old_invoice(old, total="100.00", number="INV-2026-000001")
        payment.objects.create(invoice=late, amount=Decimal("33.33"), paid_date=d("2026-02-05"))
        _old_invoice(old, total="20.00", due=None, number="INV-2026-000002")
        _old_invoice(old, total="7.50", status="draft")
        zero = _old_invoice(old, total="0.00", due=None, number="INV-2026-000003")
        migrate_to()
    finally:
        migrate_to()
    ctx = Ctx.system(default_company())
    assert receivables_drift(ctx) == {}
    assert Invoice.unscoped.get(pk=zero.pk).status == "paid"
    assert figures(TODAY) == {
        "open": (2, money("86.67")),
        "overdue": (1, money("66.67")),
        "drafts": (1, money("7.50")),
    }
    rows = ReceivablesByDueDate.unscoped.filter(company=ctx.company)
    assert rows.get(status="sent", due_by=NO_DUE_DATE).invoice_count == 1
    assert set(rows.values_list("status", flat=True)) == {"sent"}


def test_draft_writes_lock_no_receivables_row(ctx):
    """Drafts are not in the running figures, so creating, changing and voiding a draft never
    touches billing_receivablesbyduedate (the admin's change view edits a draft and records
    payments in one transaction; see test_concurrency for the deadlock this avoids)."""
    with CaptureQueriesContext(connection) as queries:
        draft = make_invoice(total="80.00", status="draft")
        services.invoice_update(
            ctx, invoice=draft, data={"subtotal": money("90.00"), "total": money("90.00")}
        )
        services.invoice_void(ctx, invoice=draft, reason="Wrong customer")
        services.invoice_void(ctx, invoice=make_invoice(status="draft"), reason="Twice")
    assert [q["sql"] for q in queries if "receivablesbyduedate" in q["sql"]] == []
    assert not ReceivablesByDueDate.unscoped.exists()
    draft = make_invoice(total="80.00", status="draft")
    assert figures()["drafts"] == (1, money("80.00"))
    # Sending it (after the counter) is the first write to its due date's row.
    with CaptureQueriesContext(connection) as queries:
        services.invoice_send(ctx, invoice=draft)
    tables = [
        table
        for q in queries
        for table in ("invoicecounter", "receivablesbyduedate")
        if f"billing_{table}" in q["sql"]
    ]
    assert tables[-1] == "receivablesbyduedate" and tables.count("receivablesbyduedate") == 1
    assert "invoicecounter" in tables
    assert figures()["drafts"] == (0, money("0.00"))


def test_the_command_finds_and_fixes_rows_written_around_the_services():
    out = io.StringIO()
    call_command("receivables", stdout=out)
    assert out.getvalue() == "receivables: exact\n"
    # Raw rows, as raw SQL or older code would leave them.
    sent = InvoiceFactory(status=InvoiceStatus.SENT, number="INV-2026-900001")
    PaymentFactory(invoice=sent, amount=Decimal("25.00"))
    InvoiceFactory(status=InvoiceStatus.DRAFT, subtotal=Decimal("40.00"))
    with pytest.raises(CommandError) as excinfo:
        call_command("receivables", stdout=(out := io.StringIO()))
    assert str(excinfo.value) == "receivables: 1 row differs from the invoices; run with --fix"
    # The draft is not in the running figures: the dashboard counts drafts from the invoices.
    assert out.getvalue().splitlines() == [
        "receivables sent due 2026-01-18: short by 1 invoice, 100.00 billed and 25.00 paid",
    ]
    call_command("receivables", "--fix", stdout=(out := io.StringIO()))
    assert out.getvalue().endswith("receivables: fixed 1 row\n")
    assert figures() == {
        "open": (1, money("75.00")),
        "overdue": (1, money("75.00")),
        "drafts": (1, money("40.00")),
    }
    # Writes through the services go on from the fixed figures.
    pay(sent, "75.00")
    assert figures()["open"] == (0, money("0.00"))


def test_the_command_words_rows_that_count_too_much():
    # Rows with no invoices behind them, as a raw delete of invoices would leave them.
    for month, count, total, paid in ((2, 2, "50.00", "0.00"), (3, 1, "10.00", "5.00")):
        ReceivablesByDueDate.unscoped.create(
            company=default_company(),
            status=InvoiceStatus.SENT,
            due_by=datetime.date(2026, month, 1),
            invoice_count=count,
            total=Decimal(total),
            paid=Decimal(paid),
        )
    with pytest.raises(CommandError) as excinfo:
        call_command("receivables", stdout=(out := io.StringIO()))
    assert str(excinfo.value) == "receivables: 2 rows differ from the invoices; run with --fix"
    assert out.getvalue().splitlines() == [
        "receivables sent due 2026-02-01: over by 2 invoices and 50.00 billed",
        "receivables sent due 2026-03-01: over by 1 invoice, 10.00 billed and 5.00 paid",
    ]


def test_a_row_short_of_one_figure_and_over_another_says_both():
    command = importlib.import_module("billing.management.commands.receivables")
    assert command._differences(0, Decimal("12.50"), Decimal("-3.00")) == (
        "short by 12.50 billed; over by 3.00 paid"
    )


@pytest.mark.mariadb
def test_figures_of_invoices_near_the_largest_amount(ctx, admin_client_api):
    """A single amount has 12 digits (up to 9,999,999,999.99); the running figures sum many of
    them, so their columns are wider: a second big invoice due the same day is a 201, not a
    500 (MariaDB strict mode refused the sum with error 1264), and the figures stay exact."""
    big = "6000000000.00"
    for status in ("sent", "sent", "draft", "draft"):
        prop = PropertyFactory()
        response = admin_client_api.post(
            "/api/v1/invoices",
            payload(prop, subtotal=big, tax="0.00", total=big, status=status),
            format="json",
        )
        assert response.status_code == 201, response.content
    first = Invoice.unscoped.filter(status="sent").order_by("id").first()
    pay(first, "5999999999.99", "2026-03-02")
    assert ReceivablesByDueDate.unscoped.get().total == money("12000000000.00")
    assert figures() == {
        "open": (2, money("6000000000.01")),
        "overdue": (2, money("6000000000.01")),
        "drafts": (2, money("12000000000.00")),
    }
    office = office_summary(ctx, today=TODAY)
    assert (office.month_payment_count, office.month_payment_total) == (
        1,
        money("5999999999.99"),
    )


def test_billed_and_collected_by_month_in_two_queries(ctx, django_assert_num_queries):
    # Billed: sent and paid invoices by issue month; drafts, void invoices and those before the
    # twelve months are left out. Collected: payments by their date, reversed ones left out.
    make_invoice(total="100.00", issued="2026-03-02")
    pay(make_invoice(total="50.00", issued="2026-01-31"), "50.00", "2026-02-01")
    pay(make_invoice(total="30.00", issued="2025-04-01"), "10.00", "2025-04-30")
    make_invoice(total="900.00", issued="2025-03-31")  # a month too old
    make_invoice(total="7.00", status="draft", issued="2026-03-05")
    services.invoice_void(ctx, invoice=make_invoice(total="8.00", issued="2026-03-06"), reason="x")
    reversed_ = pay(make_invoice(total="20.00", issued="2026-02-10"), "20.00", "2026-03-01")
    services.payment_reverse(ctx, payment_id=reversed_.pk, reason="Bounced")
    with django_assert_num_queries(2):
        months = billed_and_collected(ctx, today=TODAY)
    assert [m.month for m in months][:2] == [d("2025-04-01"), d("2025-05-01")]
    assert months[-1].month == d("2026-03-01") and len(months) == 12
    figures = {
        f"{m.month:%Y-%m}": (m.billed, m.collected) for m in months if m.billed or m.collected
    }
    assert figures == {
        "2025-04": (money("30.00"), money("10.00")),
        "2026-01": (money("50.00"), money("0.00")),
        "2026-02": (money("20.00"), money("50.00")),
        "2026-03": (money("100.00"), money("0.00")),
    }


def test_the_dashboard_draws_the_months_as_linked_bars(ctx, admin_web):
    make_invoice(total="1234.50", issued=str(timezone.localdate().replace(day=1)))
    page = admin_web.get("/admin/").content.decode()
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="office-months')
    root = ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])  # noqa: S314
    svg = "{http://www.w3.org/2000/svg}"
    bars = [(a.get("href"), a.find(f"{svg}title").text) for a in root.iter(f"{svg}a")]
    assert len(bars) == 24  # twelve months, billed and collected
    this_month = timezone.localdate().replace(day=1)
    after = (this_month + datetime.timedelta(days=31)).replace(day=1)
    billed_href, billed_title = bars[-2]
    assert billed_title == f"Billed in {this_month:%B %Y}: $1,234.50"
    assert billed_href == (
        f"/admin/billing/invoice/?billed=yes&issued_date__gte={this_month}&issued_date__lt={after}"
    )
    collected_href, collected_title = bars[-1]
    assert collected_title == f"Collected in {this_month:%B %Y}: $0.00"
    assert collected_href == (
        f"/admin/billing/payment/?reversed=no&paid_date__gte={this_month}&paid_date__lt={after}"
    )
    labels = [t.text for t in root.iter(f"{svg}text") if t.get("class") == "chart-label"]
    year, month = divmod(this_month.year * 12 + this_month.month - 12, 12)  # 11 months before
    first_month = datetime.date(year, month + 1, 1)
    assert len(labels) == 12 and labels[0] == f"{first_month:%b %Y}"
    assert labels[-1] == f"{this_month:%b %Y}" if this_month.month == 1 else f"{this_month:%b}"
    # The bars' links list what they count.
    listed = admin_web.get(billed_href)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    assert admin_web.get(collected_href).context["cl"].result_count == 0


def test_the_dashboard_draws_the_aging_buckets_as_linked_bars(ctx, admin_web):
    today = timezone.localdate()

    def due(days_ago: int, total: str):
        due_date = today - datetime.timedelta(days=days_ago)
        issued = min(due_date, today) - datetime.timedelta(days=5)
        return make_invoice(total=total, issued=str(issued), due_date=due_date)

    due(-3, "10.00")  # not yet due
    due(1, "20.00")
    due(30, "30.00")
    due(31, "40.00")
    due(91, "50.00")
    pay(due(45, "60.00"), "60.00", str(today))  # paid: owes nothing
    page = admin_web.get("/admin/").content.decode()
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="office-aging')
    root = ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])  # noqa: S314
    svg = "{http://www.w3.org/2000/svg}"
    bars = [(a.get("href"), a.find(f"{svg}title").text) for a in root.iter(f"{svg}a")]
    assert [title for _, title in bars] == [
        "Not yet due: $10.00",
        "1-30 days: $50.00",
        "31-60 days: $40.00",
        "61-90 days: $0.00",
        "Over 90 days: $50.00",
    ]
    # Each bar's link lists the invoices it counts.
    counts = [admin_web.get(href).context["cl"].result_count for href, _ in bars]
    assert counts == [1, 2, 1, 0, 1]

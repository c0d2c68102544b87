"""`manage.py overdue_report`: overdue invoices by customer, as text or CSV."""

import csv
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing import services
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

AS_OF = "2026-03-01"


@pytest.fixture
def debts(ctx):
    """Ana owes two overdue invoices (one partly paid), Luis one; others are not overdue."""
    ana = CustomerFactory(
        first_name="Ana", last_name="Rivera", email="ana@example.com", phone="787-555-0101"
    )
    luis = CustomerFactory(first_name="Luis", last_name="Ortiz", email="luis@example.com")
    ana_home = PropertyFactory(customer=ana)
    first = make_invoice(prop=ana_home, total="100.00", issued="2026-01-05")  # due 01-12
    services.payment_record(ctx, invoice_id=first.pk, amount=Decimal("40.00"))
    second = make_invoice(prop=ana_home, total="1200.00", issued="2026-02-01")  # due 02-08
    third = make_invoice(prop=PropertyFactory(customer=luis), total="75.50", issued="2026-02-10")
    make_invoice(prop=ana_home, total="99.00", issued="2026-02-25")  # due 03-04: not yet
    make_invoice(prop=ana_home, total="50.00", issued="2026-01-05", status="draft")
    paid = make_invoice(prop=ana_home, total="10.00", issued="2026-01-05")
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("10.00"))
    return first, second, third


def run(*args) -> str:
    out = StringIO()
    call_command("overdue_report", *args, stdout=out)
    return out.getvalue()


def test_text_report_groups_by_customer_with_totals(debts, django_assert_num_queries):
    first = debts[0]
    # The report's one query, after the command finds its company.
    with django_assert_num_queries(2):
        text = run("--as-of", AS_OF)
    lines = text.splitlines()
    assert lines[0] == "Overdue invoices as of 2026-03-01"
    # People are named by name and contact, not by a database id.
    ana = lines.index("Ana Rivera ana@example.com 787-555-0101")
    luis = next(i for i, line in enumerate(lines) if line.startswith("Luis Ortiz"))
    assert ana < luis  # the largest debt first
    assert f"{first.number}" in lines[ana + 1] and "48 days" in lines[ana + 1]
    assert lines[ana + 1].endswith("60.00") and lines[ana + 2].endswith("1200.00")
    assert lines[ana + 3].strip().split() == ["Customer", "total", "1260.00"]
    assert lines[-1] == "3 overdue invoices for 2 customers, 1335.50 in total"


def test_the_summary_agrees_with_one(debts):
    # On 2026-01-20 only Ana's first invoice (due 01-12, 60.00 still owed) is overdue.
    assert run("--as-of", "2026-01-20").splitlines()[-1] == (
        "1 overdue invoice for 1 customer, 60.00 in total"
    )


def test_csv_report(debts):
    first, second, third = debts
    rows = list(csv.DictReader(StringIO(run("--format", "csv", "--as-of", AS_OF))))
    assert [r["invoice_number"] for r in rows] == [first.number, second.number, third.number]
    assert rows[0] == {
        "customer_id": str(first.customer_id),
        "customer": "Ana Rivera",
        "email": "ana@example.com",
        "phone": "787-555-0101",
        "invoice_number": first.number,
        "issued_date": "2026-01-05",
        "due_date": "2026-01-12",
        "days_overdue": "48",
        "total": "100.00",
        "amount_paid": "40.00",
        "balance_due": "60.00",
    }


def test_nothing_overdue():
    assert run("--as-of", AS_OF).splitlines() == [
        "Overdue invoices as of 2026-03-01",
        "Nothing is overdue.",
    ]


def test_default_is_today(debts):
    assert run().startswith(f"Overdue invoices as of {timezone.localdate()}\n")


def test_bad_date_is_refused():
    with pytest.raises(CommandError, match="not a date in the form YYYY-MM-DD"):
        run("--as-of", "March 1st")


@pytest.mark.parametrize(
    "argv",
    [
        ["overdue_report", "--as-of", "2026-13-01"],
        ["statement", "1", "--from", "2026-13-01", "--to", "2026-01-31"],
    ],
)
def test_a_bad_date_is_a_usage_error_not_a_traceback(argv):
    import subprocess
    import sys

    from ektor.testing import ROOT, clean_env

    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=clean_env(DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "'2026-13-01' is not a date in the form YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reversed_payment_counts_as_nothing(debts, admin_user):
    first = debts[0]
    payment = first.payments.get()
    services.payment_reverse(
        Ctx.for_user(admin_user, default_company()), payment_id=payment.pk, reason="Bounced"
    )
    rows = list(csv.DictReader(StringIO(run("--format", "csv", "--as-of", AS_OF))))
    assert (rows[0]["amount_paid"], rows[0]["balance_due"]) == ("0.00", "100.00")
    assert run("--as-of", AS_OF).splitlines()[-1] == (
        "3 overdue invoices for 2 customers, 1375.50 in total"
    )

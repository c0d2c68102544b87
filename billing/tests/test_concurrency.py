"""The money rules under concurrent requests, on MariaDB (real row locks).

Each thread runs the service in its own database connection and closes it at the end.
"""

import datetime
import threading
import time
from collections import Counter
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role
from accounts.tests.factories import UserFactory
from billing import selectors, services
from billing.dashboard import office_summary
from billing.models import Invoice
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from billing.tests.test_admin import change_post, draft_fields
from core.context import Ctx
from core.errors import ApplicationError
from ektor.testing import run_at_once
from tenancy.tests.factories import CompanyFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work) -> list[str]:
    """Start `count` threads at once; each returns "ok" or the reason it was refused."""

    def outcome(result) -> str:
        if isinstance(result, ApplicationError):
            return f"{result.status} {result.reason}"
        if isinstance(result, Exception):
            raise result
        return "ok"

    return [outcome(r) for r in run_at_once(*[partial(work, n) for n in range(count)])]


def test_twenty_payments_of_ten_on_a_hundred(ctx):
    invoice = make_invoice(total="100.00")
    results = run_together(
        20, lambda n: services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"))
    )
    # Once the tenth lands the invoice is paid, so the rest meet the first 409 rule in order.
    assert Counter(results) == {"ok": 10, "409 invoice_already_paid": 10}
    row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    assert (row.status, row.amount_paid, row.balance_due) == (
        "paid",
        Decimal("100.00"),
        Decimal("0.00"),
    )
    assert row.paid_at is not None


def test_concurrent_payments_that_do_not_divide_the_total_never_overpay(ctx):
    invoice = make_invoice(total="100.00")
    results = run_together(
        20, lambda n: services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("30.00"))
    )
    assert Counter(results) == {"ok": 3, "409 payment_exceeds_total": 17}
    row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    assert (row.status, row.amount_paid, row.balance_due) == (
        "sent",
        Decimal("90.00"),
        Decimal("10.00"),
    )


def test_ten_payments_with_the_same_reference(ctx):
    invoice = make_invoice(total="100.00")
    results = run_together(
        10,
        lambda n: services.payment_record(
            ctx, invoice_id=invoice.pk, amount=Decimal("1.00"), reference="ATH-777"
        ),
    )
    assert Counter(results) == {"ok": 1, "409 duplicate_payment_reference": 9}
    assert invoice.payments.count() == 1


def test_a_reversal_racing_payments_keeps_amount_paid_exact(ctx):
    """Four reversals of one payment and six new payments on its invoice, all at once: one
    reversal wins, and the amount paid is exactly what the counted payments add up to."""
    invoice = make_invoice(total="100.00")
    first, *_ = [
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("30.00"))
        for _ in range(3)
    ]

    def work(n: int):
        if n < 4:
            return services.payment_reverse(ctx, payment_id=first.pk, reason=f"Dup {n}")
        return services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.00"))

    results = Counter(run_together(10, work))
    assert results["409 payment_already_reversed"] == 3
    counted = invoice.payments.filter(reversed_at__isnull=True)
    new_payments = counted.filter(amount=Decimal("40.00")).count()
    # A payment of 40.00 fits only after the reversal (60.00 paid), and only one.
    assert new_payments in (0, 1)
    assert results["ok"] == 1 + new_payments
    row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    assert row.amount_paid == sum(p.amount for p in counted) == 60 + 40 * new_payments
    assert row.status == ("paid" if new_payments else "sent")
    assert selectors.receivables_drift(ctx) == {}


def test_a_reversed_reference_is_used_again_on_mariadb(ctx):
    """The unique constraint leaves reversed payments out on MariaDB too (NULL in `counted`)."""
    invoice = make_invoice(total="100.00")
    payment = services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), reference="ATH-9"
    )
    services.payment_reverse(ctx, payment_id=payment.pk, reason="Wrong invoice")
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), reference="ath-9")
    services.payment_reverse(ctx, payment_id=invoice.payments.first().pk, reason="Again")
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), reference="ATH-9")
    assert invoice.payments.filter(reference__iexact="ATH-9").count() == 3


def test_simultaneous_sends_never_repeat_or_skip_a_number(ctx):
    drafts = InvoiceFactory.create_batch(24)
    results = run_together(24, lambda n: services.invoice_send(ctx, invoice=drafts[n]))
    assert results == ["ok"] * 24
    numbers = sorted(Invoice.unscoped.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 25)]


def test_first_numbers_of_a_new_year_race_on_the_counter_row(ctx):
    """Nobody has a counter row for the year yet: every thread tries to create it."""
    drafts = InvoiceFactory.create_batch(12, issued_date="2031-03-01", due_date=None)
    results = run_together(12, lambda n: services.invoice_send(ctx, invoice=drafts[n]))
    assert results == ["ok"] * 12
    numbers = sorted(Invoice.unscoped.values_list("number", flat=True))
    assert numbers == [f"INV-2031-{n:06d}" for n in range(1, 13)]


def test_two_companies_numbering_at_once_each_get_gap_free_numbers_from_one(ctx):
    """Each company has its own counter row: their sends never wait for or skip each other."""
    other = CompanyFactory(slug="acme", name="Acme Pools")
    ours = InvoiceFactory.create_batch(10, issued_date="2032-03-01", due_date=None)
    theirs = InvoiceFactory.create_batch(
        10,
        issued_date="2032-03-01",
        due_date=None,
        property=factory_property(other),
    )
    acme = Ctx.system(other)
    work = [
        partial(services.invoice_send, ctx if n % 2 == 0 else acme, invoice=invoice)
        for n, invoice in enumerate(x for pair in zip(ours, theirs, strict=True) for x in pair)
    ]
    assert all(not isinstance(result, Exception) for result in run_at_once(*work))
    expected = [f"INV-2032-{n:06d}" for n in range(1, 11)]
    for company in (ctx.company, other):
        numbers = Invoice.unscoped.filter(company=company).values_list("number", flat=True)
        assert sorted(numbers) == expected


def factory_property(company):
    from customers.tests.factories import PropertyFactory

    return PropertyFactory(customer__company=company, company=company)


def test_check_constraints_hold_in_the_database():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError, match="billing_invoice_total_sum"):
        InvoiceFactory(subtotal=Decimal("10.00"), tax=Decimal("1.00"), total=Decimal("12.00"))


def test_running_figures_stay_exact_under_concurrent_writes_on_the_same_rows(ctx):
    """Payments, sends, voids and new invoices and drafts at once, all on the same due date's
    receivables row: no deadlock, nothing lost."""
    due = {"issued": "2026-02-01"}  # every invoice due 2026-02-08
    to_pay = [make_invoice(total="50.00", **due) for _ in range(6)]
    to_send = [make_invoice(total="20.00", status="draft", **due) for _ in range(6)]
    to_void = [make_invoice(total="7.00", **due) for _ in range(4)]

    def work(n: int) -> None:
        if n < 6:
            # A part, then the rest: the second moves the invoice out of the open figures.
            services.payment_record(ctx, invoice_id=to_pay[n].pk, amount=Decimal("10.00"))
            services.payment_record(ctx, invoice_id=to_pay[n].pk, amount=Decimal("40.00"))
        elif n < 12:
            services.invoice_send(ctx, invoice=to_send[n - 6])
        elif n < 16:
            services.invoice_void(ctx, invoice=to_void[n - 12], reason="Concurrent")
        else:
            make_invoice(total="3.00", status="draft" if n % 2 else "sent", **due)

    results = run_together(20, work)
    assert Counter(results) == {"ok": 20}
    assert selectors.receivables_drift(ctx) == {}
    office = office_summary(ctx, today=datetime.date(2026, 3, 1))
    # Open: the six sent drafts and the two new sent invoices; drafts: the two new drafts.
    assert (office.open_count, office.open_balance) == (8, Decimal("126.00"))
    assert (office.overdue_count, office.overdue_balance) == (8, Decimal("126.00"))
    assert (office.draft_count, office.draft_total) == (2, Decimal("6.00"))


def test_admin_draft_edit_with_a_payment_and_a_send_take_their_locks_in_the_same_order(
    ctx,
    monkeypatch,
):
    """The admin's change view saves a draft's new total and records an inline payment in one
    transaction: the payment sends the draft (the year's number counter, then its due date's
    receivables row). Meanwhile another draft is sent (counter, then receivables row). When drafts
    had a shared receivables row, the edit locked it first and the two transactions deadlocked
    (MariaDB 1213, a 500); drafts are no longer in the running figures, so the admin's request now
    waits for the counter like the send does."""
    user = UserFactory(username="boss", email="boss@example.com", role=Role.ADMIN)
    edited = make_invoice(total="100.00", status="draft", issued="2026-01-11")
    other = make_invoice(total="30.00", status="draft", issued="2026-01-11")
    make_invoice(total="5.00", issued="2026-01-11")  # the 2026 counter row exists
    reserve = services.numbers_reserve
    admin_edited = threading.Event()

    def reserve_later(ctx, counter, *, year: int, count: int) -> range:
        # Called by the payment after the draft's edit is saved: hold the admin's transaction
        # here until the send has taken the counter (or queued behind its receivables row).
        if threading.current_thread().name == "admin":
            admin_edited.set()
            time.sleep(1.0)
        return reserve(ctx, counter, year=year, count=count)

    # billing.services' own name for tenancy.numbering.numbers_reserve.
    monkeypatch.setattr(services, "numbers_reserve", reserve_later)
    out = {}

    def admin() -> None:
        try:
            client = Client()
            client.force_login(user)
            data = change_post(
                edited,
                [{"amount": "10.00"}],
                **draft_fields(edited, subtotal="200.00", total="200.00"),
            )
            response = client.post(f"/admin/billing/invoice/{edited.pk}/change/", data)
            out["admin"] = response.status_code
        except Exception as exc:
            out["admin"] = repr(exc)
        finally:
            connection.close()

    def send() -> None:
        try:
            assert admin_edited.wait(10)
            services.invoice_send(ctx, invoice=other)
            out["send"] = "ok"
        except Exception as exc:
            out["send"] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=admin, name="admin"), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert out == {"admin": 302, "send": "ok"}
    edited.refresh_from_db()
    assert (edited.status, edited.total) == ("sent", Decimal("200.00"))
    assert selectors.receivables_drift(ctx) == {}
    office = office_summary(ctx, today=datetime.date(2026, 1, 12))
    assert (office.open_count, office.open_balance) == (3, Decimal("225.00"))
    assert (office.draft_count, office.draft_total) == (0, Decimal("0.00"))

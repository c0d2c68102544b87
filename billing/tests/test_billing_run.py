"""A billing run over November 2026: every line the rules give, and nothing else; reruns bill
nothing twice; a dry run writes nothing and answers the same figures."""

import datetime
from decimal import Decimal

import pytest

from audit.changes import diff, snapshot
from audit.models import AuditEvent
from billing import services
from billing.lines import lines_snapshot
from billing.models import BillingRun, Invoice, InvoiceLine
from billing.tests.operations_factories import (
    ServicePlanFactory,
    VisitLineFactory,
    completed,
    paused,
    skipped,
    work_order,
)
from catalog.tests.factories import ItemFactory
from customers.tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 1)
DEC_1 = datetime.date(2026, 12, 1)
D = Decimal


def day(n: int) -> datetime.date:
    return datetime.date(2026, 11, n)


@pytest.fixture
def month(ctx):
    """Nine plans and a work order at ten properties, seven of which bill; what they bill."""
    company = ctx.company
    company.tax_rate = D("10.00")
    company.tax_services = False
    company.payment_terms_days = 15
    company.save()
    chlorine = ItemFactory(name="Liquid chlorine", kind="chemical", price=D("4.99"))
    seal = ItemFactory(name="Pump seal", kind="part", price=D("35.00"))
    labor = ItemFactory(name="Pump repair", kind="service", price=D("80.00"), track_stock=False)

    def plan(name, **fields):
        return ServicePlanFactory(pool__name=name, start_date=datetime.date(2026, 1, 5), **fields)

    advance = plan("Advance", rate=D("160.00"))
    # Chemicals included: the chlorine used on its visit is not billed.
    VisitLineFactory(visit=completed(advance, day(4)), item=chlorine, quantity=D("2"))
    arrears = plan("Arrears", rate=D("120.00"), billing_timing="arrears")
    per_visit = plan("PerVisit", rate=D("45.00"), rate_type="per_visit")
    first, gate, third = completed(per_visit, day(4)), skipped(per_visit, day(11)), None
    third = completed(per_visit, day(18))
    chemicals = plan("Chemicals", rate=D("150.00"), chemicals="billed")
    chem_visit = completed(chemicals, day(5))
    VisitLineFactory(visit=chem_visit, item=chlorine, quantity=D("2.5"))
    shop = PropertyFactory(label="Shop")
    repair = work_order(shop, day(20))
    VisitLineFactory(visit=repair, item=seal)
    VisitLineFactory(visit=repair, item=labor, quantity=D("2"))
    pause = plan("Paused", rate=D("150.00"))
    paused(pause, day(16))  # until resumed
    ended = plan("Ended", rate=D("160.00"), end_date=day(10))
    plan("Gone", rate=D("99.00"), end_date=datetime.date(2026, 10, 31))  # bills nothing
    ServicePlanFactory(pool__name="Later", start_date=DEC_1)  # bills nothing

    def at(p):
        return p.pool.property_id

    expected = {
        # (property, kind, description, visit, quantity, unit_price, tax_rate, amount, tax)
        (at(advance), "plan", "Weekly service of Advance, November 2026", None,
         D("1"), D("160.00"), D("0"), D("160.00"), D("0")),
        (at(arrears), "plan", "Weekly service of Arrears, November 2026", None,
         D("1"), D("120.00"), D("0"), D("120.00"), D("0")),
        (at(per_visit), "plan", "Service of PerVisit, visit of 4 Nov 2026", first.pk,
         D("1"), D("45.00"), D("0"), D("45.00"), D("0")),
        (at(per_visit), "plan", "Service of PerVisit, visit of 18 Nov 2026", third.pk,
         D("1"), D("45.00"), D("0"), D("45.00"), D("0")),
        (at(chemicals), "plan", "Weekly service of Chemicals, November 2026", None,
         D("1"), D("150.00"), D("0"), D("150.00"), D("0")),
        (at(chemicals), "chemical", "Liquid chlorine", chem_visit.pk,
         D("2.5"), D("4.99"), D("10.00"), D("12.48"), D("1.25")),
        (shop.pk, "part", "Pump seal", repair.pk,
         D("1"), D("35.00"), D("10.00"), D("35.00"), D("3.50")),
        # A service is taxed only where the company taxes services.
        (shop.pk, "service", "Pump repair", repair.pk,
         D("2"), D("80.00"), D("0"), D("160.00"), D("0")),
        (at(pause), "plan", "Weekly service of Paused, November 2026 (15 of 30 days: 1-15 Nov)",
         None, D("1"), D("75.00"), D("0"), D("75.00"), D("0")),
        (at(ended), "plan", "Weekly service of Ended, November 2026 (10 of 30 days: 1-10 Nov)",
         None, D("1"), D("53.33"), D("0"), D("53.33"), D("0")),
    }  # fmt: skip
    return {"expected": expected, "gate": gate, "arrears": arrears, "properties": 7}


def _lines(ctx):
    return {
        (
            line.invoice.property_id,
            line.kind,
            line.description,
            line.visit_id,
            line.quantity,
            line.unit_price,
            line.tax_rate,
            line.amount,
            line.tax,
        )
        for line in InvoiceLine.objects.of(ctx).select_related("invoice")
    }


def test_a_month_bills_every_expected_line_and_nothing_else(ctx, month):
    result = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert _lines(ctx) == month["expected"]
    assert result.lines_created == len(month["expected"]) == 10
    # One draft per property, for the month, due after the company's terms.
    invoices = Invoice.objects.of(ctx).order_by("id")
    assert result.invoices_created == invoices.count() == month["properties"]
    assert sorted(result.invoice_ids) == [invoice.pk for invoice in invoices]
    assert {
        (i.status, i.period_start, i.period_end, i.issued_date, i.due_date) for i in invoices
    } == {("draft", NOV, day(30), DEC_1, datetime.date(2026, 12, 16))}
    for invoice in invoices:
        lines = list(invoice.lines.all())
        assert invoice.subtotal == sum(line.amount for line in lines)
        assert invoice.total == invoice.subtotal + sum(line.tax for line in lines)
    assert result.total == sum(i.total for i in invoices) == D("860.56")
    assert result.skipped == [{"visit_id": month["gate"].pk, "reason": "visit_skipped"}]
    run = BillingRun.objects.of(ctx).get(pk=result.run_id)
    assert (run.status, run.invoices_created, run.lines_created, run.total) == (
        "done",
        7,
        10,
        D("860.56"),
    )
    assert (run.properties_done, run.properties_total) == (7, 7)
    assert run.skipped == result.skipped
    # Each invoice's creation is in the trail with its lines.
    events = AuditEvent.objects.filter(object_type="invoice", action="create")
    assert events.count() == 7
    assert all(event.changes["lines"][1] for event in events)


def test_a_runs_events_show_each_invoice_and_its_lines_as_stored(ctx, month):
    """Written in bulk from the values inserted, each creation event is what invoice_create
    records: every field of the invoice as read back, and its lines."""
    services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    events = AuditEvent.objects.filter(object_type="invoice", action="create")
    assert events.count() == month["properties"]
    for event in events:
        invoice = Invoice.objects.of(ctx).get(pk=event.object_id)
        assert event.changes == {
            **diff(None, snapshot(invoice)),
            "lines": [None, lines_snapshot(invoice.lines.order_by("id"))],
        }
        assert event.company_id == ctx.company.pk


def test_arrears_are_billed_only_after_the_month_and_advance_before_it(ctx, month):
    result = services.billing_run(ctx, period=NOV, issued_date=day(20))
    assert {"plan_id": month["arrears"].pk, "reason": "period_not_ended"} in result.skipped
    assert ("plan", "Weekly service of Arrears, November 2026") not in {
        (kind, text) for _, kind, text, *_ in _lines(ctx)
    }
    later = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert later.lines_created == 1  # the arrears plan, now that November is over
    assert _lines(ctx) == month["expected"]
    assert later.invoices_created == 1
    assert Invoice.objects.of(ctx).count() == month["properties"]


def test_what_is_done_after_a_run_goes_on_that_runs_draft_of_the_property(ctx, month):
    services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    shop = Invoice.objects.of(ctx).get(property__label="Shop")
    extra = work_order(shop.property, day(27))
    VisitLineFactory(visit=extra, item=ItemFactory(name="Gasket", price=D("5.00")))
    later = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert (later.invoices_created, later.lines_created, later.invoice_ids) == (0, 1, [shop.pk])
    shop.refresh_from_db()
    assert shop.lines.count() == 3
    assert (shop.subtotal, shop.tax, shop.total) == (D("200.00"), D("4.00"), D("204.00"))
    event = AuditEvent.objects.filter(object_type="invoice", action="update").get()
    assert [line["description"] for line in event.changes["lines"][1]] == [
        "Pump seal",
        "Pump repair",
        "Gasket",
    ]


def test_a_second_run_creates_nothing_and_says_so(ctx, month):
    services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    again = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert (again.invoices_created, again.lines_created, again.total) == (0, 0, D("0"))
    assert again.invoice_ids == []
    reasons = {entry["reason"] for entry in again.skipped}
    assert reasons == {"already_billed", "visit_skipped"}
    assert len([e for e in again.skipped if e["reason"] == "already_billed"]) == 9
    assert _lines(ctx) == month["expected"]


def test_a_dry_run_writes_nothing_and_answers_the_same_figures(ctx, month):
    dry = services.billing_run(ctx, period=NOV, issued_date=DEC_1, dry_run=True)
    assert not InvoiceLine.objects.of(ctx).exists()
    assert not BillingRun.objects.of(ctx).exists()
    assert dry.run_id is None
    real = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert (dry.invoices_created, dry.lines_created, dry.total, dry.skipped) == (
        real.invoices_created,
        real.lines_created,
        real.total,
        real.skipped,
    )


def test_a_work_order_of_an_earlier_month_not_billed_yet_is_billed(ctx):
    prop = PropertyFactory()
    late = work_order(prop, datetime.date(2026, 10, 28))
    VisitLineFactory(visit=late, item=ItemFactory(name="Filter grid", price=D("60.00")))
    result = services.billing_run(ctx, period=NOV, issued_date=DEC_1)
    assert result.lines_created == 1
    assert InvoiceLine.objects.of(ctx).get().visit_id == late.pk
    assert services.billing_run(ctx, period=NOV, issued_date=DEC_1).lines_created == 0


def test_send_sends_the_invoices_with_their_numbers(ctx, month):
    result = services.billing_run(ctx, period=NOV, issued_date=DEC_1, send=True)
    statuses = set(Invoice.objects.of(ctx).values_list("status", flat=True))
    assert statuses == {"sent"}
    assert Invoice.objects.of(ctx).filter(number__startswith="INV-2026-").count() == 7
    assert result.invoices_created == 7

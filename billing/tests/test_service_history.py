"""The service history of a property and a customer: their visits (date, technician, status,
what was done) with the invoice lines that billed them, on their admin pages in a fixed number
of queries."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from billing.history import service_history
from billing.models import InvoiceLine
from billing.tests.operations_factories import (
    ServicePlanFactory,
    VisitLineFactory,
    completed,
    skipped,
    work_order,
)
from catalog.tests.factories import ItemFactory
from core.context import Ctx
from customers.tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 1)
D = Decimal


def day(n: int) -> datetime.date:
    return datetime.date(2026, 11, n)


@pytest.fixture
def billed(ctx):
    """A per-month plan with chemicals billed: two visits made in November (chlorine used on
    the first), one skipped; a work order with a part at the same property; November billed."""
    plan = ServicePlanFactory(pool__name="Main pool", rate=D("160.00"), chemicals="billed")
    prop = plan.pool.property
    chlorine = ItemFactory(name="Liquid chlorine", kind="chemical", price=D("4.99"))
    first = completed(plan, day(4))
    first.checklist = [{"task": "brush", "done": True}, {"task": "vacuum", "done": False}]
    first.save()
    VisitLineFactory(visit=first, item=chlorine, quantity=D("2.5"))
    second = completed(plan, day(11))
    gate = skipped(plan, day(18))
    repair = work_order(prop, day(20))
    VisitLineFactory(visit=repair, item=ItemFactory(name="Pump seal", kind="part"))
    services.billing_run(ctx, period=NOV, dry_run=False)
    return {"plan": plan, "prop": prop, "visits": [repair, gate, second, first]}


def test_visits_newest_first_with_what_billed_them(ctx, billed):
    prop = billed["prop"]
    entries = service_history(ctx, property_id=prop.pk)
    assert [entry.visit for entry in entries] == billed["visits"]
    repair, gate, second, first = entries
    lines = InvoiceLine.objects.of(ctx)
    month = lines.get(plan=billed["plan"], plan_period=NOV)
    assert month.description == "Weekly service of Main pool, November 2026"
    assert [line.description for line in repair.billed] == ["Pump seal"]
    # The month's fee covers the visits made in it, not the skipped one.
    assert gate.billed == []
    assert second.billed == [month]
    assert [line.description for line in first.billed] == [
        "Liquid chlorine",
        "Weekly service of Main pool, November 2026",
    ]
    assert first.done == ["brush", "2.5 x Liquid chlorine"]
    assert repair.billed[0].invoice.property_id == prop.pk
    # The customer's history is the same visits (here all at one property); limited.
    assert service_history(ctx, customer_id=prop.customer_id, limit=2) == entries[:2]
    assert service_history(ctx, property_id=PropertyFactory().pk) == []


def grow(prop, n: int) -> None:
    """n more visits billed each on its own invoice line (hand-made, naming the visit)."""
    plan = ServicePlanFactory(pool__property=prop, rate=D("10.00"))
    for k in range(n):
        visit = completed(plan, datetime.date(2026, 10, 1 + k))
        VisitLineFactory(visit=visit)
        services.invoice_create(
            Ctx.system(prop.company),
            customer_id=prop.customer_id,
            property_id=prop.pk,
            period_start=visit.scheduled_date,
            period_end=visit.scheduled_date,
            issued_date=visit.scheduled_date,
            lines=[{"kind": "service", "description": "Extra", "unit_price": D("5.00"),
                    "visit_id": visit.pk}],
        )  # fmt: skip


# The page as before and the history's three queries (visits, their lines, the invoice lines);
# the customer's page also reads their balance (billing.selectors.customer_balance, one query).
PAGES = {"property": 9, "customer": 10}


@pytest.mark.parametrize("more", [0, 6])
@pytest.mark.parametrize(("page", "queries"), PAGES.items())
def test_the_pages_show_the_history_in_fixed_queries(
    billed, staff_web, django_assert_num_queries, more, page, queries
):
    prop = billed["prop"]
    grow(prop, more)
    row = prop if page == "property" else prop.customer
    url = f"/admin/customers/{page}/{row.pk}/change/"
    staff_web.get(url)  # the session and caches warm
    with django_assert_num_queries(queries):
        html = staff_web.get(url).content.decode()
    assert "Service history" in html
    repair = billed["visits"][0]
    assert f'href="/admin/operations/visit/{repair.pk}/change/"' in html
    invoice = InvoiceLine.unscoped.get(visit=repair, description="Pump seal").invoice
    assert f'href="/admin/billing/invoice/{invoice.pk}/change/"' in html
    assert "brush; 2.5 x Liquid chlorine" in html and "Skipped" in html
    assert f"?date=all&amp;{page}__id__exact={row.pk}" in html
    # A customer's history names the property of each visit.
    assert (f"<td>{prop.label}</td>" in html) is (page == "customer")


def test_the_visit_lists_linked_from_the_history_open(billed, staff_web):
    prop = billed["prop"]
    for url in (
        f"/admin/operations/visit/?date=all&property__id__exact={prop.pk}",
        f"/admin/operations/visit/?date=all&customer__id__exact={prop.customer_id}",
    ):
        response = staff_web.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 4


def test_no_visits_yet(staff_web):
    prop = PropertyFactory()
    page = staff_web.get(f"/admin/customers/property/{prop.pk}/change/").content.decode()
    assert "No visits yet." in page

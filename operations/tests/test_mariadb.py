"""A visit's completion on MariaDB (real transactions and row locks): all or nothing, once."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from audit.models import AuditEvent
from catalog.models import Item, StockMovement
from catalog.tests.factories import stocked
from conftest import client_for
from core.errors import ApplicationError
from ektor.testing import run_at_once
from operations import visits
from operations.models import Reading, Visit, VisitLine
from operations.tests.factories import VisitFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> Counter:
    def outcome(result) -> str:
        if isinstance(result, ApplicationError):
            return f"{result.status} {result.reason}"
        if isinstance(result, Exception):
            raise result
        return "ok"

    return Counter(outcome(r) for r in results)


def stop(visit, *lines) -> dict:
    return {
        "readings": [{"pool_id": visit.plan.pool_id, "ph": Decimal("7.9")}],
        "lines": [{"item_id": item.pk, "quantity": Decimal(q)} for item, q in lines],
        "checklist": [{"task": "brush", "done": True}],
        "customer_notes": "Filter cleaned.",
    }


def test_a_completion_whose_stock_fails_leaves_nothing_behind(ctx, technician_user):
    """Through the API, committed for real: the first line's usage is written, then the second
    line has too little stock; the 409 leaves no reading, line, movement, stock change, status
    change or audit event."""
    visit = VisitFactory(plan__technician=technician_user)
    plenty = stocked(ctx, 10, kind="chemical")
    scarce = stocked(ctx, 1, kind="part")
    client = client_for(technician_user)  # signed in (an event of its own) before counting
    receipts = StockMovement.unscoped.count()
    events = AuditEvent.objects.count()
    body = stop(visit, (plenty, 2), (scarce, 3))
    body["readings"][0]["ph"] = "7.9"
    body["lines"] = [{**line, "quantity": str(line["quantity"])} for line in body["lines"]]
    response = client.post(f"/api/v1/visits/{visit.pk}/complete", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["details"]["reason"] == "insufficient_stock"
    assert response.json()["details"]["item_id"] == scarce.pk
    visit.refresh_from_db()
    assert (visit.status, visit.completed_at, visit.checklist, visit.customer_notes) == (
        "scheduled",
        None,
        [],
        None,
    )
    assert not Reading.unscoped.exists() and not VisitLine.unscoped.exists()
    assert StockMovement.unscoped.count() == receipts
    stock = dict(Item.objects.of(ctx).values_list("pk", "stock_quantity"))
    assert stock == {plenty.pk: Decimal("10.000"), scarce.pk: Decimal("1.000")}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("race", range(5))
def test_two_completions_of_one_visit_at_once_complete_it_once(ctx, race):
    visit = VisitFactory()
    chlorine = stocked(ctx, 10, kind="chemical")
    complete = partial(visits.visit_complete, ctx, visit=visit, **stop(visit, (chlorine, 2)))
    assert outcomes(run_at_once(complete, complete)) == {"ok": 1, "409 visit_completed": 1}
    visit.refresh_from_db()
    assert visit.status == "completed"
    assert Reading.unscoped.filter(visit=visit).count() == 1
    assert VisitLine.unscoped.filter(visit=visit).count() == 1
    assert StockMovement.unscoped.filter(kind="usage").count() == 1
    assert Item.objects.of(ctx).get(pk=chlorine.pk).stock_quantity == Decimal("8.000")
    # One completion, and its service report's email to the customer.
    completes = AuditEvent.objects.filter(object_type="visit", object_id=visit.pk)
    assert sorted(completes.values_list("action", flat=True)) == ["complete", "send"]


def test_completions_taking_the_same_items_in_another_order_both_complete(ctx):
    """The items are locked in id order before any is used: no deadlock between two stops."""
    first, second = VisitFactory(), VisitFactory()
    a, b = stocked(ctx, 10, kind="chemical"), stocked(ctx, 10, kind="part")
    results = run_at_once(
        partial(visits.visit_complete, ctx, visit=first, **stop(first, (a, 1), (b, 1))),
        partial(visits.visit_complete, ctx, visit=second, **stop(second, (b, 1), (a, 1))),
    )
    assert outcomes(results) == {"ok": 2}
    assert set(Visit.unscoped.values_list("status", flat=True)) == {"completed"}
    stock = set(Item.objects.of(ctx).values_list("stock_quantity", flat=True))
    assert stock == {Decimal("8.000")}

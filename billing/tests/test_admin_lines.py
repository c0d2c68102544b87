"""The invoice page's lines: a draft's are edited through invoice_update (the totals follow, a
billed line keeps what it bills); a sent invoice's are shown, not changed."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from billing.models import InvoiceLine
from billing.tests.test_admin import CHANGELIST, change_post, draft_fields, inline_management
from customers.tests.factories import PropertyFactory
from operations.tests.factories import ServicePlanFactory

pytestmark = pytest.mark.django_db


def _draft(ctx):
    prop = PropertyFactory()
    return services.invoice_create(
        ctx,
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=datetime.date(2026, 1, 5),
        period_end=datetime.date(2026, 1, 11),
        issued_date=datetime.date(2026, 1, 11),
        due_date=datetime.date(2026, 1, 18),
        status="draft",
        lines=[{"kind": "labor", "description": "Repair", "unit_price": Decimal("80.00")}],
    )


def _post(invoice, lines, **fields):
    data = change_post(invoice, [], **draft_fields(invoice, **fields))
    initial = sum(1 for line in lines if line.get("id"))
    data.update(inline_management(len(lines), initial, prefix="lines"))
    for n, line in enumerate(lines):
        for key, value in {"invoice": invoice.pk, "quantity": "1", **line}.items():
            data[f"lines-{n}-{key}"] = value
    return data


def test_a_drafts_lines_are_saved_through_the_service_and_totals_follow(ctx, admin_web):
    draft = _draft(ctx)
    billed = draft.lines.get()
    # What a billing run would have set: the line bills a plan's month (once, ever).
    plan = ServicePlanFactory(pool__property=draft.property)
    InvoiceLine.objects.of(ctx).filter(pk=billed.pk).update(
        plan=plan, plan_period=datetime.date(2026, 1, 1)
    )
    url = f"{CHANGELIST}{draft.pk}/change/"
    lines = [
        {"id": billed.pk, "kind": "labor", "description": "Pump repair", "unit_price": "90.00"},
        {"kind": "part", "description": "Seal", "quantity": "2", "unit_price": "12.50",
         "tax_rate": "11.50"},
    ]  # fmt: skip
    response = admin_web.post(url, _post(draft, lines, subtotal="115.00", total="117.88"))
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert (draft.subtotal, draft.tax, draft.total) == (
        Decimal("115.00"),
        Decimal("2.88"),
        Decimal("117.88"),
    )
    kept, added = draft.lines.order_by("id")
    assert (kept.pk, kept.description, kept.plan_period) == (
        billed.pk,
        "Pump repair",
        datetime.date(2026, 1, 1),
    )
    assert (added.amount, added.tax) == (Decimal("25.00"), Decimal("2.88"))


def test_a_line_the_service_refuses_is_shown_and_nothing_is_saved(ctx, admin_web):
    draft = _draft(ctx)
    url = f"{CHANGELIST}{draft.pk}/change/"
    lines = [{"kind": "part", "description": "Seal", "unit_price": "-3.00"}]
    response = admin_web.post(url, _post(draft, lines, subtotal="80.00", total="80.00"))
    assert response.status_code == 200
    assert "Only an adjustment line may take money off" in response.content.decode()
    assert list(draft.lines.values_list("description", flat=True)) == ["Repair"]


def test_a_sent_invoices_lines_are_read_only(ctx, admin_web):
    draft = _draft(ctx)
    services.invoice_send(ctx, invoice=draft)
    page = admin_web.get(f"{CHANGELIST}{draft.pk}/change/").content.decode()
    assert "Repair" in page
    assert 'name="lines-0-description"' not in page

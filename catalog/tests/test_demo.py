"""seed_demo: --scale makes the synthetic items (with a ledger that adds up), once."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from catalog.models import Item, StockMovement

pytestmark = pytest.mark.django_db


def test_scale_makes_items_with_their_opening_stock_once(ctx):
    out = StringIO()
    call_command("seed_demo", "--scale", "3", "--batch-size", "150", stdout=out)
    assert "items: 200/200 (200 created)" in out.getvalue()
    items = Item.objects.of(ctx)
    assert items.count() == 200
    assert not items.filter(kind="service", track_stock=True).exists()
    # Each item's stock is the sum of its movements.
    for item in items.filter(track_stock=True)[:20]:
        total = StockMovement.objects.of(ctx).filter(item=item).aggregate(s=Sum("quantity"))["s"]
        assert (total or Decimal(0)) == item.stock_quantity
    call_command("seed_demo", "--scale", "3", stdout=StringIO())
    assert items.count() == 200

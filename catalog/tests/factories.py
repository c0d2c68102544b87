from decimal import Decimal

import factory

from catalog.models import Item
from tenancy.tests.factories import default_company


class ItemFactory(factory.django.DjangoModelFactory):
    """An item as a row; its stock starts at zero (stock changes only by the services: use
    `stocked`)."""

    class Meta:
        model = Item

    company = factory.LazyFunction(default_company)
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    kind = "part"
    unit = "each"
    price = Decimal("10.00")
    track_stock = True


def stocked(ctx, quantity, **fields) -> Item:
    """An item with `quantity` in stock, received through the service (a receipt movement)."""
    from catalog import services

    item = ItemFactory(**fields)
    if quantity:
        services.stock_movement_create(
            ctx, item_id=item.pk, kind="receipt", quantity=Decimal(str(quantity))
        )
    item.refresh_from_db()
    return item

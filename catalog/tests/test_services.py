"""The stock ledger's rules, through the services: movements, usage, never below zero."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from catalog import services
from catalog.models import Item, StockMovement
from catalog.tests.factories import ItemFactory, stocked
from core.context import Ctx
from core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def test_each_movement_records_the_stock_after_it(ctx):
    item = ItemFactory(sku="CHL")
    user = UserFactory()
    by_user = Ctx.for_user(user, ctx.company)
    services.stock_movement_create(
        by_user, item_id=item.pk, kind="receipt", quantity=Decimal("10"), unit_cost=Decimal("3")
    )
    services.stock_movement_create(
        ctx, item_id=item.pk, kind="adjustment", quantity=Decimal("-1.5")
    )
    services.stock_movement_create(ctx, item_id=item.pk, kind="return", quantity=Decimal("0.25"))
    services.stock_use(ctx, item=item, quantity=Decimal("2"), visit_id=41, note="Visit 41")
    rows = StockMovement.objects.of(ctx).order_by("id")
    assert [(m.kind, m.quantity, m.stock_after) for m in rows] == [
        ("receipt", Decimal("10"), Decimal("10")),
        ("adjustment", Decimal("-1.5"), Decimal("8.5")),
        ("return", Decimal("0.25"), Decimal("8.75")),
        ("usage", Decimal("-2"), Decimal("6.75")),
    ]
    assert rows[0].created_by == user and rows[0].unit_cost == Decimal("3.00")
    assert rows[3].visit_id == 41 and rows[3].created_by is None
    item.refresh_from_db()
    assert item.stock_quantity == Decimal("6.75")


def test_stock_never_goes_below_zero(ctx):
    item = stocked(ctx, 3, sku="PMP")
    error = refusal(lambda: services.stock_use(ctx, item=item, quantity=Decimal("3.5")))
    assert (error.status, error.reason) == (409, "insufficient_stock")
    assert error.message == "Not enough stock of PMP: 3.000 available, 3.500 needed"
    assert error.extra == {"item_id": item.pk, "available": "3.000"}
    error = refusal(
        lambda: services.stock_movement_create(
            ctx, item_id=item.pk, kind="adjustment", quantity=Decimal("-4")
        )
    )
    assert error.reason == "insufficient_stock"
    item.refresh_from_db()
    assert item.stock_quantity == 3
    assert StockMovement.objects.of(ctx).count() == 1
    # Exactly all of it may go.
    assert services.stock_use(ctx, item=item, quantity=Decimal("3")).stock_after == 0


def test_the_database_refuses_negative_stock_too(ctx):
    item = ItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.of(ctx).filter(pk=item.pk).update(stock_quantity=Decimal("-1"))


@pytest.mark.parametrize(
    ("kind", "quantity", "field", "message"),
    [
        ("receipt", "0", "quantity", "A receipt adds stock: the quantity must be positive."),
        ("return", "-1", "quantity", "A return adds stock: the quantity must be positive."),
        ("adjustment", "0", "quantity", "An adjustment must add or remove some stock."),
        (
            "usage",
            "1",
            "kind",
            "Usage movements are made by visits; record a receipt, adjustment or return.",
        ),
    ],
)
def test_the_office_records_receipts_adjustments_and_returns(ctx, kind, quantity, field, message):
    item = ItemFactory()
    error = refusal(
        lambda: services.stock_movement_create(
            ctx, item_id=item.pk, kind=kind, quantity=Decimal(quantity)
        )
    )
    assert error.status == 422
    assert [(e.field, e.msg) for e in error.fields] == [(field, message)]


def test_an_item_that_does_not_track_stock_has_no_movements(ctx):
    service = ItemFactory(kind="service", track_stock=False, sku="SVC")
    error = refusal(
        lambda: services.stock_movement_create(
            ctx, item_id=service.pk, kind="receipt", quantity=Decimal("1")
        )
    )
    assert (error.status, error.reason, error.message) == (
        409,
        "stock_not_tracked",
        "Item SVC does not track stock",
    )
    # A visit's usage of a service makes no movement (visits bill it, stock is not counted).
    assert services.stock_use(ctx, item=service, quantity=Decimal("1")) is None
    assert StockMovement.objects.of(ctx).count() == 0


def test_usage_must_be_positive(ctx):
    item = stocked(ctx, 3)
    error = refusal(lambda: services.stock_use(ctx, item=item, quantity=Decimal("0")))
    assert error.status == 422


def test_an_item_change_never_touches_its_stock(ctx):
    item = stocked(ctx, 5)
    stale = Item.objects.of(ctx).get(pk=item.pk)
    services.stock_use(ctx, item=item, quantity=Decimal("2"))
    services.item_update(ctx, item=stale, data={"name": "Renamed"})
    stale.refresh_from_db()
    assert (stale.name, stale.stock_quantity) == ("Renamed", Decimal("3"))


def test_a_service_cannot_start_tracking_stock(ctx):
    service = ItemFactory(kind="service", track_stock=False)
    error = refusal(lambda: services.item_update(ctx, item=service, data={"track_stock": True}))
    assert [(e.field, e.msg) for e in error.fields] == [
        ("track_stock", "A service does not track stock.")
    ]


def test_sku_unique_per_company_ignoring_deleted_by_the_database(ctx):
    """The index itself (not only the service's check) refuses a second live SKU in any case
    and lets deleted items share theirs."""
    ItemFactory(sku="ABC")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(sku="abc")
    gone = ItemFactory(sku="XYZ")
    services.item_delete(ctx, item=gone)
    ItemFactory(sku="xyz")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(sku="XYZ")


def test_stock_never_grows_past_what_its_column_holds(ctx):
    item = stocked(ctx, 0)
    services.stock_movement_create(
        ctx, item_id=item.pk, kind="receipt", quantity=Decimal("999999999.999")
    )
    with pytest.raises(ApplicationError) as refused:
        services.stock_movement_create(ctx, item_id=item.pk, kind="receipt", quantity=Decimal(1))
    assert refused.value.status == 422
    assert refused.value.fields[0].msg.endswith("more than the most an item holds (999999999.999)")
    assert Item.objects.of(ctx).get(pk=item.pk).stock_quantity == Decimal("999999999.999")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", Decimal("-5"), "Ensure this value is greater than or equal to 0."),
        ("price", Decimal("NaN"), "Enter a number."),
        ("cost", Decimal("Infinity"), "Enter a number."),
        ("price", Decimal("1e20"), "Ensure this value is less than or equal to 9999999999.99."),
        ("price", Decimal("1.005"), "Ensure that there are no more than 2 decimal places."),
        (
            "reorder_level",
            Decimal("0.0001"),
            "Ensure that there are no more than 3 decimal places.",
        ),
    ],
)
def test_amounts_the_columns_cannot_hold_are_refused_by_the_service(ctx, field, value, message):
    body = {"sku": "X-1", "name": "Part", "kind": "part", "price": Decimal("1.00"), field: value}
    with pytest.raises(ApplicationError) as refused:
        services.item_create(ctx, **body)
    assert [(e.field, e.msg) for e in refused.value.fields] == [(field, message)]
    assert not Item.objects.of(ctx).exists()


def test_several_usages_at_once_are_all_or_nothing(ctx):
    """stocks_use (a visit's lines): an item named twice moves twice, a service makes no
    movement, and one item short refuses them all."""
    chlorine, tabs = stocked(ctx, 10, sku="CHL"), stocked(ctx, 1, sku="TAB")
    service = ItemFactory(kind="service", track_stock=False)
    made = services.stocks_use(
        ctx,
        uses=[(chlorine, Decimal("2")), (service, Decimal("1")), (chlorine, Decimal("3"))],
        visit_id=7,
    )
    assert [m and (m.item_id, m.quantity, m.stock_after) for m in made] == [
        (chlorine.pk, Decimal("-2"), Decimal("8")),
        None,
        (chlorine.pk, Decimal("-3"), Decimal("5")),
    ]
    before = StockMovement.objects.of(ctx).count()
    with transaction.atomic():
        error = refusal(
            lambda: services.stocks_use(ctx, uses=[(chlorine, Decimal("1")), (tabs, Decimal("2"))])
        )
        transaction.set_rollback(True)
    assert (error.status, error.reason, error.extra) == (
        409,
        "insufficient_stock",
        {"item_id": tabs.pk, "available": "1.000"},
    )
    assert StockMovement.objects.of(ctx).count() == before
    assert Item.objects.of(ctx).get(pk=chlorine.pk).stock_quantity == 5

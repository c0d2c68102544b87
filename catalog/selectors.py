"""Reads of items and stock movements: every queryset the API, the admin and the report use."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.error_codes import CatalogErrorCode
from catalog.models import Item, StockMovement, in_stock_q, low_stock_q
from core.context import Ctx
from core.errors import NotFound

ITEM_SEARCH_FIELDS = ("name", "sku", "description")

# The list's `sort` values: each field ascending, or descending with "-"; the id breaks ties
# (newest first), so paging is stable.
ITEM_SORTS = ("name", "price", "stock_quantity", "created_at")
ITEM_SORT_CHOICES = tuple(f"{sign}{name}" for name in ITEM_SORTS for sign in ("", "-"))


def item_list(ctx: Ctx) -> QuerySet[Item]:
    """The company's items that are not deleted, newest first."""
    return Item.objects.of(ctx).filter(deleted_at__isnull=True).order_by("-id")


def item_get(ctx: Ctx, *, item_id: int) -> Item:
    item = item_list(ctx).filter(pk=item_id).first()
    if item is None:
        raise NotFound("Item", reason=CatalogErrorCode.ITEM_NOT_FOUND)
    return item


def item_search(ctx: Ctx, queryset: QuerySet[Item], q: str) -> QuerySet[Item]:
    """Every word of `q` must be in the name, the SKU or the description."""
    for term in q.split():
        match = Q()
        for name in ITEM_SEARCH_FIELDS:
            match |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(match)
    return queryset


def item_filter_low_stock(ctx: Ctx, queryset: QuerySet[Item], low: bool) -> QuerySet[Item]:
    return queryset.filter(low_stock_q()) if low else queryset.exclude(low_stock_q())


def item_filter_in_stock(ctx: Ctx, queryset: QuerySet[Item], only: bool) -> QuerySet[Item]:
    return queryset.filter(in_stock_q()) if only else queryset


def item_sort(ctx: Ctx, queryset: QuerySet[Item], sort: str) -> QuerySet[Item]:
    if sort not in ITEM_SORT_CHOICES:
        raise ValueError(f"unknown sort {sort!r}")
    return queryset.order_by(sort, "-id")


def item_low_stock(ctx: Ctx) -> QuerySet[Item]:
    """The report's rows: active items at or below their reorder level, the emptiest first."""
    return (
        item_list(ctx)
        .filter(low_stock_q(), is_active=True)
        .order_by("stock_quantity", "name", "id")
    )


@dataclass(frozen=True)
class LowStock:
    count: int
    emptiest: list[Item]


def item_low_stock_summary(ctx: Ctx, *, show: int = 5) -> LowStock:
    """The dashboard's panel: how many items to reorder, and the emptiest few."""
    items = item_low_stock(ctx)
    return LowStock(count=items.count(), emptiest=list(items[:show]))


def movement_list(ctx: Ctx) -> QuerySet[StockMovement]:
    return StockMovement.objects.of(ctx).order_by("-id")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def movement_filter_dates(
    ctx: Ctx,
    queryset: QuerySet[StockMovement],
    *,
    from_date: datetime.date | None = None,
    to_date: datetime.date | None = None,
) -> QuerySet[StockMovement]:
    """Movements made on those days (both included) of the current time zone: a range of the
    timestamp, which the (company, created_at) index serves."""
    if from_date is not None:
        queryset = queryset.filter(created_at__gte=_day_start(from_date))
    if to_date is not None and to_date < datetime.date.max:  # the last day has no day after it
        queryset = queryset.filter(created_at__lt=_day_start(to_date + datetime.timedelta(days=1)))
    return queryset

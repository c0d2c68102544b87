"""Reads of the technician's day: today's stops in route order, a stop's pools with their last
readings, and the catalog items a stop may use."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from catalog.models import Item
from catalog.selectors import item_list, item_search
from core.context import Ctx
from operations.models import Reading, Visit, VisitStatus
from operations.selectors import visit_list
from pools.models import Pool
from pools.selectors import pool_list

# The search answers a thumb's worth of matches; typing more narrows them.
ITEM_MATCHES = 20


def _active_pools(ctx: Ctx) -> QuerySet[Pool]:
    return pool_list(ctx).filter(is_active=True).order_by("name", "id")


def day_route(ctx: Ctx, *, day: datetime.date) -> QuerySet[Visit]:
    """ctx's user's stops of `day` in route order (position, then id), with the customer, the
    property and its active pools in a fixed number of queries; cancelled stops are off it."""
    user_id = ctx.user.pk if ctx.user is not None else None
    return (
        visit_list(ctx)
        .filter(technician_id=user_id, scheduled_date=day)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("customer", "property")
        .prefetch_related(
            Prefetch("property__pools", queryset=_active_pools(ctx), to_attr="active_pools")
        )
        .order_by("route_position", "id")
    )


@dataclass(frozen=True)
class StopPool:
    pool: Pool
    # The pool's newest reading taken at another visit (None: never measured before).
    last_reading: Reading | None


def stop_pools(ctx: Ctx, visit: Visit) -> list[StopPool]:
    """The active pools at the stop's property, each with its newest reading of another visit
    (by the visit's day: a reading typed in late is still older), in two queries."""
    newest = (
        Reading.objects.of(ctx)
        .filter(pool_id=OuterRef("pk"))
        .exclude(visit_id=visit.pk)
        .order_by("-visit__scheduled_date", "-id")
        .values("pk")[:1]
    )
    pools = list(
        _active_pools(ctx)
        .filter(property_id=visit.property_id)
        .annotate(last_reading_id=Subquery(newest))
    )
    ids = [pool.last_reading_id for pool in pools if pool.last_reading_id is not None]
    readings = Reading.objects.of(ctx).select_related("visit").in_bulk(ids)
    return [StopPool(pool, readings.get(pool.last_reading_id)) for pool in pools]


def stop_items(ctx: Ctx, *, q: str) -> QuerySet[Item]:
    """The active items whose name, SKU or description has every word of `q`, by name."""
    found = item_search(ctx, item_list(ctx).filter(is_active=True), q)
    return found.order_by("name", "id")[:ITEM_MATCHES]


def items_by_id(ctx: Ctx, ids: Iterable[str]) -> dict[int, Item]:
    """The company's items of these ids as sent (text that is no id is no item)."""
    wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]
    return item_list(ctx).in_bulk(wanted)

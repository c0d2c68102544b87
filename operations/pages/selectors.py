"""Reads of the technician's day beyond the route (operations.selectors.route_list): a stop's
pools with their last readings, and the catalog items a stop may use."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from catalog.models import Item
from catalog.selectors import item_list, item_search
from core.context import Ctx
from customers.models import full_name
from operations.models import Reading, Visit, VisitStatus
from operations.selectors import route_list
from pools.models import Pool
from pools.selectors import pool_list

# The search answers a thumb's worth of matches; typing more narrows them.
ITEM_MATCHES = 20


@dataclass(frozen=True)
class StopPool:
    pool: Pool
    # The pool's newest reading taken at another visit (None: never measured before).
    last_reading: Reading | None


# What the route page shows of a stop and of its pools (the route's rows: route_list).
STOP_COLUMNS = (
    "id",
    "status",
    "title",
    "customer__first_name",
    "customer__last_name",
    "property__address1",
    "property__city",
)
STOP_POOL_COLUMNS = ("id", "name")


def day_stops(ctx: Ctx, *, day: datetime.date) -> list[dict[str, Any]]:
    """The technician's stops of `day` in route order, as GET /route gives them, with what
    the page shows: the customer's name and the status's label."""
    stops = route_list(ctx, day=day, columns=STOP_COLUMNS, pool_columns=STOP_POOL_COLUMNS)
    for stop in stops:
        stop["customer"] = full_name(stop["customer__first_name"], stop["customer__last_name"])
        stop["status_label"] = VisitStatus(stop["status"]).label
    return stops


def stop_pools(ctx: Ctx, visit: Visit) -> list[StopPool]:
    """The pools of the stop as the route gives them (operations.selectors.route_list: a
    route visit's plan's pool, another visit's property's active pools), each with its newest
    reading of another visit (by the visit's day: a reading typed in late is still older)."""
    route = route_list(ctx, day=visit.scheduled_date, columns=("id",), pool_columns=("id",))
    on_route = next((stop for stop in route if stop["id"] == visit.pk), None)
    ids = [pool["id"] for pool in on_route["route_pools"]] if on_route else []
    if not ids:
        return []
    newest = (
        Reading.objects.of(ctx)
        .filter(pool_id=OuterRef("pk"))
        .exclude(visit_id=visit.pk)
        .order_by("-visit__scheduled_date", "-id")
        .values("pk")[:1]
    )
    pools = list(
        pool_list(ctx).filter(pk__in=ids).annotate(last_id=Subquery(newest)).order_by("name", "id")
    )
    readings = (
        Reading.objects.of(ctx)
        .select_related("visit")
        .in_bulk([pool.last_id for pool in pools if pool.last_id is not None])
    )
    return [StopPool(pool, readings.get(pool.last_id)) for pool in pools]


def stop_items(ctx: Ctx, *, q: str) -> QuerySet[Item]:
    """The active items whose name, SKU or description has every word of `q`, by name."""
    found = item_search(ctx, item_list(ctx).filter(is_active=True), q)
    return found.order_by("name", "id")[:ITEM_MATCHES]


def items_by_id(ctx: Ctx, ids: Iterable[str]) -> dict[int, Item]:
    """The company's items of these ids as sent (text that is no id is no item)."""
    wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]
    return item_list(ctx).in_bulk(wanted)

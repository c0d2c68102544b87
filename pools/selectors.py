"""Reads of pools and equipment: every queryset the API and the admin list from."""

from django.db.models import Q, QuerySet

from core.context import Ctx
from core.errors import NotFound
from pools.error_codes import PoolErrorCode
from pools.models import Equipment, Pool
from tenancy.scoping import on_route

# The pool's own name and where it is: "perry spa" finds the spa at Perry Residence.
POOL_SEARCH_FIELDS = ("name", "property__label", "property__address1", "property__city")


def pool_list(ctx: Ctx) -> QuerySet[Pool]:
    # The property: a pool renders its customer_id through it (a list reads it in its join).
    return on_route(ctx, Pool.objects.of(ctx)).select_related("property").order_by("-id")


def pool_search(ctx: Ctx, queryset: QuerySet[Pool], q: str) -> QuerySet[Pool]:
    """Every word of `q` matches the pool's name or its property's label, address or city."""
    for term in q.split():
        match = Q()
        for name in POOL_SEARCH_FIELDS:
            match |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(match)
    return queryset


def pool_get(ctx: Ctx, *, pool_id: int) -> Pool:
    pool = pool_list(ctx).filter(pk=pool_id).first()
    if pool is None:
        raise NotFound("Pool", reason=PoolErrorCode.POOL_NOT_FOUND)
    return pool


def equipment_list(ctx: Ctx) -> QuerySet[Equipment]:
    return on_route(ctx, Equipment.objects.of(ctx)).order_by("-id")

"""What is on a technician's route (tenancy.scoping.on_route): the properties of the visits
assigned to them and of the pools whose running plans they serve, and those properties'
customers, pools and equipment. Nothing else of the company."""

from django.db.models import Q, QuerySet

from core.context import Ctx
from operations.models import PlanStatus, ServicePlan, Visit


def _visits(ctx: Ctx) -> QuerySet[Visit]:
    return Visit.objects.of(ctx).filter(technician_id=ctx.user.pk if ctx.user else None)


def _plans(ctx: Ctx) -> QuerySet[ServicePlan]:
    return (
        ServicePlan.objects.of(ctx)
        .filter(technician_id=ctx.user.pk if ctx.user else None)
        .exclude(status=PlanStatus.ENDED)
    )


def _property_ids(ctx: Ctx, field: str = "pk") -> Q:
    return Q(**{f"{field}__in": _visits(ctx).values("property_id")}) | Q(
        **{f"{field}__in": _plans(ctx).values("pool__property_id")}
    )


def property_on_route(ctx: Ctx) -> Q:
    return _property_ids(ctx)


def customer_on_route(ctx: Ctx) -> Q:
    return Q(pk__in=_visits(ctx).values("customer_id")) | Q(
        pk__in=_plans(ctx).values("pool__property__customer_id")
    )


def pool_on_route(ctx: Ctx) -> Q:
    return _property_ids(ctx, "property_id")


def equipment_on_route(ctx: Ctx) -> Q:
    return _property_ids(ctx, "pool__property_id")

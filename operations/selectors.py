"""Reads of plans and visits: every queryset the API, the admin and the pages list from. A
technician sees only their own visits and plans."""

from typing import TypeVar

from django.db.models import QuerySet

from core.context import Ctx
from core.errors import NotFound
from operations.error_codes import OperationsErrorCode
from operations.models import Photo, ServicePlan, Visit
from tenancy.models import Role

_Assigned = TypeVar("_Assigned", ServicePlan, Visit)


def _own(ctx: Ctx, queryset: QuerySet[_Assigned]) -> QuerySet[_Assigned]:
    if ctx.role == Role.TECHNICIAN:
        return queryset.filter(technician_id=ctx.user.pk if ctx.user else None)
    return queryset


def plan_list(ctx: Ctx) -> QuerySet[ServicePlan]:
    # The pool's property: a plan renders its property_id and customer_id through it.
    return _own(ctx, ServicePlan.objects.of(ctx)).select_related("pool__property").order_by("-id")


def plan_get(ctx: Ctx, *, plan_id: int) -> ServicePlan:
    plan = plan_list(ctx).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("Service plan", reason=OperationsErrorCode.PLAN_NOT_FOUND)
    return plan


def visit_list(ctx: Ctx) -> QuerySet[Visit]:
    return _own(ctx, Visit.objects.of(ctx)).order_by("-id")


def visit_get(ctx: Ctx, *, visit_id: int) -> Visit:
    """The visit, if ctx may see it (another company's, or another technician's: 404)."""
    visit = visit_list(ctx).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound("Visit", reason=OperationsErrorCode.VISIT_NOT_FOUND)
    return visit


def photo_list(ctx: Ctx, *, visit: Visit) -> QuerySet[Photo]:
    """The photos of `visit` (one ctx may see: visit_get), newest first."""
    return Photo.objects.of(ctx).filter(visit=visit).order_by("-id")


def photo_get(ctx: Ctx, *, visit: Visit, photo_id: int) -> Photo:
    photo = photo_list(ctx, visit=visit).filter(pk=photo_id).first()
    if photo is None:
        raise NotFound("Photo", reason=OperationsErrorCode.PHOTO_NOT_FOUND)
    return photo

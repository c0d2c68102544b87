"""Reads of plans and visits: every queryset the API, the admin and the pages list from. A
technician sees only their own visits and plans."""

import datetime
import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import QuerySet, prefetch_related_objects

from core.context import Ctx
from core.errors import ApplicationError, FieldError, InvalidInput, NotFound
from ektor.db.prepared import PreparedQuery
from operations.error_codes import OperationsErrorCode
from operations.models import Photo, Reading, ServicePlan, Visit, VisitLine
from pools.models import Pool
from tenancy.models import Membership, Role
from tenancy.scoping import company_of

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


def _visit_queryset(*, company_id: int, visit_id: int, lock: bool) -> QuerySet[Visit]:
    visits = Visit.objects.of(Ctx.system(company=company_id)).filter(pk=visit_id)
    return visits.select_for_update() if lock else visits


def _own_visit_queryset(
    *, company_id: int, visit_id: int, technician_id: int, lock: bool
) -> QuerySet[Visit]:
    return _visit_queryset(company_id=company_id, visit_id=visit_id, lock=lock).filter(
        technician_id=technician_id
    )


# One visit by id, read or locked, for the office and for its technician (visit_list's rule):
# compiled once per process, as every action on a visit reads it twice (the view's lookup, the
# service's lock) and building each with the ORM cost a completion more than its round trip.
_VISIT = {
    lock: PreparedQuery(functools.partial(_visit_queryset, lock=lock), company_id=int, visit_id=int)
    for lock in (False, True)
}
_OWN_VISIT = {
    lock: PreparedQuery(
        functools.partial(_own_visit_queryset, lock=lock),
        company_id=int,
        visit_id=int,
        technician_id=int,
    )
    for lock in (False, True)
}


def visit_find(ctx: Ctx, *, visit_id: int, lock: bool = False) -> Visit | None:
    """The visit of visit_list(ctx) with this id (None: another company's, another
    technician's, or none), its row locked until the transaction ends with `lock`."""
    company_id = company_of(ctx).pk
    if ctx.role != Role.TECHNICIAN:
        found = _VISIT[lock](company_id=company_id, visit_id=visit_id)
    elif ctx.user is None:
        return None
    else:
        found = _OWN_VISIT[lock](
            company_id=company_id, visit_id=visit_id, technician_id=ctx.user.pk
        )
    return found[0] if found else None


def visit_get(ctx: Ctx, *, visit_id: int) -> Visit:
    """The visit, if ctx may see it (another company's, or another technician's: 404)."""
    visit = visit_find(ctx, visit_id=visit_id)
    if visit is None:
        raise NotFound("Visit", reason=OperationsErrorCode.VISIT_NOT_FOUND)
    return visit


def visit_details(ctx: Ctx, visits: Iterable[Visit]) -> list[Visit]:
    """The visits with what a visit renders of its own (readings, lines, photos), three
    queries for any number of them."""
    rows = list(visits)
    prefetch_related_objects(rows, "readings", "lines", "photos")
    return rows


def visit_rows_made(
    ctx: Ctx, *, visit: Visit, readings: list[Reading], lines: list[VisitLine]
) -> None:
    """Give `visit` the readings and lines its completion has just made, as visit_details would
    read them (in id order), so that the answer reads only its photos: a visit has readings and
    lines from its completion only (a correction comes after)."""
    cache = visit.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (("readings", readings), ("lines", lines)):
        # As Django's prefetch stores what it read.
        queryset = getattr(visit, name).get_queryset()
        queryset._result_cache = sorted(rows, key=lambda row: row.pk)
        queryset._prefetch_done = True
        cache[name] = queryset


def _route_technician(ctx: Ctx, technician_id: int | None) -> int | None:
    """Whose route ctx reads: a technician their own (another's is 403); the office names a
    technician of the company (422 on technician_id otherwise)."""
    if ctx.role == Role.TECHNICIAN:
        own = ctx.user.pk if ctx.user else None
        if technician_id is not None and technician_id != own:
            raise ApplicationError(
                "A technician sees their own route only",
                reason=OperationsErrorCode.NOT_YOUR_ROUTE,
                status=403,
            )
        return own
    if technician_id is None:
        message = "Whose route: give the technician_id of a technician of the company"
        raise InvalidInput([FieldError("technician_id", message, "missing")])
    if not _technician_member(company_id=company_of(ctx).pk, user_id=technician_id):
        message = f"User {technician_id} is not a technician of this company"
        raise InvalidInput([FieldError("technician_id", message, "not_a_technician")])
    return technician_id


def _technician_member_queryset(*, company_id: int, user_id: int) -> QuerySet[Membership, Any]:
    ctx = Ctx.system(company=company_id)
    return (
        Membership.objects.of(ctx)
        .filter(user_id=user_id, role=Role.TECHNICIAN)
        .order_by()
        .values("id")[:1]
    )


# The route's reads, compiled once per process (ektor/db/prepared.py): building and compiling
# them with the ORM cost more than half of a 20-stop day's request (docs/performance.md).
_technician_member = PreparedQuery(_technician_member_queryset, company_id=int, user_id=int)


def _route_queryset(
    columns: tuple[str, ...], *, company_id: int, day: datetime.date, technician_id: int
) -> QuerySet[Visit, Any]:
    day_visits: QuerySet[Visit, Any] = (
        Visit.objects.of(Ctx.system(company=company_id))
        .filter(scheduled_date=day, technician_id=technician_id)
        .order_by("route_position", "id")
        .values(*columns)
    )
    return day_visits


_route_queries: dict[tuple[str, ...], PreparedQuery[dict[str, Any]]] = {}


def _route_query(columns: tuple[str, ...]) -> PreparedQuery[dict[str, Any]]:
    """The day's visits with these columns (each caller reads its own, fixed set)."""
    query = _route_queries.get(columns)
    if query is None:
        query = _route_queries.setdefault(
            columns,
            PreparedQuery(
                functools.partial(_route_queryset, columns),
                company_id=int,
                day=datetime.date,
                technician_id=int,
            ),
        )
    return query


def route_list(
    ctx: Ctx,
    *,
    day: datetime.date,
    columns: Iterable[str],
    pool_columns: Iterable[str],
    technician_id: int | None = None,
) -> list[dict[str, Any]]:
    """A technician's visits of `day` in route order (route_position, then id): `values()` rows
    of the visit's `columns` (its customer and property through their relations), each with
    `route_pools`, rows of `pool_columns`: a route visit's plan's pool; a visit without a plan
    (a work order, an extra stop) the property's active pools. Two queries, whatever the
    number of visits; rows, not models: instances cost most of a 20-stop day."""
    pool_columns = tuple(pool_columns)
    planned = tuple(f"plan__pool__{column}" for column in pool_columns)
    whose = _route_technician(ctx, technician_id)
    if whose is None:
        return []
    query = _route_query(tuple(dict.fromkeys((*columns, "plan_id", "property_id", *planned))))
    rows = query(company_id=company_of(ctx).pk, day=day, technician_id=whose)
    unplanned = {row["property_id"] for row in rows if row["plan_id"] is None}
    pools: dict[int, list[dict[str, Any]]] = {}
    if unplanned:
        active = Pool.objects.of(ctx).filter(property_id__in=unplanned, is_active=True)
        for pool in active.order_by("id").values("property_id", *pool_columns):
            pools.setdefault(pool["property_id"], []).append(pool)
    for row in rows:
        if row["plan_id"] is not None:
            row["route_pools"] = [dict(zip(pool_columns, (row[c] for c in planned), strict=True))]
        else:
            row["route_pools"] = pools.get(row["property_id"], [])
    return rows


def photo_list(ctx: Ctx, *, visit: Visit) -> QuerySet[Photo]:
    """The photos of `visit` (one ctx may see: visit_get), newest first."""
    return Photo.objects.of(ctx).filter(visit=visit).order_by("-id")


def photo_get(ctx: Ctx, *, visit: Visit, photo_id: int) -> Photo:
    photo = photo_list(ctx, visit=visit).filter(pk=photo_id).first()
    if photo is None:
        raise NotFound("Photo", reason=OperationsErrorCode.PHOTO_NOT_FOUND)
    return photo

"""Scoping in one place: every query of a tenant model names its company.

A tenant model's default manager is `TenantManager`. `Model.objects.of(ctx)` is the scoped
queryset every selector and service lookup starts from. With the tripwire on
(settings.TENANCY_TRIPWIRE: tests and development), evaluating a queryset of a tenant model
whose WHERE does not pin its own `company` column raises UnscopedQuery, so a forgotten filter
fails loudly instead of reading another company's rows. A related manager of a row already read
(`customer.properties.all()`, prefetches) is scoped by that row and passes.

The explicit way around it is each model's `unscoped` manager: for code that means every
company (migrations, the bench, `manage.py receivables --fix` over all companies, tests' own
counting). Writes through a model instance (`save()`) use the base manager and are not checked.
"""

import datetime
import functools
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models.expressions import Col
from django.db.models.sql.where import AND, WhereNode
from django.utils import timezone

from core.context import ActorKind, Ctx

TENANT_FIELD = "company"


class UnscopedQuery(RuntimeError):
    """A tenant model was queried without its company: a missing `.of(ctx)`."""


class NoCompany(RuntimeError):
    """A tenant model was scoped with a ctx that names no company."""


def company_of(ctx: Ctx) -> Any:
    if ctx.company is None:
        raise NoCompany(f"{ctx.actor_label} acts for no company; tenant rows need one")
    return ctx.company


def company_zone(ctx: Ctx) -> ZoneInfo:
    """The company's time zone: its days are the ones its routes, deadlines and billing count.
    (A ctx of no company reads no request: the OpenAPI generator's views; the installation's
    zone then.)"""
    company = ctx.company
    return ZoneInfo(company.time_zone if company is not None else settings.TIME_ZONE)


def company_today(ctx: Ctx) -> datetime.date:
    """Today where the company works."""
    return timezone.localdate(timezone=company_zone(ctx))


def _pins_company(where: WhereNode, alias: str | None) -> bool:
    """Whether every row `where` admits has its `company` column pinned: one conjunct pins
    it (company = X, company IN (...)), or every branch of a disjunction does."""
    if where.negated or not where.children:
        return False
    results = []
    for child in where.children:
        if isinstance(child, WhereNode):
            results.append(_pins_company(child, alias))
            continue
        lhs = getattr(child, "lhs", None)
        results.append(
            isinstance(lhs, Col)
            and lhs.target.name == TENANT_FIELD
            and lhs.alias == alias
            and getattr(child, "lookup_name", None) in ("exact", "in")
        )
    return any(results) if where.connector == AND else all(results)


_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M, _M]):
    def of(self, ctx: Ctx) -> "TenantQuerySet[_M]":
        """The rows of ctx's company; none for an anonymous caller (the OpenAPI generator
        builds the views' querysets without a request)."""
        if ctx.kind == ActorKind.ANONYMOUS and ctx.company is None:
            return self.none()
        return self.filter(**{TENANT_FIELD: company_of(ctx)})

    def _is_scoped(self) -> bool:
        if self._hints.get("instance") is not None or self._known_related_objects:
            return True
        query = self.query
        return _pins_company(query.where, query.base_table or self.model._meta.db_table)

    def _trip(self) -> None:
        if (
            getattr(settings, "TENANCY_TRIPWIRE", False)
            and not self.query.is_empty()
            and not self._is_scoped()
        ):
            raise UnscopedQuery(
                f"{self.model.__name__} queried without its company: start from "
                f"{self.model.__name__}.objects.of(ctx) (or .unscoped when every company "
                "is meant)"
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._trip()
        super()._fetch_all()

    def count(self) -> int:
        if self._result_cache is None:
            self._trip()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._trip()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._trip()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs) -> int:
        self._trip()
        return super().update(**kwargs)

    def delete(self):
        self._trip()
        return super().delete()

    def iterator(self, chunk_size=None):
        self._trip()
        return super().iterator(chunk_size=chunk_size)


class TenantManager(models.Manager[_M]):
    def get_queryset(self) -> TenantQuerySet[_M]:
        return TenantQuerySet(self.model, using=self._db, hints=self._hints)

    def of(self, ctx: Ctx) -> TenantQuerySet[_M]:
        """The rows of ctx's company (TenantQuerySet.of)."""
        return self.get_queryset().of(ctx)


def on_route(ctx: Ctx, queryset: TenantQuerySet[_M]) -> TenantQuerySet[_M]:
    """What of `queryset` ctx's role may see: a technician sees only the rows on their route,
    as the app that knows routes declares them (AppConfig `route_scopes`, model label ->
    dotted path of `(ctx) -> Q`); a model none declares shows a technician nothing."""
    from tenancy.models import Role

    if ctx.role != Role.TECHNICIAN:
        return queryset
    scope = route_scopes().get(queryset.model._meta.label)
    return queryset.none() if scope is None else queryset.filter(scope(ctx))


@functools.cache
def route_scopes() -> dict[str, Callable[[Ctx], models.Q]]:
    from django.utils.module_loading import import_string

    from ektor.registry import declared

    return {
        label: import_string(path)
        for _config, scopes in declared("route_scopes")
        for label, path in scopes.items()
    }


class UnscopedManager(models.Manager):
    """A tenant model's `unscoped` manager: every company's rows, on purpose."""


def is_tenant_model(model: type[models.Model]) -> bool:
    """Whether `model`'s rows belong to companies (its default manager is the tripwire's)."""
    return isinstance(model._default_manager, TenantManager)

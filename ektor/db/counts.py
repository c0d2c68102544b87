"""Exact row counts of whole tables (a company's whole share of one) for X-Total-Count, kept in
the shared cache.

COUNT(*) over an InnoDB table reads a whole index: milliseconds at 240,000 invoices and four
times that at 1,000,000, on every list request. The unfiltered list of a model its app names
in `counted_models` (on its AppConfig) reads its count from the cache instead, under a version key:

- every row insert or delete (post_save created / post_delete, and `rows_changed` for bulk
  inserts) deletes the version key, at once and again when the transaction commits;
- a reader takes the version (making a new one when there is none) *before* it counts, and
  stores the count with that version; a count is used only while its version is current.

So a count stored by a reader that raced a write is never read after the write's commit has
removed its version. Writes that bypass the ORM (raw SQL, a restore) are covered by
COUNT_TTL: the count is taken again at least that often. Filtered lists always count. A tenant
model's unfiltered list is its company's rows (company = X): counted per company, under that
company's version key.
"""

import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.signals import post_delete, post_save

from ektor.db.router import primary_reads
from ektor.registry import declared

COUNT_TTL = 300
# The version lives until a write deletes it.
VERSION_TTL = None


def is_counted(model: type[Model]) -> bool:
    """Whether the model's app declares it in `counted_models`."""
    meta = model._meta
    return meta.object_name in getattr(meta.app_config, "counted_models", ())


def _keys(model: type[Model], company_id: Any = None) -> tuple[str, str]:
    label = model._meta.label_lower
    if company_id is not None:
        label = f"{label}:{company_id}"
    return f"rowcount:{label}:version", f"rowcount:{label}"


def rows_changed(model: type[Model], company_id: Any = None) -> None:
    """Rows of `model` (of the company `company_id`, for a tenant model) were inserted or
    deleted (call it after bulk inserts)."""
    version_key = _keys(model, company_id)[0]
    cache.delete(version_key)
    # A reader between now and the commit may count without the new rows under a new
    # version: dropping the version again after the commit retires that count.
    transaction.on_commit(lambda: cache.delete(version_key))


def company_rows_changed(company_id: Any) -> None:
    """Every counted model's rows of the company may have changed (a bulk load, as seed_demo's)."""
    for config, names in declared("counted_models"):
        for name in names:
            rows_changed(config.get_model(name), company_id)


def _saved(sender, instance=None, created=False, **kwargs) -> None:
    if created:
        rows_changed(sender, getattr(instance, "company_id", None))


def _deleted(sender, instance=None, **kwargs) -> None:
    rows_changed(sender, getattr(instance, "company_id", None))


def connect() -> None:
    """Called from EktorConfig.ready: every ORM write of a counted model retires its count."""
    for config, names in declared("counted_models"):
        for name in names:
            model = config.get_model(name)
            label = model._meta.label
            post_save.connect(_saved, sender=model, dispatch_uid=f"rowcount-save-{label}")
            post_delete.connect(_deleted, sender=model, dispatch_uid=f"rowcount-delete-{label}")


_NOT_WHOLE = object()


def _whole_table_company(queryset: QuerySet) -> Any:
    """None for a whole counted table, the company's id for a company's whole share of one
    (WHERE company_id = X alone), _NOT_WHOLE for anything else."""
    query = queryset.query
    if (
        not is_counted(queryset.model)
        or query.distinct
        or query.low_mark != 0
        or query.high_mark is not None
        or query.is_empty()
    ):
        return _NOT_WHOLE
    if not query.where:
        return None
    children = query.where.children
    if query.where.negated or len(children) != 1:
        return _NOT_WHOLE
    lookup = children[0]
    lhs = getattr(lookup, "lhs", None)
    if (
        isinstance(lhs, Col)
        and lhs.target.name == "company"
        and getattr(lookup, "lookup_name", None) == "exact"
    ):
        return getattr(lookup.rhs, "pk", lookup.rhs)
    return _NOT_WHOLE


def total_count(queryset: QuerySet) -> int:
    """queryset.count(), from the cache when the queryset is a whole counted table (or a
    company's whole share of one)."""
    company_id = _whole_table_company(queryset)
    if company_id is _NOT_WHOLE:
        return queryset.count()
    version_key, count_key = _keys(queryset.model, company_id)
    found = cache.get_many([version_key, count_key])
    version = found.get(version_key)
    stored = found.get(count_key)
    if version is not None and stored is not None and stored[0] == version:
        return stored[1]
    if version is None:
        version = uuid.uuid4().hex
        cache.set(version_key, version, VERSION_TTL)
    # Counted on the primary: a replica's older count, kept, would outlive its lag.
    with primary_reads():
        count = queryset.count()
    cache.set(count_key, (version, count), COUNT_TTL)
    return count

"""Item lists and single items kept in the shared cache (Redis with REDIS_URL, otherwise the
project's default cache), under a version key per company.

Every write that changes what a list or an item shows (an item's create, change or delete, a
stock movement) calls `items_changed`, which replaces the company's version: the entries made
under the old version are never read again (they expire). A read takes the version *before* it
reads the database and stores what it read under that version, so:

- a read that raced a write and read the old rows stored them under a version the write's
  commit has already replaced (`items_changed` replaces it at once and again when the
  transaction commits: a read between the two may see the write's version but not yet its
  rows), so no read after the commit finds them;
- a read after the commit takes the new version, misses, and reads the database.

A key is the company, its version and what the caller asked (the list's query string, an
item's id): the rendered JSON (catalog/api/views.py), so a hit costs no query of the items, no
encoding or rendering and no unpickling of rows, and one round trip to the cache (the version
and the entry read together, see `_last_version`).
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.context import Ctx
from ektor.db.router import primary_reads
from tenancy.scoping import company_of

T = TypeVar("T")

# The version lives until a write replaces it; an entry at most CATALOG_CACHE_SECONDS, so the
# keys of old versions go away by themselves.
VERSION_TTL = None


def _version_key(company_id: int) -> str:
    return f"catalog:items:{company_id}:version"


def items_changed(ctx: Ctx) -> None:
    """The company's items changed (call it inside the writing transaction)."""
    key = _version_key(company_of(ctx).pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _entry_key(company_id: int, version: str, digest: str) -> str:
    return f"catalog:items:{company_id}:{version}:{digest}"


# The version this process last saw per company: a hint only, so that a hit is one round trip
# (the version and the entry under the hinted version, read together); the entry is used only
# when the version read with it is that same one.
_last_version: dict[int, str] = {}


def cached(ctx: Ctx, what: str, compute: Callable[[], T]) -> T:
    """`compute()` (which reads the company's items), from the cache when it is current.
    `what` names the answer within the company (e.g. "list:<query>", "item:12"); an exception
    of `compute` (a 404, a 422) is raised and nothing is stored."""
    seconds = settings.CATALOG_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    company_id = company_of(ctx).pk
    digest = hashlib.sha256(what.encode()).hexdigest()[:32]
    version_key = _version_key(company_id)
    hint = _last_version.get(company_id)
    hinted = _entry_key(company_id, hint, digest) if hint else None
    found: dict[str, Any] = cache.get_many([version_key, hinted] if hinted else [version_key])
    version = found.get(version_key)
    if version is None:
        # add(): two readers making the version at once agree on the first one.
        made = uuid.uuid4().hex
        version = (
            made if cache.add(version_key, made, VERSION_TTL) else cache.get(version_key, made)
        )
    version = str(version)
    _last_version[company_id] = version
    key = _entry_key(company_id, version, digest)
    value: Any = found.get(key) if key == hinted else cache.get(key)
    if value is not None:
        return value  # type: ignore[no-any-return]
    # What is kept must be current: a replica's older copy would outlive its lag.
    with primary_reads():
        value = compute()
    cache.set(key, value, seconds)
    return value  # type: ignore[no-any-return]

"""Read replicas: which database a read goes to.

Only reads that may be a moment behind the primary go to a replica, and only where a view asks
for it with `replica_read` (the API's lists and statements, the admin's changelists and printable
statement): everything else, every write, and every read inside a transaction (a service
reading what it is about to write) stays on the primary.

Read-your-writes: a user who has just written (any POST, PUT, PATCH or DELETE) is pinned to the
primary for `REPLICA_PIN_SECONDS`, by a key in the shared cache (`ReplicaPinMiddleware`). The
cache rather than a signed cookie, because the API's clients sign in with a bearer token and
need not keep cookies, and because the pin then holds on every web process and every device of
the user; it costs one cache read per replica read.

A replica is used while its replication runs and lags at most `REPLICA_MAX_LAG_SECONDS`; each
process asks each replica (`SHOW REPLICA STATUS`) at most every `REPLICA_CHECK_SECONDS`. A
replica that fails during a read is asked again at once and, when it does not answer, the read
runs again on the primary.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("ektor.db")
T = TypeVar("T")

# The replica the current reads may go to (None: the primary).
_replica: ContextVar[str | None] = ContextVar("ektor_replica", default=None)
# Set by primary_reads(): these reads go to the primary even inside a replica_read.
_primary_only: ContextVar[bool] = ContextVar("ektor_primary_only", default=False)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _replica.get()
        if (
            alias is None
            or _primary_only.get()
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            # The database cache's table: every process writes it on the primary, and a
            # replica's copy would be a cache behind the cache.
            or model._meta.app_label == "django_cache"
        ):
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows, wherever they were read

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # replicas get the schema through replication


@dataclass(frozen=True)
class ReplicaState:
    name: str
    # "ok", or why it is skipped: "lagging", "stopped" (replication does not run),
    # "not_replicating" (the server is no replica), "unavailable" (it does not answer)
    status: str
    lag_seconds: int | None
    checked_at: float

    @property
    def usable(self) -> bool:
        return self.status == "ok"


_states: dict[str, ReplicaState] = {}
_states_lock = threading.Lock()


def _probe(alias: str) -> ReplicaState:
    connection = connections[alias]
    now = time.monotonic()
    try:
        with connection.cursor() as cursor:
            # MariaDB 10.5+ and MySQL 8.0.22+; the lag's column is named after the master on
            # MariaDB and after the source on MySQL.
            cursor.execute("SHOW REPLICA STATUS")
            row = cursor.fetchone()
            columns = [column[0] for column in cursor.description or ()]
    except DatabaseError as exc:
        logger.warning("replica %s unavailable: %s", alias, exc)
        connection.close()  # the next check connects afresh
        return ReplicaState(alias, "unavailable", None, now)
    if row is None:
        return ReplicaState(alias, "not_replicating", None, now)
    status = dict(zip(columns, row, strict=False))
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    if lag is None:
        return ReplicaState(alias, "stopped", None, now)
    lag = int(lag)
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return ReplicaState(alias, "lagging", lag, now)
    return ReplicaState(alias, "ok", lag, now)


def replica_state(alias: str, *, fresh: bool = False) -> ReplicaState:
    """The replica's state as this process last saw it, asked again when older than
    REPLICA_CHECK_SECONDS (or `fresh`)."""
    state = _states.get(alias)
    stale = state is None or time.monotonic() - state.checked_at >= settings.REPLICA_CHECK_SECONDS
    if fresh or stale:
        state = _probe(alias)
        with _states_lock:
            previous = _states.get(alias)
            _states[alias] = state
        if previous is not None and previous.status != state.status:
            logger.warning("replica %s: %s -> %s", alias, previous.status, state.status)
    return state


def replica_states() -> list[ReplicaState]:
    """Every configured replica, asked now (for /health)."""
    return [replica_state(alias, fresh=True) for alias in settings.DATABASE_REPLICAS]


def forget_replica_states() -> None:
    with _states_lock:
        _states.clear()


def _pin_key(user_id: Any) -> str:
    return f"replica-pin:{user_id}"


def pin_to_primary(user_id: Any) -> None:
    cache.set(_pin_key(user_id), 1, settings.REPLICA_PIN_SECONDS)


def _replica_for(user: Any) -> str | None:
    aliases = settings.DATABASE_REPLICAS
    if not aliases or _primary_only.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    if user is not None and user.is_authenticated and cache.get(_pin_key(user.pk)) is not None:
        return None
    usable = [alias for alias in aliases if replica_state(alias).usable]
    # Spreads the reads; nothing secret is chosen.
    return random.choice(usable) if usable else None  # noqa: S311


@contextmanager
def primary_reads() -> Iterator[None]:
    """The reads inside go to the primary, even within a replica_read: for what is kept after
    the request (a cache entry, a cached count), which must not be a replica's older copy that
    would outlive the replica's lag and the writer's pin."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


@contextmanager
def _reading_from(alias: str) -> Iterator[None]:
    token = _replica.set(alias)
    try:
        yield
    finally:
        _replica.reset(token)


def replica_read(user: Any, read: Callable[[], T]) -> T:
    """`read()` against a replica when one may serve `user` (see the module), else against the
    primary. Everything `read` evaluates must be evaluated inside it (a lazy queryset or an
    unrendered template read later would go to the primary)."""
    alias = _replica_for(user)
    if alias is None:
        return read()
    try:
        with _reading_from(alias):
            return read()
    except DatabaseError:
        # The replica failing, or a schema it has not replayed yet (a release's new column or
        # table): the read changes nothing, so the primary answers it (and raises an error that
        # is the read's own).
        replica_state(alias, fresh=True)
    logger.warning("replica %s failed during a read; read again from the primary", alias)
    return read()


class ReplicaPinMiddleware:
    """After a user's write, their reads go to the primary for REPLICA_PIN_SECONDS. Set
    before the response leaves, so the client's next request already sees its write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DATABASE_REPLICAS and request.method in _WRITES:
            # The API authenticates inside its views; DRF hands the user back to the request.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pin_to_primary(user.pk)
        return response

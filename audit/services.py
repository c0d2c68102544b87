"""Writing the audit trail: the one place an AuditEvent is made.

A service records its change with `record` (or `record_change` / `recording_delete`, which
compute the field diff) inside its own transaction, after the write: the event commits exactly
when the change does, and rolls back with it. Who acts and the request id come from `ctx`.
"""

import contextvars
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.utils import timezone

from audit.changes import diff, loaded, snapshot
from audit.models import AuditEvent
from core.context import Ctx
from ektor.db.inserts import insert_many

Target = models.Model | tuple[str, int]

# The events of a bulk write (recorded_in_bulk), inserted together at its end.
_pending: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "audit_pending", default=None
)


def _target(target: Target) -> tuple[str, int]:
    if isinstance(target, models.Model):
        return target._meta.model_name or "", int(target.pk)
    return target


def _event(ctx: Ctx, action: str, target: Target, changes: Mapping[str, Any]) -> AuditEvent:
    if not connection.in_atomic_block:
        # Outside a transaction the event could commit without the change, or the change
        # without the event.
        raise RuntimeError("audit events are recorded inside the service's transaction")
    object_type, object_id = _target(target)
    user = ctx.user
    return AuditEvent(
        at=timezone.now(),
        company_id=getattr(ctx.company, "pk", None),
        actor_user_id=user.pk if user is not None else None,
        actor=ctx.audit_actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=dict(changes),
        request_id=ctx.request_id,
    )


# An event's columns (attnames), as a bulk write inserts them.
_EVENT_FIELDS = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _write(events: list[AuditEvent]) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.extend(events)
    elif len(events) == 1:
        events[0].save(force_insert=True)
    elif events:
        # Plain rows: an event's id is never read back by its writer.
        insert_many(
            AuditEvent,
            _EVENT_FIELDS,
            ([getattr(event, name) for name in _EVENT_FIELDS] for event in events),
        )


def record(
    ctx: Ctx, action: str, target: Target, changes: Mapping[str, Any] | None = None
) -> AuditEvent:
    """Record that `ctx`'s actor did `action` to `target` (a row, or (object_type, id)), with
    the field changes given. Call it in the service's transaction, after the write."""
    event = _event(ctx, action, target, changes or {})
    _write([event])
    return event


def record_many(ctx: Ctx, action: str, items: Iterable[tuple[Target, Mapping[str, Any]]]) -> None:
    """One event per (target, changes), inserted together (a write of many rows at once)."""
    _write([_event(ctx, action, target, changes) for target, changes in items])


def record_change(
    ctx: Ctx, action: str, obj: models.Model, extra: Mapping[str, list[Any]] | None = None
) -> AuditEvent | None:
    """Record what changed on `obj` since it was read (everything, for a new row), once it is
    saved, and the `extra` changes of what belongs to it (an invoice's lines). An update that
    changed no value records nothing. `obj` then counts as read as it is now, so a second
    change of the same instance records only its own diff."""
    before = loaded(obj)
    changes = {**diff(before, snapshot(obj)), **(extra or {})}
    obj._audit_loaded = {  # type: ignore[attr-defined]
        f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields
    }
    if before is not None and not changes:
        return None
    return record(ctx, action, obj, changes)


@contextmanager
def recording_delete(ctx: Ctx, obj: models.Model) -> Iterator[None]:
    """Record the deletion of `obj` made in the block, with its last values (the row and its
    id are gone afterwards); a refused delete (an exception) records nothing."""
    target, last = _target(obj), snapshot(obj)
    yield
    record(ctx, "delete", target, diff(last, None))


@contextmanager
def recorded_in_bulk(ctx: Ctx) -> Iterator[None]:
    """Within the block (inside one transaction), events are collected and inserted together at
    its end, in batches: a CSV import of thousands of rows makes a handful of inserts, not one
    per row. An exception leaves them unwritten, as its transaction rolls back the rows."""
    if not connection.in_atomic_block:
        raise RuntimeError("a bulk of audit events is recorded inside one transaction")
    pending: list[AuditEvent] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    _write(pending)

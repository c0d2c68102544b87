"""Every write to visits: the office's work orders and extra stops, and a stop's life
(scheduled -> in_progress -> completed, or skipped, or cancelled); the API, the admin and the
technician's page call these.

A technician acts only on their own visits: every action finds the visit through
`operations.selectors.visit_find(ctx)` (visit_list's rule), which hides the others' (404). A
completion is the whole stop in one transaction, with the visit's row locked first: its
readings (with what the chemistry makes of them), its catalog lines (each taking its stock
through `catalog.services.stock_use`, whose refusal refuses the whole), its checklist and
notes. Two completions of one visit at once make one: the second waits for the lock and finds it
completed. A completed visit is changed only by an admin's correction (`visit_correct`), in
the audit trail like everything else here.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.changes import diff, snapshot
from audit.services import record_change, record_many, recorded_in_bulk, recording_delete
from catalog import services as catalog
from catalog.models import STOCK_MAX, Item
from core.context import Ctx
from core.errors import (
    ApplicationError,
    Conflict,
    CoreErrorCode,
    FieldError,
    InvalidInput,
    NotFound,
    refusal,
)
from customers.error_codes import CustomerErrorCode
from customers.models import Property
from ektor.db.inserts import insert_rows
from ektor.services import conflict_on_integrity, require_updatable
from operations.error_codes import OperationsErrorCode
from operations.models import (
    ServicePlan,
    SkipReason,
    Visit,
    VisitKind,
    VisitLine,
    VisitStatus,
)
from operations.readings import READING_LIMITS, READING_PLACES, new_reading, with_values
from operations.reports import visit_report_queue
from operations.selectors import visit_find, visit_rows_made
from pools.models import Pool
from tenancy.models import Role
from tenancy.scoping import company_of

LINE_QUANTITY_PLACES = 3
CHECKLIST_TASK_MAX = 100
CHECKLIST_MAX = 50
TITLE_MAX = 120
NOTE_MAX = 10000
NOTE_FIELDS = ("customer_notes", "office_notes", "note")


class ReadingFields(TypedDict):
    pool_id: int
    free_chlorine: NotRequired[Decimal | None]
    combined_chlorine: NotRequired[Decimal | None]
    ph: NotRequired[Decimal | None]
    total_alkalinity: NotRequired[Decimal | None]
    calcium_hardness: NotRequired[Decimal | None]
    cyanuric_acid: NotRequired[Decimal | None]
    salt: NotRequired[Decimal | None]
    temperature_f: NotRequired[Decimal | None]
    tds: NotRequired[Decimal | None]
    phosphates: NotRequired[Decimal | None]


class LineFields(TypedDict):
    item_id: int
    quantity: Decimal
    pool_id: NotRequired[int | None]


class ChecklistEntry(TypedDict):
    task: str
    done: bool


# What an admin may change on a scheduled visit (PATCH).
UPDATABLE_FIELDS = frozenset(
    {"property_id", "technician_id", "scheduled_date", "title", "customer_notes", "office_notes"}
)
TEXT_FIELDS = frozenset({"title", "customer_notes", "office_notes"})
# What an admin's correction may change on a completed visit.
CORRECTABLE_FIELDS = frozenset({"customer_notes", "office_notes", "checklist", "readings"})

# What each action accepts and where it leads.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": ((VisitStatus.SCHEDULED,), VisitStatus.IN_PROGRESS),
    "complete": ((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS), VisitStatus.COMPLETED),
    "skip": ((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS), VisitStatus.SKIPPED),
    "cancel": ((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS), VisitStatus.CANCELLED),
    "update": ((VisitStatus.SCHEDULED,), VisitStatus.SCHEDULED),
}

DUPLICATE_PLAN_DATE = (
    "The plan already has a visit on that date",
    OperationsErrorCode.DUPLICATE_PLAN_VISIT,
)
PLAN_DATE_INTEGRITY_RULES = {
    "operations_visit_plan_date_unique": DUPLICATE_PLAN_DATE,
    "operations_visit.plan_id, operations_visit.scheduled_date": DUPLICATE_PLAN_DATE,
}


def _check_transition(visit: Visit, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if visit.status in sources:
        return target
    if visit.status == VisitStatus.COMPLETED:
        raise Conflict(
            f"Visit {visit.pk} is completed: only an admin's correction in the back office "
            "changes it",
            reason=OperationsErrorCode.VISIT_COMPLETED,
            extra={"from": visit.status, "to": target},
        )
    allowed = " or ".join(sources)
    raise Conflict(
        f"Visit {visit.pk} is {visit.status}: it cannot {action} (only from {allowed})",
        reason=CoreErrorCode.INVALID_TRANSITION,
        extra={"from": visit.status, "to": target},
    )


def can_visit_transition(ctx: Ctx, *, visit: Visit, action: str) -> ApplicationError | None:
    """Why `action` (start, complete, skip, cancel, update) would refuse the visit as it
    stands (None: it may go)."""
    return refusal(lambda: _check_transition(visit, action))


def _locked(ctx: Ctx, visit: Visit) -> Visit:
    """The visit's row, locked until the transaction ends, if ctx may act on it (another
    technician's is a missing one)."""
    locked = visit_find(ctx, visit_id=visit.pk, lock=True)
    if locked is None:
        raise NotFound("Visit", reason=OperationsErrorCode.VISIT_NOT_FOUND)
    return locked


def technician_check(ctx: Ctx, *, technician_id: int | None, field: str = "technician_id") -> None:
    """A visit's technician is an active member of the company with the technician role (422)."""
    if technician_id is None:
        return
    found = User.objects.filter(
        pk=technician_id,
        is_active=True,
        memberships__company=company_of(ctx),
        memberships__role=Role.TECHNICIAN,
    ).exists()
    if not found:
        raise InvalidInput(
            [FieldError(field, "Not an active technician of the company", "invalid_technician")]
        )


def _property(ctx: Ctx, property_id: int) -> Property:
    prop = Property.objects.of(ctx).filter(pk=property_id).first()
    if prop is None:
        raise NotFound("Property", reason=CustomerErrorCode.PROPERTY_NOT_FOUND)
    return prop


def _text_errors(data: Mapping[str, Any]) -> list[FieldError]:
    """A title of at most TITLE_MAX characters, notes of at most NOTE_MAX (as the API's
    serializers say: the pages and the admin send what was typed)."""
    limits = {"title": TITLE_MAX, **dict.fromkeys(NOTE_FIELDS, NOTE_MAX)}
    return [
        FieldError(name, f"Ensure this field has no more than {limit} characters.", "max_length")
        for name, limit in limits.items()
        if isinstance(data.get(name), str) and len(data[name].strip()) > limit
    ]


def _optional_text(value: str | None) -> str | None:
    """Empty text is stored as NULL."""
    return value.strip() or None if isinstance(value, str) else value


@transaction.atomic
def visit_create(
    ctx: Ctx,
    *,
    property_id: int,
    scheduled_date: datetime.date,
    kind: str = VisitKind.WORK_ORDER,
    technician_id: int | None = None,
    title: str | None = None,
    customer_notes: str | None = None,
    office_notes: str | None = None,
) -> Visit:
    """A work order, or an extra route stop, made by the office (no plan): the customer is the
    property's as it is today."""
    errors = _text_errors(
        {"title": title, "customer_notes": customer_notes, "office_notes": office_notes}
    )
    if kind not in VisitKind.values:
        errors.append(
            FieldError("kind", f"Kind must be one of {', '.join(VisitKind.values)}", "enum")
        )
    if errors:
        raise InvalidInput(errors)
    prop = _property(ctx, property_id)
    technician_check(ctx, technician_id=technician_id)
    visit = Visit(
        company=company_of(ctx),
        kind=kind,
        property=prop,
        customer_id=prop.customer_id,
        technician_id=technician_id,
        scheduled_date=scheduled_date,
        title=_optional_text(title),
        customer_notes=_optional_text(customer_notes),
        office_notes=_optional_text(office_notes),
    )
    visit.save(force_insert=True)
    record_change(ctx, "create", visit)
    return visit


@transaction.atomic
def visit_update(ctx: Ctx, *, visit: Visit, data: Mapping[str, Any]) -> Visit:
    """Change a scheduled visit (its day, technician, property, texts); once it has started,
    been completed, skipped or cancelled it stays as it is (409)."""
    require_updatable(data, UPDATABLE_FIELDS)
    visit = _locked(ctx, visit)
    _check_transition(visit, "update")
    errors = _text_errors(data)
    if errors:
        raise InvalidInput(errors)
    changes: dict[str, Any] = {
        name: _optional_text(value) if name in TEXT_FIELDS else value
        for name, value in data.items()
    }
    if "property_id" in changes:
        if visit.plan_id is not None and changes["property_id"] != visit.property_id:
            raise InvalidInput(
                [
                    FieldError(
                        "property_id",
                        "A plan's visit is at its pool's property: change the plan instead",
                        "plan_property",
                    )
                ]
            )
        prop = _property(ctx, changes.pop("property_id"))
        changes["property"] = prop
        changes["customer_id"] = prop.customer_id
    if "technician_id" in changes:
        technician_check(ctx, technician_id=changes["technician_id"])
    for name, value in changes.items():
        setattr(visit, name, value)
    with conflict_on_integrity(PLAN_DATE_INTEGRITY_RULES):
        visit.save(update_fields=[*changes, "updated_at"])
    record_change(ctx, "update", visit)
    return visit


@transaction.atomic
def visit_start(ctx: Ctx, *, visit: Visit) -> Visit:
    """The technician is at the stop: scheduled -> in_progress."""
    visit = _locked(ctx, visit)
    visit.status = _check_transition(visit, "start")
    visit.started_at = timezone.now()
    visit.save(update_fields=["status", "started_at", "updated_at"])
    record_change(ctx, "start", visit)
    return visit


def _measurement_error(value: Any, low: Decimal, high: Decimal) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return "Enter a number."
    value = Decimal(value)
    if not value.is_finite():
        return "Enter a number."
    if not low <= value <= high:
        return f"Ensure this value is between {low} and {high}."
    if value != value.quantize(Decimal(1).scaleb(-READING_PLACES)):
        return f"Ensure that there are no more than {READING_PLACES} decimal places."
    return None


def _visit_pools(ctx: Ctx, visit: Visit) -> dict[int, Pool]:
    """The pools a visit may record: the property's pools and its plan's pool (which may have
    moved to another property since). The plan's pool id is read first: `id IN (subquery)`
    beside `property_id = ?` made MariaDB scan every company's pools (docs/scaling.md)."""
    match = Q(property_id=visit.property_id)
    if visit.plan_id is not None:
        plan_pool = (
            ServicePlan.objects.of(ctx).filter(pk=visit.plan_id).values_list("pool_id", flat=True)
        )
        match |= Q(pk__in=list(plan_pool))
    return {pool.pk: pool for pool in Pool.objects.of(ctx).filter(match)}


def _pool_error(pool_id: Any, pools: Mapping[int, Pool]) -> str | None:
    if pool_id is None or pool_id in pools:
        return None
    return f"Pool {pool_id} is not a pool of this visit's property"


def reading_errors(
    ctx: Ctx, *, readings: Sequence[Mapping[str, Any]], pools: Mapping[int, Pool]
) -> list[FieldError]:
    """Each reading's pool (one of the visit's, once) and its values (physical ranges),
    named `readings.<index>.<field>`."""
    errors = []
    seen: set[int] = set()
    for index, reading in enumerate(readings):
        where = f"readings.{index}"
        unknown = sorted(set(reading) - {"pool_id", *READING_LIMITS})
        errors += [
            FieldError(f"{where}.{name}", "Unknown field", "extra_forbidden") for name in unknown
        ]
        pool_id = reading.get("pool_id")
        if pool_id is None:
            errors.append(FieldError(f"{where}.pool_id", "This field is required.", "missing"))
        elif (message := _pool_error(pool_id, pools)) is not None:
            errors.append(FieldError(f"{where}.pool_id", message, "invalid_pool"))
        elif pool_id in seen:
            message = f"Pool {pool_id} has another reading in this visit"
            errors.append(FieldError(f"{where}.pool_id", message, "duplicate_pool"))
        else:
            seen.add(pool_id)
        for name, (low, high) in READING_LIMITS.items():
            message = _measurement_error(reading.get(name), low, high)
            if message:
                errors.append(FieldError(f"{where}.{name}", message, "range"))
    return errors


def checklist_errors(ctx: Ctx, *, checklist: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Each entry is {task (text, 1..100), done (boolean)}, a task at most once."""
    if not isinstance(checklist, Sequence) or isinstance(checklist, str):
        return [FieldError("checklist", "A list of {task, done}", "invalid")]
    if len(checklist) > CHECKLIST_MAX:
        return [FieldError("checklist", f"At most {CHECKLIST_MAX} tasks", "too_long")]
    errors = []
    seen: set[str] = set()
    for index, entry in enumerate(checklist):
        where = f"checklist.{index}"
        if not isinstance(entry, Mapping) or set(entry) != {"task", "done"}:
            errors.append(FieldError(where, "Each entry is {task, done}", "invalid"))
            continue
        task, done = entry["task"], entry["done"]
        if not isinstance(task, str) or not 1 <= len(task.strip()) <= CHECKLIST_TASK_MAX:
            message = f"A task is text of 1 to {CHECKLIST_TASK_MAX} characters"
            errors.append(FieldError(f"{where}.task", message, "invalid"))
        elif task.strip() in seen:
            errors.append(FieldError(f"{where}.task", "This task is listed twice", "duplicate"))
        else:
            seen.add(task.strip())
        if not isinstance(done, bool):
            errors.append(FieldError(f"{where}.done", "Must be true or false", "invalid"))
    return errors


def _line_errors(
    lines: Sequence[Mapping[str, Any]], items: Mapping[int, Item], pools: Mapping[int, Pool]
) -> list[FieldError]:
    errors = []
    step = Decimal(1).scaleb(-LINE_QUANTITY_PLACES)
    for index, line in enumerate(lines):
        where = f"lines.{index}"
        if line.get("item_id") not in items:
            message = f"Item {line.get('item_id')} is not in the catalog"
            errors.append(FieldError(f"{where}.item_id", message, "invalid_item"))
        quantity = line.get("quantity")
        if (
            not isinstance(quantity, Decimal)
            or not quantity.is_finite()
            or quantity <= 0
            or quantity > STOCK_MAX
            or quantity != quantity.quantize(step)
        ):
            message = f"A positive quantity with at most {LINE_QUANTITY_PLACES} decimal places"
            errors.append(FieldError(f"{where}.quantity", message, "invalid"))
        pool_message = _pool_error(line.get("pool_id"), pools)
        if pool_message is not None:
            errors.append(FieldError(f"{where}.pool_id", pool_message, "invalid_pool"))
    return errors


def _invalid(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def visit_complete(
    ctx: Ctx,
    *,
    visit: Visit,
    readings: Sequence[Mapping[str, Any]] = (),
    lines: Sequence[Mapping[str, Any]] = (),
    checklist: Sequence[Mapping[str, Any]] = (),
    customer_notes: str | None = None,
    office_notes: str | None = None,
) -> Visit:
    """The whole stop, all or nothing: the readings per pool (each with its index, flags and
    doses), the catalog lines priced as the items are today (stock taken by a usage movement;
    409 `insufficient_stock` refuses the whole completion), the checklist and the notes.
    From scheduled or in progress; a completed visit is 409 `visit_completed`. The customer
    gets the service report by email once it commits, when the company says so
    (`visit_report_email`) and the customer has an address."""
    # Its audit events (the visit's, the reading's, the lines', the movements', the report's)
    # are inserted together at the end: one statement instead of four.
    with recorded_in_bulk(ctx):
        visit = _complete(
            ctx,
            visit=visit,
            readings=readings,
            lines=lines,
            checklist=checklist,
            customer_notes=customer_notes,
            office_notes=office_notes,
        )
    return visit


def _complete(
    ctx: Ctx,
    *,
    visit: Visit,
    readings: Sequence[Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    checklist: Sequence[Mapping[str, Any]],
    customer_notes: str | None,
    office_notes: str | None,
) -> Visit:
    visit = _locked(ctx, visit)
    target = _check_transition(visit, "complete")
    pools = _visit_pools(ctx, visit)
    item_ids = [i for i in {line.get("item_id") for line in lines} if isinstance(i, int)]
    # Read, not locked: the price and name a line keeps; stocks_use locks what it takes stock of.
    items = {
        item.pk: item
        for item in Item.objects.of(ctx).filter(pk__in=item_ids, deleted_at__isnull=True)
    }
    _invalid(
        reading_errors(ctx, readings=readings, pools=pools)
        + _line_errors(lines, items, pools)
        + checklist_errors(ctx, checklist=checklist)
        + _text_errors({"customer_notes": customer_notes, "office_notes": office_notes})
    )

    now = timezone.now()
    visit.status = target
    visit.started_at = visit.started_at or now
    visit.completed_at = now
    visit.checklist = _checklist(checklist)
    visit.customer_notes = _optional_text(customer_notes)
    visit.office_notes = _optional_text(office_notes)
    visit.save(
        update_fields=[
            "status",
            "started_at",
            "completed_at",
            "checklist",
            "customer_notes",
            "office_notes",
            "updated_at",
        ]
    )
    record_change(ctx, "complete", visit)

    stored = insert_rows(
        [new_reading(visit, pools[values["pool_id"]], values) for values in readings]
    )
    used = [(items[line["item_id"]], line["quantity"]) for line in lines]
    note = f"Visit {visit.pk}"
    movements = catalog.stocks_use(ctx, uses=used, visit_id=visit.pk, note=note) if used else []
    made = insert_rows(
        [
            VisitLine(
                company_id=visit.company_id,
                visit=visit,
                item=item,
                pool_id=line.get("pool_id"),
                description=item.name,
                quantity=quantity,
                unit_price=item.price,
                taxable=item.taxable,
                movement=movement,
            )
            for line, (item, quantity), movement in zip(lines, used, movements, strict=True)
        ]
    )
    record_many(ctx, "create", [(row, _created(row)) for row in [*stored, *made]])
    visit_rows_made(ctx, visit=visit, readings=stored, lines=made)
    if company_of(ctx).visit_report_email:
        visit_report_queue(ctx, visit=visit)
    return visit


def _created(row: models.Model) -> dict[str, Any]:
    return diff(None, snapshot(row))


def _checklist(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"task": entry["task"].strip(), "done": entry["done"]} for entry in entries]


@transaction.atomic
def visit_skip(ctx: Ctx, *, visit: Visit, reason: str, note: str | None = None) -> Visit:
    """The technician could not serve the stop: why (a SkipReason) and a note."""
    if reason not in SkipReason.values:
        message = f"Reason must be one of {', '.join(SkipReason.values)}"
        raise InvalidInput([FieldError("reason", message, "enum")])
    _invalid(_text_errors({"note": note}))
    visit = _locked(ctx, visit)
    visit.status = _check_transition(visit, "skip")
    visit.skip_reason = reason
    visit.skip_note = _optional_text(note)
    visit.save(update_fields=["status", "skip_reason", "skip_note", "updated_at"])
    record_change(ctx, "skip", visit)
    return visit


@transaction.atomic
def visit_cancel(ctx: Ctx, *, visit: Visit, reason: str) -> Visit:
    """The office calls the stop off (a plan's visit stays, cancelled: the plan's date is not
    scheduled again); a technician skips a stop instead (403 `office_only`)."""
    if ctx.role == Role.TECHNICIAN:
        raise ApplicationError(
            "Only the office cancels a visit; a technician skips it with a reason",
            reason=OperationsErrorCode.OFFICE_ONLY,
            status=403,
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput([FieldError("reason", "A reason is required", "missing")])
    visit = _locked(ctx, visit)
    visit.status = _check_transition(visit, "cancel")
    visit.cancel_reason = reason
    visit.save(update_fields=["status", "cancel_reason", "updated_at"])
    record_change(ctx, "cancel", visit)
    return visit


def _correct_readings(ctx: Ctx, visit: Visit, readings: Sequence[Mapping[str, Any]]) -> None:
    """The readings as corrected: a pool's existing reading takes the given values (recomputed),
    a new pool's is added, a pool left out loses its reading; each change in the trail."""
    pools = _visit_pools(ctx, visit)
    _invalid(reading_errors(ctx, readings=readings, pools=pools))
    existing = {reading.pool_id: reading for reading in visit.readings.all()}
    for values in readings:
        pool = pools[values["pool_id"]]
        reading = existing.pop(pool.pk, None)
        if reading is None:
            reading = new_reading(visit, pool, values)
            reading.save(force_insert=True)
            record_change(ctx, "create", reading)
            continue
        with_values(reading, pool, values)
        reading.save()
        record_change(ctx, "correct", reading)
    for reading in existing.values():
        with recording_delete(ctx, reading):
            reading.delete()


@transaction.atomic
def visit_correct(ctx: Ctx, *, visit: Visit, data: Mapping[str, Any]) -> Visit:
    """An admin's correction of a completed visit in the back office: its notes, its checklist,
    its readings (given whole: each recomputed; a pool left out loses its reading). The lines
    stay (their stock movements are the ledger's). Every change is in the audit trail: the
    visit's as a `correct` event with its field changes, each reading's as its own."""
    require_updatable(data, CORRECTABLE_FIELDS)
    visit = _locked(ctx, visit)
    if visit.status != VisitStatus.COMPLETED:
        raise Conflict(
            f"Visit {visit.pk} is {visit.status}: only a completed visit is corrected "
            "(change a scheduled one, or complete it)",
            reason=CoreErrorCode.INVALID_TRANSITION,
            extra={"from": visit.status, "to": visit.status},
        )
    _invalid(_text_errors(data))
    if "checklist" in data:
        _invalid(checklist_errors(ctx, checklist=data["checklist"]))
        visit.checklist = _checklist(data["checklist"])
    for name in ("customer_notes", "office_notes"):
        if name in data:
            setattr(visit, name, _optional_text(data[name]))
    fields = [name for name in ("checklist", "customer_notes", "office_notes") if name in data]
    if fields:
        visit.save(update_fields=[*fields, "updated_at"])
        record_change(ctx, "correct", visit)
    if "readings" in data:
        _correct_readings(ctx, visit, data["readings"])
    return visit

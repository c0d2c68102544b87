"""What the stop page's forms send, read back: the values as typed (shown again after a refusal,
nothing lost), the body the visit's services take, and each refusal placed beside its input.

The inputs are named after the completion body's fields: `reading-<pool id>-<value>`,
`line-<n>-item`, `line-<n>-quantity`, `line-<n>-pool`, `checklist` (the ticked tasks),
`customer_notes`, `office_notes`, `photo`, `photo_caption`; the skip form's `reason`, `note`.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from catalog.models import Item
from ektor.api.fields import ASCII_DECIMAL
from operations.pages.selectors import StopPool
from operations.pages.water import MEASURES, Measure, flag_label, measured

LINE_INPUT = re.compile(r"^line-([0-9]{1,4})-item$")


@dataclass
class Input:
    name: str
    value: str = ""
    error: str = ""


@dataclass
class ReadingInput(Input):
    measure: Measure | None = None


@dataclass
class PoolInputs:
    stop: StopPool
    values: list[ReadingInput]

    @property
    def last_values(self) -> list[tuple[Measure, str]]:
        last = self.stop.last_reading
        return [] if last is None else measured(last)

    @property
    def last_flags(self) -> list[str]:
        last = self.stop.last_reading
        return [] if last is None else [flag_label(flag) for flag in last.flags]


@dataclass
class LineInputs:
    n: int
    item: Input
    quantity: Input
    pool: Input
    item_label: str = ""


@dataclass
class ChecklistInput:
    task: str
    done: bool


@dataclass
class StopForm:
    """The completion form as typed: every input's value and its refusal."""

    pools: list[PoolInputs]
    lines: list[LineInputs]
    checklist: list[ChecklistInput]
    customer_notes: Input
    office_notes: Input
    photo: Input
    photo_caption: Input
    # A refusal that names no input (a visit no longer open, stock that ran out).
    error: str = ""
    # The body's locations (("readings", 0, "ph")) -> the input showing their refusal.
    locations: dict[tuple[str | int, ...], Input] = field(default_factory=dict)

    def place(self, loc: Sequence[str | int], message: str) -> None:
        """Show `message` beside the input of `loc` (a body location), or above the form."""
        target = self.locations.get(tuple(loc))
        if target is None:
            self.error = f"{self.error} {message}".strip()
        elif not target.error:
            target.error = message

    @property
    def has_errors(self) -> bool:
        return bool(self.error) or any(i.error for i in self.locations.values())


def item_label(item: Item) -> str:
    return f"{item.name} ({item.sku})"


def whole_number(raw: str) -> int | str | None:
    """An id as typed: nothing, a number, or the text itself (which the service refuses)."""
    raw = raw.strip()
    if raw == "":
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else raw


def measurement(raw: str) -> Decimal | str | None:
    """A value as typed: nothing (not measured), a number, or the text itself (which the
    service refuses with its own message)."""
    raw = raw.strip()
    if raw == "":
        return None
    return Decimal(raw) if ASCII_DECIMAL.match(raw) else raw


def stop_form(
    stops: Sequence[StopPool],
    tasks: Iterable[str],
    data: QueryDict | None = None,
    items: Mapping[int, Item] | None = None,
) -> StopForm:
    """The form for `stops` (the stop's pools) and the company's checklist `tasks`, empty or as
    `data` (a POST) filled it."""
    data = data or QueryDict()
    items = items or {}
    form = StopForm(
        pools=[],
        lines=[],
        checklist=[ChecklistInput(task, task in data.getlist("checklist")) for task in tasks],
        customer_notes=Input("customer_notes", data.get("customer_notes", "")),
        office_notes=Input("office_notes", data.get("office_notes", "")),
        photo=Input("photo"),
        photo_caption=Input("photo_caption", data.get("photo_caption", "")),
    )
    for stop in stops:
        values = []
        for measure in MEASURES:
            name = f"reading-{stop.pool.pk}-{measure.name}"
            values.append(ReadingInput(name, data.get(name, "").strip(), measure=measure))
        form.pools.append(PoolInputs(stop, values))
    for n in line_numbers(data):
        item = Input(f"line-{n}-item", data.get(f"line-{n}-item", "").strip())
        line = LineInputs(
            n,
            item,
            Input(f"line-{n}-quantity", data.get(f"line-{n}-quantity", "").strip()),
            Input(f"line-{n}-pool", data.get(f"line-{n}-pool", "").strip()),
        )
        item_id = whole_number(item.value)
        chosen = items.get(item_id) if isinstance(item_id, int) else None
        line.item_label = item_label(chosen) if chosen is not None else ""
        form.lines.append(line)
    return form


def line_numbers(data: QueryDict) -> list[int]:
    """The numbers of the lines sent with an item or a quantity, in order (an empty row added
    and left is no line)."""
    numbers = sorted(
        int(match.group(1)) for key in data if (match := LINE_INPUT.match(key)) is not None
    )
    return [
        n
        for n in numbers
        if data.get(f"line-{n}-item", "").strip() or data.get(f"line-{n}-quantity", "").strip()
    ]


def completion_body(form: StopForm) -> dict[str, Any]:
    """The completion body the API takes (`POST /visits/{id}/complete`), from the form; and
    the form learns which input each of the body's locations is."""
    readings = []
    for pool in form.pools:
        typed = [value for value in pool.values if value.value]
        if not typed:
            continue  # a pool not measured at this stop
        index = len(readings)
        readings.append(
            {
                "pool_id": pool.stop.pool.pk,
                **{v.measure.name: measurement(v.value) for v in typed if v.measure},
            }
        )
        form.locations[("readings", index, "pool_id")] = pool.values[0]
        for value in pool.values:
            if value.measure is not None:
                form.locations[("readings", index, value.measure.name)] = value
    lines = []
    for index, line in enumerate(form.lines):
        body: dict[str, Any] = {
            "item_id": whole_number(line.item.value),
            "quantity": measurement(line.quantity.value),
        }
        if line.pool.value:
            body["pool_id"] = whole_number(line.pool.value)
        lines.append(body)
        for name, target in (("item_id", line.item), ("quantity", line.quantity)):
            form.locations[("lines", index, name)] = target
        form.locations[("lines", index, "pool_id")] = line.pool
        form.locations[("lines", index)] = line.item
    form.locations[("customer_notes",)] = form.customer_notes
    form.locations[("office_notes",)] = form.office_notes
    return {
        "readings": readings,
        "lines": lines,
        "checklist": [{"task": c.task, "done": c.done} for c in form.checklist],
        "customer_notes": form.customer_notes.value or None,
        "office_notes": form.office_notes.value or None,
    }


@dataclass
class SkipForm:
    reason: Input
    note: Input
    error: str = ""


def skip_form(data: QueryDict | None = None) -> SkipForm:
    data = data or QueryDict()
    return SkipForm(Input("reason", data.get("reason", "")), Input("note", data.get("note", "")))

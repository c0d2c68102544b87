"""The dates a service plan is served on: pure (no Django, no database), so the rules can be
read and tested alone. The frequencies and statuses are operations.models' values."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Weeks between two visits of the plans that repeat by weeks; a monthly plan is served on the
# first of its weekdays of each month.
WEEKS_APART = {"weekly": 1, "biweekly": 2, "every_4_weeks": 4}
MONTHLY = "monthly"
ENDED = "ended"

Span = tuple[datetime.date, datetime.date | None]

# The days a plan, a pause or a schedule may name: the date arithmetic of a plan's next
# visit or a pause's day after must stay within what a date holds (year 9999).
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


OUT_OF_RANGE = f"A date between {FIRST_DAY} and {LAST_DAY}"


def out_of_range(day: datetime.date | None) -> bool:
    return day is not None and not FIRST_DAY <= day <= LAST_DAY


@dataclass(frozen=True, slots=True)
class PlanSchedule:
    """What decides a plan's dates: its rhythm, its span and its pauses (both days inclusive;
    a pause's end None: until resumed)."""

    frequency: str
    weekday: int
    start_date: datetime.date
    end_date: datetime.date | None = None
    status: str = "active"
    pauses: Sequence[Span] = ()


def _first_weekday_on_or_after(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _months(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _rhythm(plan: PlanSchedule, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The plan's days in first..last by its frequency alone, from its start date on."""
    if plan.frequency == MONTHLY:
        firsts = (_first_weekday_on_or_after(month, plan.weekday) for month in _months(first, last))
        return [day for day in firsts if first <= day <= last and day >= plan.start_date]
    step = datetime.timedelta(weeks=WEEKS_APART[plan.frequency])
    # Counted from the first of its weekdays on or after the start: every step-th one after.
    day = _first_weekday_on_or_after(plan.start_date, plan.weekday)
    if day < first:
        day += step * -(-(first - day).days // step.days)
    days = []
    while day <= last:
        days.append(day)
        day += step
    return days


def plan_dates(
    plan: PlanSchedule, date_from: datetime.date, date_to: datetime.date
) -> list[datetime.date]:
    """The dates in date_from..date_to (inclusive) the plan is served on: weekly on its weekday
    from its start date; biweekly every second such weekday and every_4_weeks every fourth,
    counted from the first on or after the start; monthly the first such weekday of each
    month. None after its end date, none in a pause, none at all for an ended plan."""
    if plan.status == ENDED:
        return []
    last = min(date_to, plan.end_date) if plan.end_date is not None else date_to
    return [
        day
        for day in _rhythm(plan, date_from, last)
        if not any(start <= day and (end is None or day <= end) for start, end in plan.pauses)
    ]

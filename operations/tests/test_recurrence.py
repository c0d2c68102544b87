"""The dates a plan is served on (operations.recurrence, pure)."""

import datetime

from operations.models import Frequency, PlanStatus
from operations.recurrence import ENDED, MONTHLY, WEEKS_APART, PlanSchedule, plan_dates

D = datetime.date
# January 2026 starts on a Thursday; Wednesday is weekday 2.
JAN, FEB = (D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28))
START = D(2026, 1, 5)


def dates(frequency, start=START, weekday=2, **kwargs):
    return plan_dates(PlanSchedule(frequency, weekday, start, **kwargs), *JAN)


def test_the_values_are_the_models():
    assert {*WEEKS_APART, MONTHLY} == set(Frequency.values)
    assert ENDED == PlanStatus.ENDED


def test_weekly_every_weekday_from_the_start_date():
    assert dates("weekly") == [D(2026, 1, 7), D(2026, 1, 14), D(2026, 1, 21), D(2026, 1, 28)]
    # A start on the weekday itself counts; one after the range's days leaves them out.
    assert dates("weekly", start=D(2026, 1, 14)) == [D(2026, 1, 14), D(2026, 1, 21), D(2026, 1, 28)]
    assert dates("weekly", start=D(2026, 2, 2)) == []


def test_biweekly_and_every_4_weeks_count_from_the_first_weekday_on_or_after_the_start():
    assert dates("biweekly") == [D(2026, 1, 7), D(2026, 1, 21)]
    assert dates("biweekly", start=D(2026, 1, 8)) == [D(2026, 1, 14), D(2026, 1, 28)]
    # Counted from a start long before the range: Dec 3 2025, then every second Wednesday.
    assert dates("biweekly", start=D(2025, 12, 1)) == [D(2026, 1, 14), D(2026, 1, 28)]
    assert dates("every_4_weeks", start=D(2025, 12, 1)) == [D(2026, 1, 28)]
    assert dates("every_4_weeks") == [D(2026, 1, 7)]


def test_the_rhythm_does_not_depend_on_the_range():
    plan = PlanSchedule("biweekly", 2, D(2025, 11, 3))
    whole = plan_dates(plan, D(2026, 1, 1), D(2026, 2, 28))
    assert plan_dates(plan, *JAN) + plan_dates(plan, *FEB) == whole


def test_monthly_the_first_such_weekday_of_each_month():
    plan = PlanSchedule("monthly", 2, D(2025, 6, 1))
    assert plan_dates(plan, D(2026, 1, 1), D(2026, 3, 31)) == [
        D(2026, 1, 7),
        D(2026, 2, 4),
        D(2026, 3, 4),
    ]
    # Not before the start date, and not before the range (Jan 7 is before the 10th).
    assert dates("monthly", start=D(2026, 1, 8)) == []
    assert plan_dates(plan, D(2026, 1, 10), D(2026, 2, 10)) == [D(2026, 2, 4)]
    # Thursday: the 1st of January.
    assert dates("monthly", start=D(2025, 1, 1), weekday=3) == [D(2026, 1, 1)]


def test_end_date_pauses_and_ended_plans():
    assert dates("weekly", end_date=D(2026, 1, 21)) == [
        D(2026, 1, 7),
        D(2026, 1, 14),
        D(2026, 1, 21),
    ]
    paused = [(D(2026, 1, 10), D(2026, 1, 14)), (D(2026, 1, 28), None)]
    assert dates("weekly", pauses=paused) == [D(2026, 1, 7), D(2026, 1, 21)]
    assert dates("weekly", status="ended") == []
    assert dates("weekly", status="paused") == dates("weekly")

"""Business days (Monday to Friday): how a request's deadline is counted. No holidays: the
contract counts weekdays only."""

import datetime

SATURDAY = 5


def add_business_days(start: datetime.date, days: int) -> datetime.date:
    """The day `days` business days after `start`: each weekday after `start` counts one, so
    a request received on a Saturday has its first business day on Monday."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < SATURDAY:
            remaining -= 1
    return day

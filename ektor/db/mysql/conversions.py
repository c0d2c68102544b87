"""DATE and DATETIME values read with the standard library's C parser instead of mysqlclient's.

mysqlclient turns every DATE/DATETIME value into a Python object by slicing the text and
calling int() on each part, in Python: an invoice list of 50 rows reads about 300 of them, and
that took more CPU than everything else the driver does for the query. `fromisoformat` parses
the same text (`2026-11-22`, `2026-11-22 04:33:52.525063`) in C. As with mysqlclient, text that
is not a valid date reads as None (the server's sql_mode forbids zero dates in the first place).

No Django here: the benchmark's bare floor (bench/floor.py) uses these converters too.
"""

import datetime

from MySQLdb.constants import FIELD_TYPE


def date_or_none(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def datetime_or_none(value: str) -> datetime.datetime | datetime.date | None:
    try:
        if len(value) < 11:  # a DATETIME column read with only a date part, as mysqlclient
            return datetime.date.fromisoformat(value)
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


FAST_CONVERSIONS = {
    FIELD_TYPE.DATE: date_or_none,
    FIELD_TYPE.DATETIME: datetime_or_none,
    FIELD_TYPE.TIMESTAMP: datetime_or_none,
}


def with_fast_dates(conversions: dict) -> dict:
    """`conversions` (a mysqlclient `conv` mapping) with the faster DATE/DATETIME parsers."""
    return {**conversions, **FAST_CONVERSIONS}

"""Wording shared by every app's messages, pages and emails."""

import datetime
from decimal import Decimal

from django.utils import timezone

DATE_FORMAT = "%b %-d, %Y"  # Jan 18, 2026


def money(value: Decimal | None) -> str:
    """$1,234.50 for people (the CSV export and the API keep plain decimals)."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def day(value: datetime.date | datetime.datetime | None) -> str:
    """Jan 18, 2026; a moment is shown as the local day it happened on."""
    if value is None:
        return "-"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return value.strftime(DATE_FORMAT)


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """The count with the word that agrees with it: "1 customer", "2 customers", "0 customers".

    `plural` is for words that do not just add an s ("1 property", "2 properties").
    """
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


# What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text for a CSV cell: one a spreadsheet would run as a formula (a customer named
    "=HYPERLINK(...)") gets a leading apostrophe, which spreadsheets show as plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value

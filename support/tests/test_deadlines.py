"""Deadlines: the received day in the company's time zone plus the company's business days for
the kind, Monday to Friday, across weekends and month ends."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from support import services
from support.deadlines import add_business_days
from support.models import RequestKind
from support.tests.factories import make_request

pytestmark = pytest.mark.django_db

PR = ZoneInfo("America/Puerto_Rico")
# The company's days for each kind in these tests (the Company's request_due_days).
DAYS = {"petition": 15, "complaint": 10, "claim": 3, "service_request": 1}


def at(text: str, zone=PR) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone)


# (received, kind, due): Thursday 2026-01-29 to the month's end and past weekends.
TABLE = [
    # service_request: 1 business day
    ("2026-01-29 09:00", "service_request", "2026-01-30"),  # Thu -> Fri
    ("2026-01-30 16:59", "service_request", "2026-02-02"),  # Fri, month end -> Mon
    ("2026-01-31 10:00", "service_request", "2026-02-02"),  # Sat -> Mon
    ("2026-02-01 10:00", "service_request", "2026-02-02"),  # Sun -> Mon
    ("2026-02-27 12:00", "service_request", "2026-03-02"),  # Fri, February's end -> Mon
    # claim: 3 business days
    ("2026-01-29 09:00", "claim", "2026-02-03"),  # Thu -> Fri, Mon, Tue
    ("2026-01-31 09:00", "claim", "2026-02-04"),  # Sat -> Mon, Tue, Wed
    ("2026-03-30 09:00", "claim", "2026-04-02"),  # Mon, across March's end
    ("2026-12-30 09:00", "claim", "2027-01-04"),  # Wed, across the year's end
    # complaint: 10 business days (two weeks)
    ("2026-01-29 09:00", "complaint", "2026-02-12"),
    ("2026-02-01 09:00", "complaint", "2026-02-13"),  # Sun
    ("2026-04-30 09:00", "complaint", "2026-05-14"),  # Thu, month end
    # petition: 15 business days (three weeks)
    ("2026-01-29 09:00", "petition", "2026-02-19"),
    ("2026-01-31 09:00", "petition", "2026-02-20"),  # Sat
    ("2026-02-20 09:00", "petition", "2026-03-13"),  # Fri, across February's end
]


@pytest.mark.parametrize(("received", "kind", "due"), TABLE)
def test_the_deadline_counts_business_days_only(company, ctx, received, kind, due):
    company.time_zone, company.request_due_days = "America/Puerto_Rico", DAYS
    company.save(update_fields=["time_zone", "request_due_days"])
    assert services.request_due_date(ctx, kind=kind, received_at=at(received)) == (
        datetime.date.fromisoformat(due)
    )


def test_the_table_covers_every_kind():
    assert {kind for _, kind, _ in TABLE} == set(RequestKind.values)


def test_the_received_day_is_the_companys_day(company, ctx):
    """Friday 23:30 in Puerto Rico is already Saturday in UTC: the company's Friday counts."""
    company.time_zone, company.request_due_days = "America/Puerto_Rico", DAYS
    company.save(update_fields=["time_zone", "request_due_days"])
    friday_night = at("2026-01-30 23:30")
    assert friday_night.astimezone(datetime.UTC).date() == datetime.date(2026, 1, 31)
    assert services.request_due_date(ctx, kind="claim", received_at=friday_night) == (
        datetime.date(2026, 2, 4)
    )
    company.time_zone = "Asia/Tokyo"  # where it is already Saturday noon
    company.save(update_fields=["time_zone"])
    assert services.request_due_date(ctx, kind="claim", received_at=friday_night) == (
        datetime.date(2026, 2, 4)  # Saturday -> Mon, Tue, Wed
    )
    assert services.request_due_date(
        ctx, kind="claim", received_at=at("2026-01-29 23:30")
    ) == datetime.date(2026, 2, 4)  # Friday in Tokyo -> Mon, Tue, Wed


def test_a_kind_the_company_does_not_name_takes_the_default(company, ctx):
    company.request_due_days = {"complaint": 2}
    company.save(update_fields=["request_due_days"])
    received = at("2026-01-29 09:00")
    assert services.request_due_date(ctx, kind="complaint", received_at=received) == (
        datetime.date(2026, 2, 2)
    )
    # service_request's default is 5 business days.
    assert services.request_due_date(ctx, kind="service_request", received_at=received) == (
        datetime.date(2026, 2, 5)
    )


def test_a_new_request_gets_its_deadline_and_a_new_kind_moves_it(company, ctx):
    company.time_zone, company.request_due_days = "America/Puerto_Rico", DAYS
    company.save(update_fields=["time_zone", "request_due_days"])
    request = make_request(kind="claim", received_at=at("2026-01-30 10:00"))
    assert request.due_date == datetime.date(2026, 2, 4)
    services.request_update(ctx, request=request, data={"kind": "petition"})
    request.refresh_from_db()
    assert request.due_date == datetime.date(2026, 2, 20)


def test_zero_days_is_the_received_day():
    saturday = datetime.date(2026, 1, 31)
    assert add_business_days(saturday, 0) == saturday

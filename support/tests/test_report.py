"""Response times: median and 90th percentile days to answer, by month and kind, in the admin
and `manage.py requests_report`."""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from support.models import CustomerRequest
from support.selectors import response_times
from support.tests.factories import make_request
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

PR = ZoneInfo("America/Puerto_Rico")


def answered(kind: str, received: str, days: float) -> None:
    """A request of `kind` received at `received` (Puerto Rico) and answered `days` later."""
    received_at = datetime.datetime.fromisoformat(received).replace(tzinfo=PR)
    request = make_request(kind=kind, received_at=received_at)
    # The answer's moment is set directly: the services stamp now, and the report is about the
    # past (the status, response and answered_at together, as request_answer writes them).
    CustomerRequest.unscoped.filter(pk=request.pk).update(
        status="answered",
        response="Done",
        answered_at=received_at + datetime.timedelta(days=days),
    )


@pytest.fixture
def history(company):
    company.time_zone = "America/Puerto_Rico"
    company.save(update_fields=["time_zone"])
    for days in (1, 2, 3, 4, 10):
        answered("complaint", "2026-01-05 09:00", days)
    answered("petition", "2026-01-02 09:00", 5)
    # Answered on March 1st at 01:00 in Puerto Rico (05:00 UTC): March, not February.
    answered("complaint", "2026-02-27 01:00", 2)
    make_request(kind="claim")  # not answered: not in the report
    return company


def test_median_and_90th_percentile_by_month_and_kind(ctx, history):
    rows = [
        (r.month.isoformat(), r.kind, r.answered, r.median_days, r.p90_days)
        for r in response_times(ctx)
    ]
    assert rows == [
        # 1, 2, 3, 4, 10: median 3; p90 between 4 and 10 at 0.6 -> 7.6
        ("2026-01-01", "petition", 1, 5.0, 5.0),
        ("2026-01-01", "complaint", 5, 3.0, 7.6),
        ("2026-03-01", "complaint", 1, 2.0, 2.0),
    ]
    january = response_times(ctx, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
    assert [(r.kind, r.answered) for r in january] == [("petition", 1), ("complaint", 5)]


def test_the_command_prints_the_table_and_csv(history):
    out = StringIO()
    call_command("requests_report", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Response times of My pool company's customer requests (days to answer)"
    assert lines[2] == "2026-01  petition                 1      5.0      5.0"
    assert lines[3] == "2026-01  complaint                5      3.0      7.6"
    out = StringIO()
    call_command("requests_report", "--format", "csv", "--from", "2026-03-01", stdout=out)
    assert out.getvalue().splitlines() == [
        "month,kind,answered,median_days,p90_days",
        "2026-03,complaint,1,2.0,2.0",
    ]


def test_the_calendars_first_and_last_days_bound_nothing(ctx, history):
    # In a zone east of UTC the first day starts before the calendar; the last has no day after.
    history.time_zone = "Pacific/Kiritimati"
    history.save(update_fields=["time_zone"])
    whole = response_times(ctx, start=datetime.date.min, end=datetime.date.max)
    assert whole == response_times(ctx) and sum(r.answered for r in whole) == 7
    out = StringIO()
    call_command("requests_report", "--from", "0001-01-01", "--to", "9999-12-31", stdout=out)
    assert out.getvalue().splitlines()[2].startswith("2026-01  petition")


def test_the_command_names_its_company_and_refuses_a_bad_period(history):
    CompanyFactory(slug="other", name="Other Pools")
    with pytest.raises(CommandError, match="Several companies exist"):
        call_command("requests_report")
    out = StringIO()
    call_command("requests_report", "--company", "other", stdout=out)
    assert out.getvalue().splitlines()[1] == "No request has been answered in the period."
    with pytest.raises(CommandError, match="--from 2026-02-01 is after --to 2026-01-01"):
        call_command(
            "requests_report", "--company", "other", "--from", "2026-02-01", "--to", "2026-01-01"
        )


def test_the_admin_report_shows_the_same_rows(admin_web, history):
    page = admin_web.get("/admin/support/customerrequest/report/")
    assert [(r.kind, r.median_days) for r in page.context["rows"]] == [
        ("petition", 5.0),
        ("complaint", 3.0),
        ("complaint", 2.0),
    ]
    assert "March 2026" in page.content.decode()

"""manage.py schedule_visits: the service's answer in a line, its refusals as a command error."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from operations.models import Visit
from operations.tests.factories import ServicePlanFactory
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("schedule_visits", *args, stdout=out)
    return out.getvalue()


def test_schedules_the_range_once(company):
    ServicePlanFactory()
    args = ("--from", "2026-01-01", "--to", "2026-01-31")
    assert run(*args) == (
        "My pool company: 4 visits created, 0 already scheduled (2026-01-01 to 2026-01-31)\n"
    )
    assert "0 visits created, 4 already scheduled" in run(*args)
    assert Visit.unscoped.count() == 4
    event = AuditEvent.objects.filter(object_type="visit").first()
    assert event.actor == "command:schedule_visits" and event.request_id.startswith("command-")


def test_refusals_and_the_company_argument(company):
    with pytest.raises(CommandError, match="to: The range is 63 days; at most 62"):
        run("--from", "2026-01-01", "--to", "2026-03-04")
    with pytest.raises(CommandError, match="'2026-02-30' is not a date"):
        run("--from", "2026-02-30", "--to", "2026-03-04")
    CompanyFactory(slug="bravo")
    with pytest.raises(CommandError, match="Several companies exist: name one with --company"):
        run("--from", "2026-01-01", "--to", "2026-01-31")
    out = run("--company", "bravo", "--from", "2026-01-01", "--to", "2026-01-31")
    assert ": 0 visits created, 0 already scheduled" in out

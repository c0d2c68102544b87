"""Reminders sent by runs at the same moment, on MariaDB (real row locks): each invoice's step
goes out once, whichever run claims it."""

import datetime
from collections import Counter
from functools import partial

import pytest

from billing.models import InvoiceReminder
from billing.reminder_email import reminders_send
from billing.tests.test_reminders import TODAY, late
from core.context import Ctx
from ektor.testing import run_at_once

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def test_four_runs_at_once_send_each_reminder_once(company, smtp_server):
    invoices = [late(days, email=f"c{days}@example.com") for days in range(7, 70, 6)]
    runs = run_at_once(*[partial(reminders_send, Ctx.system(company), today=TODAY)] * 4)
    for run in runs:
        assert not isinstance(run, Exception), run
        assert run.failed == []
    assert sum(len(run.sent) for run in runs) == len(invoices)
    messages = smtp_server.wait_for(len(invoices))
    assert len(messages) == len(invoices)
    assert Counter(m["To"] for m in messages) == {f"c{d}@example.com": 1 for d in range(7, 70, 6)}
    rows = InvoiceReminder.unscoped.filter(invoice__in=invoices)
    assert rows.count() == len(invoices)
    assert reminders_send(Ctx.system(company), today=TODAY).sent == []
    assert reminders_send(Ctx.system(company), today=TODAY + datetime.timedelta(days=1)).sent == []

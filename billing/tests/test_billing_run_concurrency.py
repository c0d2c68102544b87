"""Billing runs of the same month at once, on MariaDB (real row locks and unique indexes): each
invoice and line is created once; a run afterwards creates nothing and says so."""

import pytest

from billing import services
from billing.models import BillingRun, Invoice
from billing.tests import test_billing_run as november
from ektor.testing import run_at_once

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]

month = november.month


@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_at_once_create_each_invoice_and_line_once(ctx, month, monkeypatch, attempt):
    # Batches of two properties: the runs take turns on the batches they share.
    monkeypatch.setattr(services, "RUN_BATCH", 2)

    def run():
        return services.billing_run(ctx, period=november.NOV, issued_date=november.DEC_1)

    first, second = run_at_once(run, run)
    for result in (first, second):
        assert not isinstance(result, Exception), result
    assert november._lines(ctx) == month["expected"]
    assert Invoice.objects.of(ctx).count() == month["properties"]
    assert first.invoices_created + second.invoices_created == month["properties"]
    assert first.lines_created + second.lines_created == len(month["expected"])
    assert first.total + second.total == sum(i.total for i in Invoice.objects.of(ctx))
    assert set(BillingRun.objects.of(ctx).values_list("status", flat=True)) == {"done"}

    again = run()
    assert (again.invoices_created, again.lines_created, again.invoice_ids) == (0, 0, [])
    assert sum(1 for e in again.skipped if e["reason"] == "already_billed") == 9
    assert november._lines(ctx) == month["expected"]

"""The back office's billing page: a preview (a dry run, nothing written), then the run queued
for the worker, whose page shows how far it is and what it skipped."""

import pytest

from audit.models import AuditEvent
from billing.models import BillingRun, Invoice
from billing.tests import test_billing_run as november
from ektor.testing import run_tasks

pytestmark = pytest.mark.django_db
ADD = "/admin/billing/billingrun/add/"
month = november.month


def test_preview_then_run_in_the_background(admin_web, month, django_capture_on_commit_callbacks):
    page = admin_web.post(ADD, {"period": "2026-11", "preview": "Preview"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Preview of November 2026" in html
    assert "7 new invoices" in html
    assert "visit_skipped: 1" in html
    assert 'name="run"' in html
    assert not Invoice.unscoped.exists() and not BillingRun.unscoped.exists()

    with django_capture_on_commit_callbacks(execute=True):  # queued when the page commits
        response = admin_web.post(ADD, {"period": "2026-11", "run": "Run"})
    run = BillingRun.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/billing/billingrun/{run.pk}/change/"
    assert run.status == "queued" and not Invoice.unscoped.exists()
    run_tasks()  # the worker
    run.refresh_from_db()
    assert (run.status, run.properties_done, run.properties_total) == ("done", 7, 7)
    assert Invoice.unscoped.count() == 7
    # The worker acted as the admin who started the run: the trail names them.
    events = AuditEvent.objects.filter(object_type="invoice", action="create")
    assert events.count() == 7
    assert set(events.values_list("actor", "actor_user_id", "request_id")) == {
        (run.started_by.username, run.started_by_id, f"billing-run-{run.pk}")
    }
    page = admin_web.get(response["Location"]).content.decode()
    assert "7 of 7 properties" in page
    assert "visit_skipped: 1" in page


def test_a_bad_month_is_a_form_error(admin_web):
    page = admin_web.post(ADD, {"period": "2026-13", "preview": "Preview"}).content.decode()
    assert "Give a month, YYYY-MM" in page
    assert not BillingRun.unscoped.exists()


def test_staff_cannot_bill(staff_web):
    assert staff_web.get(ADD).status_code == 403

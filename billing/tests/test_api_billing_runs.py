"""POST /billing-runs, its dry run, GET /billing-runs and `manage.py bill`."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from billing.models import BillingRun, Invoice, InvoiceLine
from billing.tests import test_billing_run as november

pytestmark = pytest.mark.django_db
URL = "/api/v1/billing-runs"
month = november.month
# Issued today: the arrears plan bills November once November is over.
ARREARS_DUE = datetime.date.today() > datetime.date(2026, 11, 30)
LINES = 10 if ARREARS_DUE else 9


def test_a_dry_run_answers_200_and_writes_nothing(admin_client_api, month):
    response = admin_client_api.post(URL, {"period": "2026-11", "dry_run": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["run_id"] is None and body["dry_run"] is True
    assert (body["period"], body["invoices_created"], body["invoice_ids"]) == ("2026-11", 7, [])
    assert body["lines_created"] == LINES
    assert not Invoice.unscoped.exists() and not BillingRun.unscoped.exists()


def test_a_run_answers_201_with_what_it_created_and_is_listed(admin_client_api, month):
    response = admin_client_api.post(URL, {"period": "2026-11"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "run_id", "period", "dry_run", "invoices_created", "invoice_ids", "lines_created",
        "total", "skipped",
    }  # fmt: skip
    assert sorted(body["invoice_ids"]) == sorted(Invoice.unscoped.values_list("id", flat=True))
    assert body["total"] == str(sum(line.amount + line.tax for line in InvoiceLine.unscoped.all()))
    assert {"visit_id": month["gate"].pk, "reason": "visit_skipped"} in body["skipped"]
    listed = admin_client_api.get(URL).json()
    assert [run["run_id"] for run in listed] == [body["run_id"]]
    detail = admin_client_api.get(f"{URL}/{body['run_id']}").json()
    assert (detail["status"], detail["properties_done"], detail["invoices_created"]) == (
        "done",
        detail["properties_total"],
        body["invoices_created"],
    )
    assert detail["skipped"] == body["skipped"]
    again = admin_client_api.post(URL, {"period": "2026-11"}, format="json").json()
    assert (again["invoices_created"], again["lines_created"]) == (0, 0)


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"period": "2026-13"}, "period", "Period must be a month, YYYY-MM (for example 2026-11)"),
        ({"period": "November"}, "period", "Period must be a month, YYYY-MM (for example 2026-11)"),
        ({}, "period", "This field is required."),
        (
            {"period": "2026-11", "dry_run": "maybe"},
            "dry_run",
            "Input should be a valid boolean (true/false or 1/0)",
        ),
    ],
)
def test_bad_input_is_422_at_its_field(admin_client_api, body, loc, msg):
    response = admin_client_api.post(URL, body, format="json")
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["loc"] == ["body", loc]
    assert response.json()["details"]["errors"][0]["msg"] == msg


def test_bill_prints_progress_and_a_rerun_says_it_billed_nothing(month):
    out = io.StringIO()
    call_command("bill", "--period", "2026-11", "--dry-run", stdout=out)
    assert f"Would create 7 invoices and {LINES} lines" in out.getvalue()
    assert not Invoice.unscoped.exists()
    out = io.StringIO()
    call_command("bill", "--period", "2026-11", stdout=out)
    text = out.getvalue()
    assert "7 of 7 properties billed" in text
    assert f"Created 7 invoices and {LINES} lines" in text
    assert "Skipped 1: visit_skipped" in text
    out = io.StringIO()
    call_command("bill", "--period", "2026-11", stdout=out)
    assert "Nothing new to bill: everything of the month is billed already." in out.getvalue()
    assert f"Skipped {LINES - 1}: already_billed" in out.getvalue()


def test_bill_refuses_a_bad_period():
    with pytest.raises(CommandError, match="--period must be a month, YYYY-MM"):
        call_command("bill", "--period", "11/2026")


def test_a_period_always_reads_as_four_digits_of_year():
    from billing.api.serializers import month_text

    assert month_text(datetime.date(1, 1, 1)) == "0001-01"
    assert month_text(datetime.date(2026, 11, 1)) == "2026-11"

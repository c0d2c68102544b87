"""Background tasks: enqueued on commit, retried with backoff, run by a real worker process,
and listed (read-only) in the admin."""

import datetime
import json
import textwrap

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ektor.tasks import enqueue_on_commit
from ektor.testing import GOOD_KEY, run_manage, run_tasks
from ektor.tests.tasks import add, pump_check


def rows() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.order_by("enqueued_at"))


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(add, 4, 5)
        raise RuntimeError("the service refused")
    assert rows() == []
    with transaction.atomic():
        enqueue_on_commit(add, 2, 3)
        # Not before the commit: a worker never sees a task for an uncommitted write.
        assert rows() == []
    (queued,) = rows()
    assert (queued.status, queued.args_kwargs) == ("READY", {"args": [2, 3], "kwargs": {}})
    run_tasks()
    queued.refresh_from_db()
    assert (queued.status, queued.return_value) == ("SUCCESSFUL", 5)


@pytest.mark.django_db
def test_a_failed_task_is_retried_with_exponential_backoff_until_the_last_attempt():
    pump_check.enqueue("Casa Playa")
    before = timezone.now()
    run_tasks()
    first, second = rows()
    assert first.status == "FAILED"
    assert first.exception_class_path == "builtins.RuntimeError"
    assert "pump of Casa Playa offline" in first.traceback
    assert second.status == "READY"
    assert second.args_kwargs == {"args": ["Casa Playa"], "kwargs": {"task_attempt": 2}}
    # 10 s after the first attempt; 20 s after the second.
    wait = second.run_after - before
    assert datetime.timedelta(seconds=10) <= wait < datetime.timedelta(seconds=12)

    DBTaskResult.objects.filter(pk=second.pk).update(run_after=timezone.now())
    before = timezone.now()
    run_tasks()
    third = rows()[2]
    assert third.args_kwargs["kwargs"] == {"task_attempt": 3}
    wait = third.run_after - before
    assert datetime.timedelta(seconds=20) <= wait < datetime.timedelta(seconds=22)

    # The third attempt is the last (max_attempts=3): it fails for good, nothing more queued.
    DBTaskResult.objects.filter(pk=third.pk).update(run_after=timezone.now())
    run_tasks()
    assert [row.status for row in rows()] == ["FAILED", "FAILED", "FAILED"]


def manage(database_url: str, *args: str, **env: str):
    result = run_manage(*args, SECRET_KEY=GOOD_KEY, DATABASE_URL=database_url, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_real_worker_process_runs_committed_tasks_once_and_retries_failures(
    worker_database, smtp_server
):
    """Enqueued by one process (a committed and a rolled-back transaction, and an invoice sent
    through the billing service), run by `manage.py db_worker` in another, the email delivered
    through the SMTP server."""
    enqueue = textwrap.dedent(
        """
        from django.db import transaction
        from billing import services
        from billing.tests.factories import InvoiceFactory
        from core.context import Ctx
        from customers.tests.factories import CustomerFactory, PropertyFactory
        from ektor.tasks import enqueue_on_commit
        from ektor.tests.tasks import add, pump_check

        with transaction.atomic():
            enqueue_on_commit(add, 2, 3)
        try:
            with transaction.atomic():
                enqueue_on_commit(add, 40, 2)
                raise RuntimeError
        except RuntimeError:
            pass
        pump_check.enqueue("Casa Playa")
        customer = CustomerFactory(first_name="Ana", last_name="Diaz", email="ana@example.com")
        draft = InvoiceFactory(property=PropertyFactory(customer=customer))
        draft.company.name = "Blue Lagoon Pools"  # the email is sent as the company
        draft.company.save(update_fields=["name"])
        services.invoice_send(Ctx.for_command("shell", company=draft.company), invoice=draft)
        """
    )
    manage(worker_database, "shell", "-c", enqueue)
    worker = manage(
        worker_database,
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--queue-name=*",
        EMAIL_URL=smtp_server.url,
        DEFAULT_FROM_EMAIL="office@bluelagoon.example",
    )
    assert "Task id=" not in worker.stdout  # nothing failed unexpectedly
    report = manage(
        worker_database,
        "shell",
        "-c",
        "import json; from django_tasks_db.models import DBTaskResult as R; print(json.dumps("
        "[[r.task_path, r.status, r.args_kwargs, r.return_value] "
        "for r in R.objects.order_by('enqueued_at')]))",
    )
    ran = json.loads(report.stdout.strip().splitlines()[-1])
    assert ran[0] == ["ektor.tests.tasks.add", "SUCCESSFUL", {"args": [2, 3], "kwargs": {}}, 5]
    assert [row[:2] for row in ran[1:3]] == [
        ["ektor.tests.tasks.pump_check", "FAILED"],
        ["billing.tasks.send_invoice_email", "SUCCESSFUL"],
    ]
    number = ran[2][3]["invoice"]
    assert ran[2][3] == {"invoice": number, "sent_to": "ana@example.com"}
    # The retry is queued for later (the batch worker leaves it); the rolled-back add never ran.
    assert ran[3][:3] == [
        "ektor.tests.tasks.pump_check",
        "READY",
        {"args": ["Casa Playa"], "kwargs": {"task_attempt": 2}},
    ]
    assert len(ran) == 4
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == f"Invoice {number} from Blue Lagoon Pools"
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"
    assert message["To"] == "ana@example.com"

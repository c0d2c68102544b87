"""Background tasks: enqueued on commit, retried with backoff, run by a real worker process,
and listed (read-only) in the admin."""

import datetime
import json
import subprocess
import sys
import textwrap

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ektor.tasks import enqueue_on_commit
from ektor.testing import GOOD_KEY, ROOT, clean_env, run_manage, run_tasks
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


def test_three_worker_processes_drain_one_queue_running_each_task_once(worker_database, tmp_path):
    """Three `manage.py db_worker` processes started together on one queue of 60 tasks: each
    task runs exactly once (the claim is a locked row: SKIP LOCKED on MariaDB, the write lock
    of SQLite's immediate transactions), and the work is shared."""
    notes = tmp_path / "runs.txt"
    tasks = 60
    manage(
        worker_database,
        "shell",
        "-c",
        f"from ektor.tests.tasks import note_run\n"
        f"for n in range({tasks}): note_run.enqueue({str(notes)!r}, n)",
    )
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--queue-name=*",
        "--interval=0.05",
    ]
    env = clean_env(SECRET_KEY=GOOD_KEY, DATABASE_URL=worker_database)
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs

    runs = [line.split() for line in notes.read_text().splitlines()]
    assert sorted(int(n) for n, _ in runs) == list(range(tasks))  # each once, none lost
    assert len({pid for _, pid in runs}) >= 2, "one worker did all the work"
    report = manage(
        worker_database,
        "shell",
        "-c",
        "import json; from django_tasks_db.models import DBTaskResult as R; print(json.dumps("
        "[[r.status, r.return_value, r.worker_ids] "
        "for r in R.objects.filter(task_path='ektor.tests.tasks.note_run')]))",
    )
    results = json.loads(report.stdout.strip().splitlines()[-1])
    assert sorted(value for _, value, _ in results) == list(range(tasks))
    assert {status for status, _, _ in results} == {"SUCCESSFUL"}
    assert all(len(ids) == 1 for _, _, ids in results)  # claimed once, by one worker
    assert len({ids[0] for _, _, ids in results}) >= 2

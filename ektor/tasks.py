"""Background tasks on Django's task API (the `django-tasks` backport, stored in the database
by `django-tasks-db`; `manage.py db_worker` runs them).

Two rules every task of ours follows, so no caller has to remember them:

- `enqueue_on_commit`: a service enqueues after its transaction commits, never before, so a
  task never runs for a write that rolled back (and never sees a row not yet committed).
- `background_task`: a task that raises is retried with exponential backoff, up to
  `max_attempts`. The database backend has no retry of its own: the failed attempt stays on
  record as FAILED with its traceback (the admin's "Background tasks" page), and a new attempt
  is enqueued with `run_after` = now + backoff * 2^(attempt-1) and `task_attempt` = the next
  number in its keyword arguments, so the attempts of one job read in order on that page.
"""

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

logger = logging.getLogger("ektor.tasks")

# The keyword argument that numbers the attempts (1 for the first); reserved in our tasks.
ATTEMPT = "task_attempt"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF = timedelta(seconds=30)


def backoff_delay(backoff: timedelta, attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` the next one may run."""
    return backoff * 2 ** (attempt - 1)


def background_task(
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: timedelta = DEFAULT_BACKOFF,
    **options: Any,
) -> Callable[[Callable[..., Any]], Task[..., Any]]:
    """`@task(**options)` whose failures are retried (see the module's docstring)."""

    def decorate(func: Callable[..., Any]) -> Task[..., Any]:
        # Same module and name as `func`, so the worker imports the task by its path.
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = kwargs.pop(ATTEMPT, 1)
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt >= max_attempts:
                    logger.error(
                        "task %s failed for good after %d attempts", func.__name__, attempt
                    )
                    raise
                delay = backoff_delay(backoff, attempt)
                this_task.using(run_after=timezone.now() + delay).enqueue(
                    *args, **kwargs, **{ATTEMPT: attempt + 1}
                )
                logger.warning(
                    "task %s failed (attempt %d of %d); retrying in %ds",
                    func.__name__,
                    attempt,
                    max_attempts,
                    delay.total_seconds(),
                )
                raise

        this_task: Task[..., Any] = task(**options)(run)
        return this_task

    return decorate


def enqueue_on_commit(background: Task[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue `background(*args, **kwargs)` once the current transaction commits; nothing
    when it rolls back. Outside a transaction it is enqueued at once."""
    transaction.on_commit(functools.partial(background.enqueue, *args, **kwargs))

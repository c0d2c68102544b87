"""Tasks for the tests of the task plumbing (importable by a worker process too)."""

from datetime import timedelta

from ektor.tasks import background_task


@background_task()
def add(a: int, b: int) -> int:
    return a + b


@background_task(max_attempts=3, backoff=timedelta(seconds=10))
def pump_check(pool: str) -> None:
    raise RuntimeError(f"pump of {pool} offline")

"""Tasks for the tests of the task plumbing (importable by a worker process too)."""

import os
import time
from datetime import timedelta

from ektor.tasks import background_task


@background_task()
def add(a: int, b: int) -> int:
    return a + b


@background_task(max_attempts=3, backoff=timedelta(seconds=10))
def pump_check(pool: str) -> None:
    raise RuntimeError(f"pump of {pool} offline")


@background_task()
def note_run(path: str, n: int) -> int:
    """Append `n` and the running process's id to the file at `path` (one short append: the
    lines of several processes never interleave)."""
    time.sleep(0.01)  # long enough for the other workers to claim tasks meanwhile
    with open(path, "a") as notes:
        notes.write(f"{n} {os.getpid()}\n")
    return n

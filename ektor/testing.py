"""Test support shared by every app: the role matrix entries each app contributes, and a
fresh interpreter with exactly a given configuration (for settings that apply at start-up)."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A SECRET_KEY that passes the production bar (for subprocesses started with DEBUG off).
GOOD_KEY = "ci-only-Vq3pX9zL2mK8wR4tY7uB1nC6dF0gH5jS" * 2
# Production settings a test client can reach over plain HTTP (for run_django).
PRODUCTION_ENV = {
    "SECRET_KEY": GOOD_KEY,
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "testserver",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**env_overrides: str) -> dict[str, str]:
    """An environment with nothing of ours in it but `env_overrides` (and no .env file, unless
    they name one in ENV_FILE)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT))}
    env.update({"ENV_FILE": os.devnull, **env_overrides})
    return env


def run_django(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with exactly the given configuration (no .env)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="ektor.settings", **env_overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` as an operator runs it, with exactly the given configuration."""
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class RoleCase:
    """One API operation for the role matrix (tests/test_role_matrix.py).

    `path` and `payload` are callables so each case builds its own rows inside the test's
    database; `admin_status` is what an admin gets with that payload.
    """

    method: str
    route: str  # the URL pattern it exercises, e.g. "api/v1/customers/<pk>"
    path: Callable[[], str]
    payload: Callable[[], Any] = field(default=lambda: None)
    staff_allowed: bool = False
    admin_status: int = 200
    anonymous_allowed: bool = False
    # What a technician gets: "allowed", "denied" (403), "empty" (a list with nothing: no
    # route yet), "missing" (404: not on their route); None: as staff, allowed or denied.
    technician: str | None = None

    @property
    def technician_expects(self) -> str:
        if self.technician is not None:
            return self.technician
        return "allowed" if self.staff_allowed else "denied"


def run_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (so its own database connection), all released at once;
    returns what each returned or the exception it raised, in order (the caller asserts)."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def migrate_to(*targets: tuple[str, str | None]):
    """Migrate the test database to `targets` ((app, migration name), None: before the app's
    first) and return the apps of that state, for data-migration tests; `migrate_to()` goes
    back to the latest state. Only for transactional tests (each migration commits)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan_targets = list(targets) or executor.loader.graph.leaf_nodes()
    executor.migrate(plan_targets)
    executor.loader.build_graph()
    return executor._create_project_state(with_applied_migrations=True).apps


def run_tasks() -> None:
    """Run every task that is ready, in this process and inside the test's transaction, as the
    worker of `manage.py db_worker` runs each one (claim, run, record the result or the
    failure), then return. Tasks scheduled for later stay queued.

    The worker's own loop also recycles database connections between tasks, which would close
    the test's connection; a real worker process is tested in ektor/tests/test_tasks.py."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    )
    while (ready := DBTaskResult.objects.ready().first()) is not None:
        ready.claim(worker.worker_id)
        worker.run_task(ready)


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, keeping what arrives."""

    host: str
    port: int
    messages: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30) -> list[Any]:
        """The messages, once `count` have arrived (they arrive on the server's thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

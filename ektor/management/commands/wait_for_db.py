import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from ektor.text import plural


class Command(BaseCommand):
    help = (
        "Wait until the database accepts connections (a container may start before MySQL is "
        "ready). Exits non-zero when it is still unreachable after --timeout seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="seconds (default 60)")
        parser.add_argument("--interval", type=float, default=1, help="seconds between tries")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, timeout: float, interval: float, database: str, **options):
        connection = connections[database]
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
            except DatabaseError as exc:
                # A failed attempt can leave a half-open handle; start the next one clean.
                connection.close()
                if time.monotonic() + interval > deadline:
                    raise CommandError(
                        f"wait_for_db: database {database!r} still unreachable after "
                        f"{plural(attempts, 'attempt')} ({timeout:g}s): {exc}"
                    ) from None
                self.stderr.write(f"wait_for_db: database not ready ({exc}); retrying")
                time.sleep(interval)
            else:
                self.stdout.write(f"wait_for_db: database {database!r} is ready.")
                return

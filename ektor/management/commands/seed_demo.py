"""Load the original system's demo data, or generate volume data for trials and benchmarks.

Each app names a module in its AppConfig's `demo_module`, with `load(ctx, data, *,
stdout)` (idempotent, by natural keys) and optionally `scale(ctx, volume)` (synthetic rows for
`--scale N`; `volume` is a ScaleContext). Modules run in INSTALLED_APPS order, so a later app
(billing) can build on the rows of an earlier one.
"""

import json
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.services import recorded_in_bulk
from ektor.db.counts import company_rows_changed
from ektor.registry import declared
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo.json"


@dataclass
class ScaleContext:
    """What every app's `scale` gets: how many customers, the batch size, and progress."""

    count: int
    batch_size: int
    stdout: Any

    def progress(self, what: str, reached: int, created: int) -> None:
        self.stdout.write(f"{what}: {reached}/{self.count} ({created} created)")


class Command(BaseCommand):
    help = "Load the demo data (idempotent), or with --scale N generate N synthetic customers."

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("--file", type=Path, default=DEMO_FILE, help="Demo data (JSON)")
        parser.add_argument(
            "--scale",
            type=int,
            metavar="N",
            help="Instead of the demo data, ensure N synthetic customers with 1-2 properties "
            "each (and what other apps generate for them) exist",
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per insert batch")

    def handle(self, *args, file: Path, scale: int | None, batch_size: int, **options):
        ctx = company_command_ctx(self, options["company"])
        modules = [import_module(path) for _, path in declared("demo_module")]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if scale is not None:
            if scale < 1:
                raise CommandError("--scale must be at least 1")
            volume = ScaleContext(count=scale, batch_size=batch_size, stdout=self.stdout)
            for module in modules:
                if hasattr(module, "scale"):
                    module.scale(ctx, volume)
            company_rows_changed(ctx.company.pk)
            self.stdout.write(self.style.SUCCESS(f"Volume data ready: {plural(scale, 'customer')}"))
            return
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the demo data {file}: {exc}") from None
        # The demo rows are made through the services, so each has its create (send, pay, ...)
        # events, inserted together; --scale's volume rows are bulk inserts and have none.
        with transaction.atomic(), recorded_in_bulk(ctx):
            for module in modules:
                module.load(ctx, data, stdout=self.stdout)
            company_rows_changed(ctx.company.pk)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded from {file.name}"))

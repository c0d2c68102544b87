"""`manage.py stock_report [--company SLUG] [--format text|csv]`: the items to reorder."""

import csv

from django.core.management.base import BaseCommand

from catalog.selectors import item_low_stock
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx

CSV_COLUMNS = ["item_id", "sku", "name", "kind", "category", "unit", "stock_quantity"]
CSV_COLUMNS += ["reorder_level"]


class Command(BaseCommand):
    help = "Active items that track stock and are at or below their reorder level."

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("--format", choices=["text", "csv"], default="text")

    def handle(self, *args, **options):
        ctx = company_command_ctx(self, options["company"])
        items = list(item_low_stock(ctx))
        if options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(CSV_COLUMNS)
            for item in items:
                stock = (f"{item.stock_quantity:.3f}", f"{item.reorder_level:.3f}")
                writer.writerow(
                    [item.pk, item.sku, item.name, item.kind, item.category, item.unit, *stock]
                )
            return
        if not items:
            self.stdout.write(f"{ctx.company.name}: no item is at or below its reorder level.")
            return
        self.stdout.write(
            f"{ctx.company.name}: {plural(len(items), 'item')} at or below the reorder level"
        )
        width = max(len(item.sku) for item in items)
        for item in items:
            self.stdout.write(
                f"  {item.sku:<{width}}  {item.name[:40]:<40}  "
                f"{item.stock_quantity:>10.3f} {item.unit:<5} (reorder at {item.reorder_level:.3f})"
            )

"""Items from a CSV file (the admin's import): each row creates an item, or changes the item
that has its SKU (not deleted; any case). Every row goes through catalog.services, in one
transaction: one bad row imports nothing. The export's own columns (the admin's "Export
selected as CSV") read back: `item_id`, `stock_quantity` and the timestamps are ignored, since
stock changes only through movements."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from catalog import services
from catalog.models import Item, ItemKind, ItemUnit
from core.context import Ctx
from core.errors import ApplicationError
from ektor.csv_input import numbered, sniff_delimiter

COLUMNS = ("sku", "name", "kind", "category", "description", "unit", "price", "cost")
COLUMNS += ("taxable", "track_stock", "reorder_level", "is_active")
REQUIRED = ("sku", "name", "kind", "price")
IGNORED = ("item_id", "stock_quantity", "created_at", "updated_at")
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} new and {self.updated} changed items"


def template_csv() -> str:
    example = ("CHL-1", "Liquid chlorine 12.5%", "chemical", "Sanitizer", "", "gal", "6.50")
    example += ("3.10", "true", "true", "10", "true")
    return ",".join(COLUMNS) + "\n" + ",".join(example) + "\n"


def _value(name: str, raw: str) -> Any:
    text = raw.strip()
    if name in ("price", "cost", "reorder_level"):
        if name == "cost" and not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{name}: {text!r} is not a number") from None
    if name in ("taxable", "track_stock", "is_active"):
        if text.lower() not in BOOLEANS:
            raise ValueError(f"{name}: {text!r} is not true or false")
        return BOOLEANS[text.lower()]
    if name == "kind" and text not in ItemKind.values:
        raise ValueError(f"kind: {text!r} is not one of {', '.join(ItemKind.values)}")
    if name == "unit" and text not in ItemUnit.values:
        raise ValueError(f"unit: {text!r} is not one of {', '.join(ItemUnit.values)}")
    return text


def _rows(text: str) -> csv.DictReader:
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))


def import_text(ctx: Ctx, text: str) -> Result:
    """Import every row, or none (the result's errors say why, by line)."""
    result = Result()
    reader = _rows(text)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        result.errors.append(f"Header: unreadable CSV: {exc}")
        return result
    unknown = [name for name in header if name not in COLUMNS and name not in IGNORED]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        problems = [f"unknown columns: {', '.join(unknown)}"] if unknown else []
        problems += [f"missing columns: {', '.join(missing)}"] if missing else []
        result.errors.append(f"Header: {'; '.join(problems)}")
        return result
    with transaction.atomic():
        for line, row in numbered(
            reader, lambda line, error: result.errors.append(f"Line {line}: {error}")
        ):
            try:
                _import_row(ctx, row, result)
            except (ValueError, ApplicationError) as exc:
                result.errors.append(f"Line {line}: {_describe(exc)}")
        if result.errors:
            transaction.set_rollback(True)
    return result


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return "; ".join(f"{e.field}: {e.msg}" for e in exc.fields) or exc.message
    return str(exc)


def _import_row(ctx: Ctx, row: dict[str, str], result: Result) -> None:
    data = {
        name.strip(): _value(name.strip(), value or "")
        for name, value in row.items()
        if name and name.strip() in COLUMNS
    }
    for name in REQUIRED:
        if data.get(name) in (None, ""):
            raise ValueError(f"{name} is required")
    existing = Item.objects.of(ctx).filter(sku__iexact=data["sku"], deleted_at__isnull=True).first()
    # A savepoint per row: a refused row leaves the others' writes to the final decision.
    with transaction.atomic():
        if existing is None:
            services.item_create(ctx, **data)  # type: ignore[misc]
            result.created += 1
        else:
            services.item_update(ctx, item=existing, data=data)
            result.updated += 1

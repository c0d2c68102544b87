"""How an invoice line is priced and taxed: the one rounding rule the services, the billing runs
and the printable invoice share. No queries here."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from audit.changes import json_value
from billing.models import InvoiceLine, LineKind
from core.money import CENT, ZERO

HUNDRED = Decimal(100)
# Fees and work: taxed only where the company taxes services (Company.tax_services).
SERVICE_KINDS = frozenset({LineKind.PLAN, LineKind.SERVICE, LineKind.LABOR})
# What each catalog item kind bills as.
ITEM_LINE_KIND = {
    "service": LineKind.SERVICE,
    "chemical": LineKind.CHEMICAL,
    "part": LineKind.PART,
    "product": LineKind.PRODUCT,
}


def cents(value: Decimal) -> Decimal:
    """Half-up to the cent (a half cent goes away from zero), as a bill is rounded by hand."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal
) -> tuple[Decimal, Decimal]:
    """(amount, tax) of one line, each rounded on the line: amount = quantity x unit_price,
    tax = amount x tax_rate / 100."""
    amount = cents(quantity * unit_price)
    return amount, cents(amount * tax_rate / HUNDRED)


def line_tax_rate(
    *, kind: str, taxable: bool, company_rate: Decimal, tax_services: bool
) -> Decimal:
    """The company's rate for a taxable item; plan fees, services and labor only when the
    company taxes services; an adjustment is never taxed."""
    if kind == LineKind.ADJUSTMENT or not taxable:
        return ZERO
    if kind in SERVICE_KINDS and not tax_services:
        return ZERO
    return company_rate


class Priced(Protocol):
    amount: Decimal
    tax: Decimal


def totals(lines: Iterable[Priced]) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, total) of an invoice with these lines: the sums of the rounded lines."""
    subtotal = tax = ZERO
    for line in lines:
        subtotal += line.amount
        tax += line.tax
    return subtotal, tax, subtotal + tax


AUDITED_LINE_FIELDS = (
    "kind",
    "description",
    "item_id",
    "visit_id",
    "plan_id",
    "quantity",
    "unit_price",
    "tax_rate",
    "amount",
    "tax",
)


def lines_snapshot(lines: Iterable[InvoiceLine | Priced]) -> list[dict[str, Any]]:
    """The lines as an invoice's audit event shows them (its lines are part of it): saved
    lines, or what a billing run inserts (billing.runs.Billable, the same attributes)."""
    fields = {f.attname: f for f in InvoiceLine._meta.concrete_fields}
    return [
        {name: json_value(fields[name], getattr(line, name)) for name in AUDITED_LINE_FIELDS}
        for line in lines
    ]

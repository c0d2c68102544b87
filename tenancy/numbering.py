"""Gap-free numbers per company and year (invoices, customer requests): a counter row per
company and year, locked until the commit of the transaction that takes numbers from it.

Each numbered series has its own Counter model (its own table), so two series never wait for
each other; each declares its unique (company, year) constraint under its own name.
"""

from django.db import connection, models

from core.context import Ctx
from tenancy.models import Company
from tenancy.scoping import TenantManager, UnscopedManager, company_of


class Counter(models.Model):
    """The last number a company used in a year; locked with select_for_update to assign the
    next (numbers_reserve)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


def numbers_reserve(ctx: Ctx, counter: type[Counter], *, year: int, count: int) -> range:
    """The next `count` numbers of ctx's company in `year`, gap-free: the counter row stays
    locked until the commit and rolls back with the transaction that used them."""
    counters = counter.objects.of(ctx).select_for_update().filter(year=year)
    row = counters.first()
    if row is None:
        _counter_insert_or_lock(counter, company_of(ctx).pk, year)
        row = counters.get()
    first = row.last_number + 1
    row.last_number += count
    row.save(update_fields=["last_number"])
    return range(first, first + count)


def _counter_insert_or_lock(counter: type[Counter], company_id: int, year: int) -> None:
    """Create the company's counter row of the year, or wait for the transaction that is
    creating it.

    A plain INSERT racing another one fails with a duplicate key while holding a *shared* lock
    on the row; two such transactions then asking for the exclusive lock deadlock on InnoDB.
    An upsert takes the exclusive lock at once, so concurrent first numbers of a year queue.
    """
    quote = connection.ops.quote_name
    table, company_col, year_col, last_col = (
        quote(counter._meta.db_table),
        quote("company_id"),
        quote("year"),
        quote("last_number"),
    )
    # Only quoted model names are interpolated; the company and year are parameters.
    insert = (
        f"INSERT INTO {table} ({company_col}, {year_col}, {last_col}) "  # noqa: S608
        "VALUES (%s, %s, 0)"
    )
    if connection.vendor == "mysql":
        sql = f"{insert} ON DUPLICATE KEY UPDATE {last_col} = {last_col}"
    else:
        sql = f"{insert} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [company_id, year])

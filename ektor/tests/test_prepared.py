"""PreparedQuery and PreparedPage (ektor/db/prepared.py): the SQL compiled once, the rows
exactly as the queryset's (on SQLite and on MariaDB), one query a call."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, QuerySet
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceStatus
from billing.selectors import invoice_amounts_queryset
from billing.tests.factories import InvoiceFactory, PaymentFactory
from catalog.models import Item
from catalog.selectors import item_list, item_search
from catalog.services import item_delete
from catalog.tests.factories import ItemFactory
from core.context import Ctx
from ektor.db.prepared import PreparedPage, PreparedQuery, PreparedSearch
from tenancy.scoping import UnscopedQuery
from tenancy.tests.factories import CompanyFactory, default_company

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)


def invoices(*, company_id: int, customer_id: int, since: datetime.date) -> QuerySet[Invoice]:
    return (
        invoice_amounts_queryset(Ctx.system(company=company_id))
        .filter(customer_id=customer_id, issued_date__gte=since)
        .annotate(street=F("property__address1"))
        .only("id", "number", "issued_date", "total", "status")
        .order_by("issued_date", "id")
    )


def as_seen(rows: list[Invoice]) -> list[tuple]:
    return [
        (
            row.pk,
            row.number,
            row.issued_date,
            row.total,
            row.amount_paid,  # type: ignore[attr-defined]
            row.balance_due,  # type: ignore[attr-defined]
            row.street,  # type: ignore[attr-defined]
            row.get_deferred_fields(),
        )
        for row in rows
    ]


def test_rows_are_the_querysets_for_every_call_and_the_sql_is_compiled_once():
    first = InvoiceFactory(status=InvoiceStatus.SENT, number="INV-2026-000001")
    PaymentFactory(invoice=first, amount=Decimal("33.33"))
    InvoiceFactory(property=first.property, issued_date=datetime.date(2025, 12, 30), due_date=None)
    other = InvoiceFactory(issued_date=datetime.date(2026, 3, 1), due_date=None)
    builds = []

    def build(**kwargs):
        builds.append(kwargs)
        return invoices(**kwargs)

    prepared = PreparedQuery(build, company_id=int, customer_id=int, since=datetime.date)
    company_id = first.company_id
    for customer_id, since in [
        (first.customer_id, JAN),
        (first.customer_id, datetime.date(2025, 1, 1)),
        (other.customer_id, JAN),
        (other.customer_id, datetime.date(2027, 1, 1)),
    ]:
        where = {"company_id": company_id, "customer_id": customer_id, "since": since}
        rows = prepared(**where)
        assert as_seen(rows) == as_seen(list(invoices(**where)))
        assert all(type(row) is Invoice for row in rows)
    assert len(builds) == 1
    assert as_seen(prepared(company_id=company_id, customer_id=first.customer_id, since=JAN))[0][
        3:5
    ] == (
        Decimal("100.00"),
        Decimal("33.33"),
    )


def test_one_query_a_call():
    invoice = InvoiceFactory()
    prepared = PreparedQuery(invoices, company_id=int, customer_id=int, since=datetime.date)
    where = {"company_id": invoice.company_id, "customer_id": invoice.customer_id, "since": JAN}
    prepared(**where)
    with CaptureQueriesContext(connection) as queries:
        prepared(**where)
    assert len(queries) == 1


def test_a_parameter_that_does_not_reach_the_sql_is_refused():
    prepared = PreparedQuery(
        lambda customer_id, since: Invoice.unscoped.filter(customer_id=customer_id),
        customer_id=int,
        since=datetime.date,
    )
    with pytest.raises(ValueError, match=r"not a parameter of the compiled SQL: \['since'\]"):
        prepared(customer_id=1, since=JAN)


def test_the_call_names_every_parameter():
    prepared = PreparedQuery(invoices, company_id=int, customer_id=int, since=datetime.date)
    with pytest.raises(TypeError, match="expected the parameters"):
        prepared(customer_id=1)


def test_a_tenant_query_without_its_company_trips_the_wire():
    prepared = PreparedQuery(
        lambda customer_id: Invoice.objects.filter(customer_id=customer_id), customer_id=int
    )
    with pytest.raises(UnscopedQuery, match="Invoice queried without its company"):
        prepared(customer_id=1)


def test_a_values_queryset_gives_its_dicts():
    first = InvoiceFactory(status=InvoiceStatus.SENT, number="INV-2026-000001")
    PaymentFactory(invoice=first, amount=Decimal("12.50"))
    InvoiceFactory(property=first.property, issued_date=datetime.date(2026, 2, 1), due_date=None)

    def rows(*, company_id: int, customer_id: int, since: datetime.date) -> QuerySet[Invoice]:
        return invoices(company_id=company_id, customer_id=customer_id, since=since).values(
            "id", "issued_date", "total", "amount_paid", "property__address1", "created_at"
        )

    prepared = PreparedQuery(rows, company_id=int, customer_id=int, since=datetime.date)
    for since in (JAN, datetime.date(2026, 1, 15), datetime.date(2027, 1, 1)):
        where = {"company_id": first.company_id, "customer_id": first.customer_id, "since": since}
        assert prepared(**where) == list(rows(**where))
    assert len(prepared(company_id=first.company_id, customer_id=first.customer_id, since=JAN)) == 2


def items(*, company_id: int) -> QuerySet:
    return item_list(Ctx.system(company=company_id)).values("id", "sku", "price", "created_at")


def test_a_prepared_page_is_the_querysets_count_and_window():
    company = default_company()
    other = CompanyFactory()
    made = [ItemFactory(price=Decimal(f"{n}.25")) for n in range(7)]
    ItemFactory(company=other)
    item_delete(Ctx.system(company), item=made[3])
    builds = []

    def build(**kwargs):
        builds.append(kwargs)
        return items(**kwargs)

    prepared = PreparedPage(build, company_id=int)
    expected = list(items(company_id=company.pk))
    assert prepared.count(company_id=company.pk) == len(expected) == 6
    for offset, limit in [(0, 50), (0, 2), (2, 3), (5, 10), (6, 1)]:
        assert (
            prepared.page(offset, limit, company_id=company.pk) == expected[offset : offset + limit]
        )
    # The converters applied, as values() gives them: money as Decimal, an aware datetime.
    rows = prepared.page(0, 1, company_id=company.pk)
    assert type(rows[0]["price"]) is Decimal and rows[0]["created_at"].tzinfo is not None
    assert prepared.count(company_id=other.pk) == 1
    assert len(builds) == 1
    with CaptureQueriesContext(connection) as queries:
        prepared.count(company_id=company.pk)
        prepared.page(0, 5, company_id=company.pk)
    assert len(queries) == 2


def test_a_prepared_page_reads_values_of_one_table_and_trips_the_wire():
    with pytest.raises(ValueError, match="values"):
        PreparedPage(
            lambda company_id: Item.objects.filter(company_id=company_id), company_id=int
        ).count(company_id=1)
    joined = PreparedPage(
        lambda company_id: items(company_id=company_id).values("sku", "company__slug"),
        company_id=int,
    )
    with pytest.raises(ValueError, match="one table"):
        joined.count(company_id=1)
    unscoped = PreparedPage(
        lambda company_id: Item.objects.filter(pk__gt=company_id).values("sku"), company_id=int
    )
    with pytest.raises(UnscopedQuery):
        unscoped.page(0, 5, company_id=1)


def found(*, company_id: int, q: str) -> QuerySet:
    ctx = Ctx.system(company=company_id)
    return item_search(ctx, item_list(ctx), q).values("id", "sku", "name", "price")


def test_a_prepared_search_is_the_querysets_count_and_window_for_any_words():
    company = default_company()
    names = ["Chlorine tabs", "chlorine LIQUID", "100% pure", "50_50 mix", "back\\slash", "tabs"]
    for name in names:
        ItemFactory(name=name, description="kg")
    ItemFactory(company=CompanyFactory(), name="Chlorine tabs")
    prepared = PreparedSearch(found, company_id=int)
    compiled = []
    searches = ["chlorine", "CHLORINE tabs", " tabs  chlorine ", "%", "0%", "_", "0_5", "\\", "kg"]
    for q in [*searches, ""]:
        expected = list(found(company_id=company.pk, q=q))
        page, words = prepared.page_for(q)
        compiled.append(page)
        assert page.count(company_id=company.pk, **words) == len(expected), q
        for offset, limit in [(0, 50), (1, 1)]:
            assert (
                page.page(offset, limit, company_id=company.pk, **words)
                == (expected[offset : offset + limit])
            ), q
    # The wildcards are text: "%" finds only the item that has one.
    assert prepared.page_for("%")[0].count(company_id=company.pk, word0="%") == 1
    # One compiled page per number of words.
    assert len({id(page) for page in compiled}) == 3
    with CaptureQueriesContext(connection) as queries:
        page, words = prepared.page_for("chlorine tabs")
        page.count(company_id=company.pk, **words)
        page.page(0, 5, company_id=company.pk, **words)
    assert len(queries) == 2

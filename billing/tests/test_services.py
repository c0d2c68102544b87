"""The rules of billing.services, which the API, the admin and the commands all go through."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from billing import selectors, services
from billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceStatus,
    Payment,
    ReceivablesByDueDate,
)
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from core.errors import ApplicationError, InvalidInput
from customers.models import Customer
from customers.tests.factories import CustomerFactory, PropertyFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def create_kwargs(prop, **overrides):
    data = {
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "period_start": D(2026, 1, 5),
        "period_end": D(2026, 1, 11),
        "issued_date": D(2026, 1, 11),
        "due_date": D(2026, 1, 18),
        "subtotal": Decimal("100.00"),
        "tax": Decimal("7.00"),
        "total": Decimal("107.00"),
    }
    return {**data, **overrides}


def refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call()
    return info.value


def field_errors(call) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        call()
    return {e.field: e.msg for e in info.value.fields}


class TestInvoiceCreate:
    def test_sent_by_default_with_the_first_number_of_the_year(self, ctx):
        invoice = services.invoice_create(ctx, **create_kwargs(PropertyFactory()))
        assert invoice.status == InvoiceStatus.SENT
        assert invoice.number == "INV-2026-000001"
        assert invoice.sent_at is not None

    def test_draft_has_no_number(self, ctx):
        invoice = services.invoice_create(ctx, **create_kwargs(PropertyFactory()), status="draft")
        assert (invoice.status, invoice.number) == ("draft", None)

    def test_checks_in_the_contracts_order(self, ctx):
        prop = PropertyFactory()
        other = PropertyFactory()
        bad_fields = {"period_start": D(2026, 2, 1), "total": Decimal("1.00")}
        # Unknown customer comes first even when everything else is wrong too.
        exc = refusal(
            lambda: services.invoice_create(
                ctx, **create_kwargs(prop, customer_id=999999, property_id=999999, **bad_fields)
            )
        )
        assert (exc.status, exc.reason, exc.message) == (
            404,
            "customer_not_found",
            "Customer not found",
        )
        exc = refusal(
            lambda: services.invoice_create(
                ctx, **create_kwargs(prop, property_id=999999, **bad_fields)
            )
        )
        assert (exc.status, exc.reason) == (404, "property_not_found")
        exc = refusal(
            lambda: services.invoice_create(
                ctx, **create_kwargs(prop, property_id=other.pk, **bad_fields)
            )
        )
        assert (exc.status, exc.reason) == (400, "property_customer_mismatch")
        # Named as the office knows them, not by ids.
        assert exc.message == (
            f"Property {other.label} ({other.address1}) belongs to {other.customer.full_name}, "
            f"not to {prop.customer.full_name}"
        )
        errors = field_errors(
            lambda: services.invoice_create(ctx, **create_kwargs(prop, **bad_fields))
        )
        assert "period_end" in errors
        assert Invoice.unscoped.count() == 0

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"period_end": D(2026, 1, 4)}, "period_end", "period_end must be on or after"),
            ({"due_date": D(2026, 1, 10)}, "due_date", "due_date must be on or after issued"),
            ({"total": Decimal("107.01")}, "total", "total must equal subtotal + tax exactly"),
            ({"tax": Decimal("-7.00"), "total": Decimal("93.00")}, "tax", "must not be negative"),
            ({"subtotal": Decimal("100.001")}, "subtotal", "no more than 2 decimal places"),
            ({"status": "paid"}, "status", "becomes paid through payments"),
        ],
    )
    def test_field_rules_are_422(self, ctx, overrides, field, message):
        prop = PropertyFactory()
        errors = field_errors(
            lambda: services.invoice_create(ctx, **create_kwargs(prop, **overrides))
        )
        assert message in errors[field]
        assert not Invoice.unscoped.exists()

    def test_created_void_is_numbered_and_voided_with_a_reason(self, ctx):
        # The original system's clients record cancelled invoices this way.
        prop = PropertyFactory()
        invoice = services.invoice_create(ctx, **create_kwargs(prop), status="void")
        invoice.refresh_from_db()
        assert (invoice.status, invoice.number, invoice.void_reason) == (
            "void",
            "INV-2026-000001",
            "Created void",
        )
        assert invoice.sent_at is not None and invoice.voided_at is not None
        assert invoice.paid_at is None
        # Numbered like any invoice that left draft; it owes nothing and is not in the figures.
        assert services.invoice_create(ctx, **create_kwargs(prop)).number == "INV-2026-000002"
        assert selectors.invoice_get(ctx, invoice_id=invoice.pk).balance_due == Decimal("0.00")
        assert selectors.receivables_drift(ctx) == {}
        zero = {"subtotal": Decimal("0"), "tax": Decimal("0"), "total": Decimal("0")}
        voided = services.invoice_create(ctx, **create_kwargs(prop, **zero), status="void")
        assert (voided.status, voided.paid_at) == ("void", None)

    def test_a_zero_invoice_is_paid_as_soon_as_it_is_sent(self, ctx):
        prop = PropertyFactory()
        zero = {"subtotal": Decimal("0.00"), "tax": Decimal("0.00"), "total": Decimal("0.00")}
        created = services.invoice_create(ctx, **create_kwargs(prop, **zero))
        draft = services.invoice_create(ctx, **create_kwargs(prop, **zero), status="draft")
        assert draft.status == "draft"
        sent = services.invoice_send(ctx, invoice=draft)
        for invoice in (created, sent):
            invoice.refresh_from_db()
            assert (invoice.status, invoice.number[:9]) == ("paid", "INV-2026-")
            assert invoice.paid_at is not None
        # Never owed, so never overdue, and not in the dashboard's running figures.
        assert not selectors.invoice_queryset(ctx).filter(selectors.overdue_q()).exists()
        assert selectors.receivables_drift(ctx) == {}
        assert not ReceivablesByDueDate.unscoped.exclude(invoice_count=0).exists()

    def test_a_refused_sent_invoice_uses_no_number(self, ctx):
        prop = PropertyFactory()
        field_errors(
            lambda: services.invoice_create(ctx, **create_kwargs(prop, total=Decimal("1.00")))
        )
        assert services.invoice_create(ctx, **create_kwargs(prop)).number == "INV-2026-000001"


class TestInvoiceUpdateSendVoid:
    def test_update_draft_and_recheck_rules(self, ctx):
        draft = InvoiceFactory()
        updated = services.invoice_update(
            ctx, invoice=draft, data={"subtotal": Decimal("90.00"), "total": Decimal("90.00")}
        )
        assert updated.total == Decimal("90.00")
        errors = field_errors(
            lambda: services.invoice_update(ctx, invoice=draft, data={"total": Decimal("80.00")})
        )
        assert "total must equal subtotal + tax" in errors["total"]

    def test_update_moving_to_another_customers_property_is_400(self, ctx):
        draft = InvoiceFactory()
        exc = refusal(
            lambda: services.invoice_update(
                ctx, invoice=draft, data={"property_id": PropertyFactory().pk}
            )
        )
        assert exc.reason == "property_customer_mismatch"

    def test_update_only_drafts(self, ctx, invoice):
        exc = refusal(lambda: services.invoice_update(ctx, invoice=invoice, data={"notes": "x"}))
        assert (exc.status, exc.reason) == (409, "invoice_not_draft")
        assert exc.message == "Invoice INV-2026-000001 is sent: only a draft can be changed"

    def test_empty_update_is_400(self, ctx):
        exc = refusal(lambda: services.invoice_update(ctx, invoice=InvoiceFactory(), data={}))
        assert (exc.status, exc.reason) == (400, "no_fields_to_update")

    def test_send_numbers_per_year_of_issued_date(self, ctx):
        def draft(issued):
            return InvoiceFactory(issued_date=issued, due_date=None)

        a = services.invoice_send(ctx, invoice=draft(D(2026, 3, 1)))
        b = services.invoice_send(ctx, invoice=draft(D(2025, 12, 31)))
        c = services.invoice_send(ctx, invoice=draft(D(2026, 1, 1)))
        assert [a.number, b.number, c.number] == [
            "INV-2026-000001",
            "INV-2025-000001",
            "INV-2026-000002",
        ]
        assert InvoiceCounter.unscoped.get(year=2026).last_number == 2

    def test_send_twice_is_409(self, ctx, invoice):
        exc = refusal(lambda: services.invoice_send(ctx, invoice=invoice))
        assert (exc.status, exc.reason) == (409, "invoice_not_draft")

    def test_void_needs_a_reason(self, ctx, invoice):
        errors = field_errors(lambda: services.invoice_void(ctx, invoice=invoice, reason="  "))
        assert errors["reason"] == "A reason is required to void"

    def test_void_sent_keeps_number_and_reason(self, ctx, invoice):
        voided = services.invoice_void(ctx, invoice=invoice, reason="Billed twice")
        assert (voided.status, voided.number, voided.void_reason) == (
            "void",
            "INV-2026-000001",
            "Billed twice",
        )
        exc = refusal(lambda: services.invoice_void(ctx, invoice=invoice, reason="again"))
        assert (exc.status, exc.reason) == (409, "invoice_already_void")

    def test_void_draft_gets_a_number(self, ctx):
        voided = services.invoice_void(ctx, invoice=InvoiceFactory(), reason="Never sent")
        assert (voided.status, voided.number) == ("void", "INV-2026-000001")

    def test_void_with_payments_is_409(self, ctx, invoice):
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"))
        exc = refusal(lambda: services.invoice_void(ctx, invoice=invoice, reason="x"))
        assert (exc.status, exc.reason) == (409, "invoice_has_payments")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("90.00"))
        exc = refusal(lambda: services.invoice_void(ctx, invoice=invoice, reason="x"))
        assert exc.reason == "invoice_has_payments"


class TestPaymentRecord:
    def test_defaults(self, ctx, invoice):
        payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("30.00"))
        assert payment.method == "other"
        assert payment.reference is None
        assert payment.paid_date == datetime.date.today()

    def test_a_payment_dated_after_today_is_refused(self, ctx, invoice):
        today = timezone.localdate()
        tomorrow = today + datetime.timedelta(days=1)
        errors = field_errors(
            lambda: services.payment_record(
                ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), paid_date=tomorrow
            )
        )
        assert errors["paid_date"] == (
            f"paid_date {tomorrow} is after today ({today}): record a payment once it is received"
        )
        assert not Payment.unscoped.exists()
        services.payment_record(
            ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), paid_date=today
        )

    def test_today_is_the_companys_day(self, ctx, invoice, settings):
        # Kiritimati (UTC+14) is always a day or two ahead of Pago Pago (UTC-11).
        ahead = datetime.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
        settings.TIME_ZONE = "Pacific/Pago_Pago"
        errors = field_errors(
            lambda: services.payment_record(
                ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), paid_date=ahead
            )
        )
        assert f"paid_date {ahead} is after today" in errors["paid_date"]
        # Whatever zone a request activated.
        with timezone.override("Pacific/Kiritimati"):
            errors = field_errors(
                lambda: services.payment_record(
                    ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), paid_date=ahead
                )
            )
        assert "paid_date" in errors
        settings.TIME_ZONE = "Pacific/Kiritimati"
        services.payment_record(
            ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), paid_date=ahead
        )

    def test_a_row_inserted_by_sql_that_does_not_know_reversals_counts(self, ctx, invoice):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_payment "
                "(company_id, invoice_id, amount, paid_date, method, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [invoice.company_id, invoice.pk, "10.00", "2026-01-12", "cash", "2026-01-12 10:00"],
            )
        assert Payment.unscoped.get().counted is True
        assert services.invoice_amount_paid(ctx, invoice) == Decimal("10.00")

    def test_empty_reference_is_null_and_never_collides(self, ctx, invoice):
        for _ in range(2):
            payment = services.payment_record(
                ctx, invoice_id=invoice.pk, amount=Decimal("1.00"), reference="  "
            )
            assert payment.reference is None

    def test_rules_in_the_contracts_order(self, ctx, invoice):
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("60.00"), reference="R1")
        # Duplicate reference is checked before the overpayment.
        exc = refusal(
            lambda: services.payment_record(
                ctx, invoice_id=invoice.pk, amount=Decimal("50.00"), reference="r1"
            )
        )
        assert (exc.status, exc.reason) == (409, "duplicate_payment_reference")
        exc = refusal(
            lambda: services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.01"))
        )
        assert (exc.status, exc.reason) == (409, "payment_exceeds_total")
        assert exc.message == (
            "A payment of 40.01 exceeds the balance due of 40.00 on invoice INV-2026-000001 "
            "(total 100.00, already paid 60.00)"
        )
        assert exc.extra == {"amount_paid": "60.00", "balance_due": "40.00"}
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.00"))
        invoice.refresh_from_db()
        assert invoice.status == "paid" and invoice.paid_at is not None
        # Paid comes before the duplicate reference and the overpayment.
        exc = refusal(
            lambda: services.payment_record(
                ctx, invoice_id=invoice.pk, amount=Decimal("50.00"), reference="R1"
            )
        )
        assert (exc.status, exc.reason) == (409, "invoice_already_paid")
        exc = refusal(lambda: services.payment_record(ctx, invoice_id=999999, amount=Decimal("1")))
        assert (exc.status, exc.reason, exc.message) == (
            404,
            "invoice_not_found",
            "Invoice not found",
        )

    def test_void_invoice_is_400(self, ctx, invoice):
        services.invoice_void(ctx, invoice=invoice, reason="Mistake")
        exc = refusal(
            lambda: services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("500.00"))
        )
        assert (exc.status, exc.reason) == (400, "invoice_void")

    def test_payment_on_a_draft_sends_it(self, ctx):
        draft = InvoiceFactory()
        services.payment_record(ctx, invoice_id=draft.pk, amount=Decimal("10.00"))
        draft.refresh_from_db()
        assert (draft.status, draft.number) == ("sent", "INV-2026-000001")

    @pytest.mark.parametrize("amount", ["0", "-1.00", "0.001"])
    def test_amount_must_be_positive_cents(self, ctx, invoice, amount):
        errors = field_errors(
            lambda: services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal(amount))
        )
        assert "amount" in errors

    def test_many_cents_sum_to_the_total_exactly(self, ctx):
        invoice = make_invoice(total="3.30")
        for _ in range(10):
            services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("0.10"))
        for _ in range(229):
            services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("0.01"))
        row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
        assert (row.status, row.amount_paid, row.balance_due) == (
            "sent",
            Decimal("3.29"),
            Decimal("0.01"),
        )
        services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("0.01"))
        row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
        assert (row.status, str(row.amount_paid), str(row.balance_due)) == (
            "paid",
            "3.30",
            "0.00",
        )
        assert Payment.unscoped.filter(invoice=invoice).count() == 240


def test_statement_customer_must_exist_and_period_ordered(ctx):
    customer = CustomerFactory()
    exc = refusal(
        lambda: selectors.customer_statement(
            ctx, customer_id=customer.pk, from_date=D(2026, 2, 1), to_date=D(2026, 1, 1)
        )
    )
    assert (exc.status, exc.reason) == (400, "invalid_date_range")
    exc = refusal(
        lambda: selectors.customer_statement(
            ctx, customer_id=999999, from_date=D(2026, 1, 1), to_date=D(2026, 1, 31)
        )
    )
    assert (exc.status, exc.reason) == (404, "customer_not_found")


class TestGuards:
    """`can_<action>()` answers with the refusal the action would raise, and writes nothing."""

    def test_can_invoice_create_names_the_field_and_creates_nothing(self, ctx):
        prop = PropertyFactory()
        refusal = services.can_invoice_create(ctx, **create_kwargs(prop, total=Decimal("100.00")))
        assert isinstance(refusal, InvalidInput)
        assert [e.field for e in refusal.fields] == ["total"]
        assert services.can_invoice_create(ctx, **create_kwargs(prop)) is None
        assert not Invoice.unscoped.exists() and not InvoiceCounter.unscoped.exists()

    def test_can_invoice_update_refuses_what_the_update_refuses(self, ctx):
        draft = make_invoice(status="draft")
        assert services.can_invoice_update(ctx, invoice=draft, data={"notes": "x"}) is None
        refusal = services.can_invoice_update(ctx, invoice=draft, data={"tax": Decimal("1.00")})
        assert [e.field for e in refusal.fields] == ["total"]
        sent = make_invoice()
        refusal = services.can_invoice_update(ctx, invoice=sent, data={"notes": "x"})
        assert (refusal.status, refusal.reason) == (409, "invoice_not_draft")
        draft.refresh_from_db()
        assert (draft.tax, draft.notes) == (Decimal("0.00"), None)

    def test_can_invoice_send_and_void(self, ctx):
        draft = make_invoice(status="draft")
        assert services.can_invoice_send(ctx, invoice=draft) is None
        assert services.can_invoice_void(ctx, invoice=draft) is None
        sent = make_invoice()
        assert services.can_invoice_send(ctx, invoice=sent).message == (
            f"Invoice {sent.number} is sent: only a draft can be sent"
        )
        services.payment_record(ctx, invoice_id=sent.pk, amount=Decimal("1.00"))
        assert services.can_invoice_void(ctx, invoice=sent).reason == "invoice_has_payments"
        voided = services.invoice_void(ctx, invoice=draft, reason="Twice")
        assert services.can_invoice_void(ctx, invoice=voided).reason == "invoice_already_void"
        draft.refresh_from_db()
        assert draft.status == "void"

    def test_can_payments_record_takes_the_new_payments_in_order(self, ctx, invoice):
        def refused(*payments):
            return services.can_payments_record(ctx, invoice_id=invoice.pk, payments=payments)

        first = {"amount": Decimal("60.00"), "reference": "CHK-1"}
        assert refused(first) is None
        assert refused(first, {"amount": Decimal("50.00")}).reason == "payment_exceeds_total"
        assert refused(first, {"amount": Decimal("1.00"), "reference": "chk-1"}).reason == (
            "duplicate_payment_reference"
        )
        assert refused({"amount": Decimal("100.00")}, {"amount": Decimal("1.00")}).reason == (
            "invoice_already_paid"
        )
        bad = refused(first, {"amount": Decimal("-1.00"), "notes": "typo"})
        assert [(e.field, e.msg) for e in bad.fields] == [("amount", "Amount must not be negative")]
        assert not Payment.unscoped.exists()
        invoice.refresh_from_db()
        assert invoice.status == "sent"


def test_the_admin_asks_the_guards_instead_of_dry_runs():
    """No admin form runs a service in a rolled-back savepoint or overrides a private hook."""
    import inspect

    import billing.admin
    import customers.admin

    for module in (billing.admin, customers.admin):
        source = inspect.getsource(module)
        assert "set_rollback" not in source and "def _post_clean" not in source


def test_the_shared_amount_paid_expression_serves_every_query_unchanged(ctx):
    """selectors.AMOUNT_PAID is built once per process: each query resolves its own copy, so a
    query that nests the invoice list (other table aliases) leaves the next one right."""
    paid, unpaid = make_invoice(total="10.00"), make_invoice(total="20.00")
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("4.00"))
    nested = Customer.unscoped.filter(pk=paid.customer_id).annotate(
        first_paid=Subquery(
            selectors.invoice_list(ctx).filter(customer=OuterRef("pk")).values("amount_paid")[:1]
        )
    )
    expected = {paid.pk: Decimal("4.00"), unpaid.pk: Decimal("0.00")}
    for _ in range(2):
        assert nested.get().first_paid == Decimal("4.00")
        assert dict(selectors.invoice_list(ctx).values_list("pk", "amount_paid")) == expected

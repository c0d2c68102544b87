"""The rules of billing.credits, and what credits do to payments, voids and the running figures."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from billing import credits, selectors, services
from billing.models import Credit, CreditApplication, CreditSource, InvoiceStatus
from billing.tests.conftest import make_invoice
from core.errors import ApplicationError, InvalidInput
from customers.tests.factories import CustomerFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def D(text: str) -> Decimal:
    return Decimal(text)


def refused(call, status: int, reason: str | None) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert (caught.value.status, caught.value.reason) == (status, reason), caught.value.message
    return caught.value


def manual(ctx, customer_id, amount="100.00"):
    return credits.credit_create(ctx, customer_id=customer_id, amount=D(amount), reason="Goodwill")


def balance(ctx, customer_id):
    return selectors.customer_balance(ctx, customer_id=customer_id)


class TestCreate:
    def test_a_manual_credit_stays_open(self, ctx):
        customer = CustomerFactory()
        credit = manual(ctx, customer.pk, "25.00")
        assert (credit.source, credit.amount, credit.remaining) == (
            CreditSource.MANUAL,
            D("25.00"),
            D("25.00"),
        )
        assert AuditEvent.objects.filter(object_type="credit", action="create").count() == 1
        assert balance(ctx, customer.pk).unapplied_credit == D("25.00")

    def test_a_credit_note_is_applied_to_its_invoice_up_to_its_balance(self, ctx):
        invoice = make_invoice(total="60.00")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("20.00"))
        note = credits.credit_create(
            ctx,
            customer_id=invoice.customer_id,
            amount=D("50.00"),
            reason="Pump repair billed twice",
            invoice_id=invoice.pk,
        )
        invoice.refresh_from_db()
        assert note.source == CreditSource.CREDIT_NOTE
        assert (invoice.amount_credited, invoice.status) == (D("40.00"), InvoiceStatus.PAID)
        note.refresh_from_db()
        assert note.remaining == D("10.00")  # left for the next invoice
        assert selectors.receivables_drift(ctx) == {}

    def test_a_credit_note_on_a_paid_invoice_stays_open(self, ctx):
        invoice = make_invoice(total="30.00")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("30.00"))
        note = credits.credit_create(
            ctx,
            customer_id=invoice.customer_id,
            amount=D("5.00"),
            reason="x",
            invoice_id=invoice.pk,
        )
        assert note.remaining == D("5.00")
        assert not CreditApplication.objects.of(ctx).filter(credit=note).exists()

    @pytest.mark.parametrize("status", ["draft", "void"])
    def test_no_credit_note_on_a_draft_or_void_invoice(self, ctx, status):
        invoice = make_invoice(status=status)
        error = refused(
            lambda: credits.credit_create(
                ctx,
                customer_id=invoice.customer_id,
                amount=D("5"),
                reason="x",
                invoice_id=invoice.pk,
            ),
            409,
            "credit_invoice_not_sent",
        )
        assert status in error.message
        assert not Credit.objects.of(ctx).exists()

    def test_a_credit_note_is_against_the_customers_invoice(self, ctx):
        invoice = make_invoice()
        refused(
            lambda: credits.credit_create(
                ctx,
                customer_id=CustomerFactory().pk,
                amount=D("5"),
                reason="x",
                invoice_id=invoice.pk,
            ),
            409,
            "credit_customer_mismatch",
        )

    def test_field_rules(self, ctx):
        customer = CustomerFactory()
        with pytest.raises(InvalidInput) as caught:
            credits.credit_create(ctx, customer_id=customer.pk, amount=D("0.001"), reason=" ")
        assert {error.field for error in caught.value.fields} == {"amount"}
        with pytest.raises(InvalidInput) as caught:
            credits.credit_create(ctx, customer_id=customer.pk, amount=D("1"), reason=" ")
        assert [error.field for error in caught.value.fields] == ["reason"]
        refused(lambda: manual(ctx, 999_999), 404, "customer_not_found")


class TestApply:
    def test_applies_and_settles_like_a_payment(self, ctx):
        invoice = make_invoice(total="100.00")
        credit = manual(ctx, invoice.customer_id, "150.00")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("30.00"))
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=D("50.00"))
        detail = selectors.invoice_get(ctx, invoice_id=invoice.pk)
        assert (detail.amount_paid, detail.amount_credited, detail.balance_due) == (
            D("30.00"),
            D("50.00"),
            D("20.00"),
        )
        assert detail.status == InvoiceStatus.SENT
        assert selectors.receivables_drift(ctx) == {}
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=D("20.00"))
        invoice.refresh_from_db()
        credit.refresh_from_db()
        assert (invoice.status, credit.remaining) == (InvoiceStatus.PAID, D("80.00"))
        assert selectors.receivables_drift(ctx) == {}
        actions = set(AuditEvent.objects.values_list("object_type", "action"))
        assert {("creditapplication", "create"), ("credit", "apply"), ("invoice", "pay")} <= actions
        assert ("invoice", "credit") in actions

    def test_rules_in_order(self, ctx):
        invoice = make_invoice(total="40.00")
        credit = manual(ctx, invoice.customer_id, "30.00")

        def apply(amount, invoice_id=invoice.pk, credit_id=credit.pk):
            return lambda: credits.credit_apply(
                ctx, credit_id=credit_id, invoice_id=invoice_id, amount=D(amount)
            )

        refused(apply("1", invoice_id=999_999), 404, "invoice_not_found")
        refused(apply("1", credit_id=999_999), 404, "credit_not_found")
        with pytest.raises(InvalidInput):
            apply("-1")()
        other = make_invoice(total="40.00")
        refused(apply("1", invoice_id=other.pk), 409, "credit_customer_mismatch")
        draft = make_invoice(prop=invoice.property, status="draft")
        error = refused(apply("1", invoice_id=draft.pk), 409, "credit_invoice_not_sent")
        assert "send it first" in error.message
        error = refused(apply("30.01"), 409, "credit_exceeds_remaining")
        assert error.extra == {"remaining": "30.00"}
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("15.00"))
        error = refused(apply("25.01"), 409, "credit_exceeds_balance")
        assert error.extra == {"balance_due": "25.00"}
        assert "25.00" in error.message
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=D("25.00"))
        error = refused(apply("1"), 409, "credit_invoice_not_sent")
        assert "already paid" in error.message

    def test_a_payment_sees_what_credits_settled(self, ctx):
        invoice = make_invoice(total="100.00")
        credit = manual(ctx, invoice.customer_id, "90.00")
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=D("90.00"))
        error = refused(
            lambda: services.payment_record(ctx, invoice_id=invoice.pk, amount=D("10.01")),
            409,
            "payment_exceeds_total",
        )
        assert error.extra == {
            "amount_paid": "0.00",
            "balance_due": "10.00",
            "amount_credited": "90.00",
        }
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("10.00"))
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert selectors.receivables_drift(ctx) == {}

    def test_an_invoice_with_credits_cannot_be_voided(self, ctx):
        invoice = make_invoice(total="100.00")
        credit = manual(ctx, invoice.customer_id, "10.00")
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=D("10.00"))
        invoice.refresh_from_db()
        refused(
            lambda: services.invoice_void(ctx, invoice=invoice, reason="x"),
            409,
            "invoice_has_credits",
        )


class TestOverpayment:
    def test_without_the_field_the_v1_rule_stands(self, ctx):
        invoice = make_invoice(total="100.00")
        refused(
            lambda: services.payment_record(ctx, invoice_id=invoice.pk, amount=D("120.00")),
            409,
            "payment_exceeds_total",
        )
        assert not Credit.objects.of(ctx).exists()

    def test_the_part_above_the_balance_becomes_a_credit(self, ctx):
        invoice = make_invoice(total="100.00")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("30.00"))
        payment = services.payment_record(
            ctx, invoice_id=invoice.pk, amount=D("120.00"), overpayment="credit"
        )
        # The payment row records what the invoice owed; the rest is the credit.
        assert payment.amount == D("70.00")
        credit = Credit.objects.of(ctx).get(payment=payment)
        assert (credit.source, credit.amount, credit.remaining, credit.invoice_id) == (
            CreditSource.OVERPAYMENT,
            D("50.00"),
            D("50.00"),
            invoice.pk,
        )
        assert credit.credit_date == payment.paid_date
        detail = selectors.invoice_get(ctx, invoice_id=invoice.pk)
        assert (detail.status, detail.amount_paid, detail.balance_due) == (
            InvoiceStatus.PAID,
            D("100.00"),
            D("0.00"),
        )
        figures = balance(ctx, invoice.customer_id)
        assert (figures.balance_due, figures.unapplied_credit, figures.net_balance) == (
            D("0.00"),
            D("50.00"),
            D("-50.00"),
        )
        assert selectors.receivables_drift(ctx) == {}

    def test_an_overpaid_draft_is_sent_and_its_credit_names_its_number(self, ctx):
        draft = make_invoice(total="20.00", status="draft")
        payment = services.payment_record(
            ctx, invoice_id=draft.pk, amount=D("25.00"), overpayment="credit"
        )
        draft.refresh_from_db()
        assert (draft.status, payment.amount) == (InvoiceStatus.PAID, D("20.00"))
        credit = Credit.objects.of(ctx).get(payment=payment)
        assert credit.reason == f"Overpayment of 25.00 on invoice {draft.number}"
        assert selectors.receivables_drift(ctx) == {}

    def test_a_paid_invoice_still_refuses(self, ctx):
        invoice = make_invoice(total="10.00")
        services.payment_record(ctx, invoice_id=invoice.pk, amount=D("10.00"))
        refused(
            lambda: services.payment_record(
                ctx, invoice_id=invoice.pk, amount=D("5.00"), overpayment="credit"
            ),
            409,
            "invoice_already_paid",
        )

    def test_an_unknown_overpayment_rule_is_422(self, ctx):
        invoice = make_invoice()
        with pytest.raises(InvalidInput) as caught:
            services.payment_record(ctx, invoice_id=invoice.pk, amount=D("5"), overpayment="keep")
        assert caught.value.fields[0].field == "overpayment"

    def test_a_reversal_takes_the_unapplied_credit_back(self, ctx):
        invoice = make_invoice(total="100.00")
        payment = services.payment_record(
            ctx, invoice_id=invoice.pk, amount=D("130.00"), overpayment="credit"
        )
        services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced")
        credit = Credit.objects.of(ctx).get(payment=payment)
        # Kept on record with its amount; nothing of it remains.
        assert (credit.amount, credit.remaining) == (D("30.00"), D("0.00"))
        assert credit.void_reason == f"Payment #{payment.pk} reversed: Bounced"
        assert credit.voided_at is not None
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.SENT
        figures = balance(ctx, invoice.customer_id)
        assert (figures.balance_due, figures.unapplied_credit) == (D("100.00"), D("0.00"))
        assert ("credit", "void") in set(AuditEvent.objects.values_list("object_type", "action"))
        assert selectors.receivables_drift(ctx) == {}

    def test_a_reversal_is_refused_once_the_credit_is_applied(self, ctx):
        invoice = make_invoice(total="100.00")
        payment = services.payment_record(
            ctx, invoice_id=invoice.pk, amount=D("130.00"), overpayment="credit"
        )
        credit = Credit.objects.of(ctx).get(payment=payment)
        later = make_invoice(prop=invoice.property, total="50.00")
        credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=later.pk, amount=D("10.00"))
        error = refused(
            lambda: services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced"),
            409,
            "payment_credit_applied",
        )
        assert later.number in error.message
        payment.refresh_from_db()
        assert payment.reversed_at is None


class TestBalance:
    def test_counts_sent_invoices_and_open_credits(self, ctx):
        prop = PropertyFactory()
        make_invoice(prop=prop, total="100.00")
        make_invoice(prop=prop, total="40.00", status="draft")  # not owed yet
        make_invoice(prop=prop, total="70.00", status="void")
        paid = make_invoice(prop=prop, total="20.00")
        services.payment_record(ctx, invoice_id=paid.pk, amount=D("20.00"))
        manual(ctx, prop.customer_id, "15.00")
        figures = balance(ctx, prop.customer_id)
        assert (
            figures.open_invoices,
            figures.balance_due,
            figures.unapplied_credit,
            figures.net_balance,
        ) == (1, D("100.00"), D("15.00"), D("85.00"))

    def test_an_unknown_customer_is_404(self, ctx):
        refused(lambda: balance(ctx, 999_999), 404, "customer_not_found")

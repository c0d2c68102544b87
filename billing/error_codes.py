"""The reasons billing's rules give (`details.reason`)."""

from core.errors import ReasonCode


class BillingErrorCode(ReasonCode):
    INVOICE_NOT_FOUND = "invoice_not_found"
    BILLING_RUN_NOT_FOUND = "billingrun_not_found"
    PAYMENT_NOT_FOUND = "payment_not_found"
    PROPERTY_CUSTOMER_MISMATCH = "property_customer_mismatch"
    INVALID_DATE_RANGE = "invalid_date_range"
    INVOICE_NOT_DRAFT = "invoice_not_draft"
    INVOICE_HAS_PAYMENTS = "invoice_has_payments"
    # A payment on a void invoice (400, the v1 contract's name).
    INVOICE_VOID = "invoice_void"
    # Voiding an invoice that is already void (409).
    INVOICE_ALREADY_VOID = "invoice_already_void"
    INVOICE_ALREADY_PAID = "invoice_already_paid"
    DUPLICATE_PAYMENT_REFERENCE = "duplicate_payment_reference"
    PAYMENT_EXCEEDS_TOTAL = "payment_exceeds_total"
    PAYMENT_ALREADY_REVERSED = "payment_already_reversed"
    # Reversal of a payment whose overpayment credit is already applied, even in part (409).
    PAYMENT_CREDIT_APPLIED = "payment_credit_applied"
    # Void of an invoice that credits were applied to (409).
    INVOICE_HAS_CREDITS = "invoice_has_credits"
    CREDIT_NOT_FOUND = "credit_not_found"
    CREDIT_CUSTOMER_MISMATCH = "credit_customer_mismatch"
    CREDIT_EXCEEDS_BALANCE = "credit_exceeds_balance"
    CREDIT_EXCEEDS_REMAINING = "credit_exceeds_remaining"
    # A credit applied to (or a credit note made against) an invoice that is not sent (409).
    CREDIT_INVOICE_NOT_SENT = "credit_invoice_not_sent"

"""The reasons customers' rules give (`details.reason`)."""

from core.errors import ReasonCode


class CustomerErrorCode(ReasonCode):
    CUSTOMER_NOT_FOUND = "customer_not_found"
    PROPERTY_NOT_FOUND = "property_not_found"
    DUPLICATE_EMAIL = "duplicate_email"
    PROPERTY_HAS_INVOICES = "property_has_invoices"

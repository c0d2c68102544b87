"""The reasons the customer requests' rules give (`details.reason`)."""

from core.errors import ReasonCode


class SupportErrorCode(ReasonCode):
    CUSTOMERREQUEST_NOT_FOUND = "customerrequest_not_found"
    INVOICE_CUSTOMER_MISMATCH = "invoice_customer_mismatch"
    REQUEST_CLOSED = "request_closed"

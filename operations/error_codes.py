"""The reasons operations' rules give (`details.reason`)."""

from core.errors import ReasonCode


class OperationsErrorCode(ReasonCode):
    CUSTOMER_NO_EMAIL = "customer_no_email"
    DUPLICATE_PLAN_VISIT = "duplicate_plan_visit"
    NOT_YOUR_ROUTE = "not_your_route"
    PHOTO_NOT_FOUND = "photo_not_found"
    PHOTO_TOO_LARGE = "photo_too_large"
    PLAN_NOT_FOUND = "plan_not_found"
    SCHEDULING_CONTENDED = "scheduling_contended"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VISIT_CANCELLED = "visit_cancelled"
    VISIT_COMPLETED = "visit_completed"
    VISIT_NOT_FOUND = "visit_not_found"

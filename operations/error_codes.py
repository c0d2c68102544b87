"""The reasons operations' rules give (`details.reason`)."""

from core.errors import ReasonCode


class OperationsErrorCode(ReasonCode):
    DUPLICATE_PLAN_VISIT = "duplicate_plan_visit"
    NOT_YOUR_ROUTE = "not_your_route"
    PHOTO_NOT_FOUND = "photo_not_found"
    PLAN_NOT_FOUND = "plan_not_found"
    SCHEDULING_CONTENDED = "scheduling_contended"
    VISIT_COMPLETED = "visit_completed"
    VISIT_NOT_FOUND = "visit_not_found"

"""The reasons pools' rules give (`details.reason`)."""

from core.errors import ReasonCode


class PoolErrorCode(ReasonCode):
    POOL_NOT_FOUND = "pool_not_found"
    EQUIPMENT_NOT_FOUND = "equipment_not_found"
    DUPLICATE_POOL_NAME = "duplicate_pool_name"

"""The reasons tenancy's rules give (`details.reason`)."""

from core.errors import ReasonCode


class TenancyErrorCode(ReasonCode):
    COMPANY_NOT_FOUND = "company_not_found"
    NOT_A_MEMBER = "not_a_member"
    TENANT_MISMATCH = "tenant_mismatch"
    ALREADY_A_MEMBER = "already_a_member"
    LAST_OWNER = "last_owner"
    OWNER_ONLY = "owner_only"
    SLUG_TAKEN = "slug_taken"

"""Every write to companies and memberships."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction

from audit.services import record_change
from core.context import ActorKind, Ctx
from core.errors import ApplicationError, Conflict, FieldError, InvalidInput
from ektor.services import apply_fields, conflict_on_integrity, require_fields
from tenancy.error_codes import TenancyErrorCode
from tenancy.models import Company, Membership, Role
from tenancy.scoping import company_of

COMPANY_UPDATABLE_FIELDS = (
    "name",
    "legal_name",
    "address",
    "phone",
    "email",
    "tax_rate",
    "tax_services",
    "payment_terms_days",
    "currency",
    "time_zone",
    "reminder_days",
    "request_due_days",
)
# The payment reminders' steps (billing.reminders): days past due, each sent once per invoice.
REMINDER_STEPS_MAX = 10
REMINDER_DAYS_MAX = 365
REQUEST_KINDS = ("petition", "complaint", "claim", "service_request")
_SLUG_TAKEN = ("A company with this slug already exists", TenancyErrorCode.SLUG_TAKEN)
SLUG_RULES = {"tenancy_company_slug_ci_unique": _SLUG_TAKEN, "tenancy_company.slug": _SLUG_TAKEN}
_ALREADY = ("This person is already a member of the company", TenancyErrorCode.ALREADY_A_MEMBER)
MEMBER_RULES = {
    "tenancy_membership_user_company_unique": _ALREADY,
    "tenancy_membership.user_id, tenancy_membership.company_id": _ALREADY,
}


def _company_errors(data: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    if "name" in data and not str(data["name"]).strip():
        errors.append(FieldError("name", "A company needs a name", "missing"))
    rate = data.get("tax_rate")
    if rate is not None and not (Decimal(0) <= rate <= Decimal(100)):
        errors.append(FieldError("tax_rate", "tax_rate is a percent from 0.00 to 100.00"))
    if "time_zone" in data and data["time_zone"] not in available_timezones():
        errors.append(FieldError("time_zone", f"Unknown time zone {data['time_zone']!r}"))
    days = data.get("reminder_days")
    if days is not None and (
        not isinstance(days, list)
        or len(days) > REMINDER_STEPS_MAX
        or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d <= REMINDER_DAYS_MAX
            for d in days
        )
        or sorted(set(days)) != list(days)
    ):
        errors.append(
            FieldError(
                "reminder_days",
                f"Reminder days are at most {REMINDER_STEPS_MAX} increasing whole days "
                f"from 1 to {REMINDER_DAYS_MAX}",
            )
        )
    due = data.get("request_due_days")
    if due is not None and (
        set(due) != set(REQUEST_KINDS)
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in due.values())
    ):
        errors.append(
            FieldError(
                "request_due_days",
                f"Give positive business days for exactly {', '.join(REQUEST_KINDS)}",
            )
        )
    return errors


def _require_owner(ctx: Ctx, what: str) -> None:
    if ctx.role is None:  # the system and commands
        return
    owner = Membership.objects.of(ctx).filter(user=ctx.user, is_owner=True).exists()
    if not owner:
        raise ApplicationError(
            f"Only an owner of the company may {what}",
            reason=TenancyErrorCode.OWNER_ONLY,
            status=403,
        )


@transaction.atomic
def company_create(ctx: Ctx, *, slug: str, name: str, owner: Any) -> Company:
    """A new company with `owner` (an existing user) as its first owner."""
    slug = slug.strip().lower()
    errors = _company_errors({"name": name})
    if not slug:
        errors.append(FieldError("slug", "A company needs a slug", "missing"))
    if errors:
        raise InvalidInput(errors)
    if Company.objects.filter(slug__iexact=slug).exists():
        raise Conflict(_SLUG_TAKEN[0], reason=_SLUG_TAKEN[1])
    company = Company(slug=slug, name=name.strip())
    with conflict_on_integrity(SLUG_RULES):
        company.save(force_insert=True)
    owner_membership = Membership.objects.create(
        user=owner, company=company, role=Role.ADMIN, is_owner=True
    )
    # In the new company's trail, which its owners read; not in the one the creator acts for.
    in_company = ctx.for_company(company)
    record_change(in_company, "create", company)
    record_change(in_company, "create", owner_membership)
    return company


@transaction.atomic
def company_update(ctx: Ctx, *, data: Mapping[str, Any]) -> Company:
    """Change ctx's company's settings (owners only)."""
    require_fields(data)
    _require_owner(ctx, "edit its settings")
    errors = _company_errors(data)
    if errors:
        raise InvalidInput(errors)
    company = Company.objects.select_for_update().get(pk=company_of(ctx).pk)
    company.save(update_fields=apply_fields(company, data))
    record_change(ctx, "update", company)
    return company


def _lock_owners(ctx: Ctx) -> list[int]:
    """Serialize changes that could remove an owner (the company row is the one lock taken
    first) and return the ids of the active owners' users."""
    Company.objects.select_for_update().filter(pk=company_of(ctx).pk).first()
    return list(
        Membership.objects.of(ctx)
        .filter(is_owner=True, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def membership_check_change(
    ctx: Ctx,
    *,
    membership: Membership,
    role: str | None = None,
    is_owner: bool | None = None,
    is_active: bool | None = None,
) -> None:
    """The rules of a change to a member: a role that exists (422), `is_owner` changed by an
    owner only (403), the last active owner keeps being one (409 `last_owner`)."""
    if role is not None and role not in Role.values:
        raise InvalidInput(
            [FieldError("role", f"Role must be one of {', '.join(Role.values)}, not {role!r}")]
        )
    if is_owner is not None and is_owner != membership.is_owner:
        _require_owner(ctx, "change who owns it")
    if is_owner and (role or membership.role) != Role.ADMIN:
        raise InvalidInput([FieldError("is_owner", "An owner is an admin", "value_error")])
    loses = (role is not None and role != Role.ADMIN) or is_owner is False or is_active is False
    is_active_owner = membership.is_owner and membership.user.is_active
    if is_active_owner and loses and _lock_owners(ctx) == [membership.user_id]:
        raise Conflict(
            "The last active owner cannot be demoted, deactivated or lose ownership",
            reason=TenancyErrorCode.LAST_OWNER,
        )


@transaction.atomic
def membership_create(
    ctx: Ctx, *, user: Any, role: str = Role.STAFF, is_owner: bool = False
) -> Membership:
    """Add an existing person to ctx's company (409 `already_a_member`)."""
    if role not in Role.values:
        raise InvalidInput(
            [FieldError("role", f"Role must be one of {', '.join(Role.values)}, not {role!r}")]
        )
    if is_owner:
        _require_owner(ctx, "add an owner")
        if role != Role.ADMIN:
            raise InvalidInput([FieldError("is_owner", "An owner is an admin", "value_error")])
    if Membership.objects.of(ctx).filter(user=user).exists():
        raise Conflict(_ALREADY[0], reason=_ALREADY[1])
    with conflict_on_integrity(MEMBER_RULES):
        membership = Membership.objects.create(
            user=user,
            company=company_of(ctx),
            role=role,
            is_owner=is_owner or _owns_on_joining(ctx, user, role),
        )
    record_change(ctx, "create", membership)
    return membership


def _owns_on_joining(ctx: Ctx, user: Any, role: str) -> bool:
    """An active admin added by an operator (a command: `createsuperuser`, `create_user`) to a
    company without an active owner becomes its owner, so that someone may edit the company
    and name its owners. Through the API or the admin, only an owner makes an owner."""
    if ctx.kind != ActorKind.COMMAND or role != Role.ADMIN or not user.is_active:
        return False
    return not _lock_owners(ctx)


@transaction.atomic
def membership_update(
    ctx: Ctx, *, membership: Membership, role: str | None = None, is_owner: bool | None = None
) -> Membership:
    """Change a member's role or ownership in ctx's company."""
    membership_check_change(ctx, membership=membership, role=role, is_owner=is_owner)
    fields: dict[str, Any] = {}
    if role is not None:
        fields["role"] = role
        if role != Role.ADMIN and is_owner is None:
            fields["is_owner"] = False  # an owner is an admin: demoted, they own no more
    if is_owner is not None:
        fields["is_owner"] = is_owner
    if fields:
        membership.save(update_fields=apply_fields(membership, fields))
        record_change(ctx, "update", membership)
    return membership

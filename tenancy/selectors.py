"""Reads of companies and memberships."""

from typing import Any

from django.db.models import BooleanField, Case, F, QuerySet, When

from core.context import Ctx
from core.errors import ApplicationError, NotFound
from tenancy.error_codes import TenancyErrorCode
from tenancy.models import Company, Membership


def company_by_slug(ctx: Ctx, *, slug: str) -> Company:
    company = Company.objects.filter(slug__iexact=slug.strip()).first()
    if company is None:
        raise NotFound("Company", reason=TenancyErrorCode.COMPANY_NOT_FOUND)
    return company


def company_get(ctx: Ctx, *, company_id: int) -> Company:
    """The company a background task was queued for (its arguments name it by id)."""
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise NotFound("Company", reason=TenancyErrorCode.COMPANY_NOT_FOUND)
    return company


def memberships_of_user(ctx: Ctx, *, user: Any) -> QuerySet[Membership]:
    """Every company `user` belongs to (their own view across companies), oldest first: the
    first is their default membership."""
    return Membership.unscoped.filter(user=user).select_related("company").order_by("id")


def membership_for(ctx: Ctx, *, user: Any, slug: str | None = None) -> Membership:
    """The membership `user` acts in: of the company `slug` names, or their default one (the
    oldest). A company they do not belong to, or one that does not exist, is 403
    `not_a_member` (who asks learns nothing of other companies)."""
    memberships = memberships_of_user(ctx, user=user)
    if slug:
        memberships = memberships.filter(company__slug__iexact=slug.strip())
    membership = memberships.first()
    if membership is None:
        what = f"company {slug!r}" if slug else "any company"
        raise ApplicationError(
            f"You are not a member of {what}", reason=TenancyErrorCode.NOT_A_MEMBER, status=403
        )
    return membership


def member_list(ctx: Ctx) -> QuerySet[Membership]:
    """The members of ctx's company, with their users."""
    return Membership.objects.of(ctx).select_related("user").order_by("-user_id")


def first_company(ctx: Ctx) -> Company | None:
    return Company.objects.order_by("id").first()


def my_companies(ctx: Ctx) -> QuerySet[Membership]:
    """The caller's memberships, `is_current` marking ctx's company."""
    current = ctx.company.pk if ctx.company is not None else None
    return memberships_of_user(ctx, user=ctx.user).annotate(
        slug=F("company__slug"),
        name=F("company__name"),
        is_current=Case(
            When(company_id=current, then=True), default=False, output_field=BooleanField()
        ),
    )

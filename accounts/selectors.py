"""Reads of users and sign-in sessions, scoped to what the caller may see."""

from uuid import UUID

from django.db.models import F, QuerySet

from accounts.models import AuthSession, User
from core.context import Ctx
from tenancy.scoping import company_of


def user_list(ctx: Ctx) -> QuerySet[User]:
    """The members of ctx's company, with `company_role` and `is_owner` from their
    membership (one join: the annotations reuse the filter's); nobody without a company."""
    if ctx.company is None:
        return User.objects.none()
    members: QuerySet[User] = (
        User.objects.filter(memberships__company=company_of(ctx))
        .annotate(company_role=F("memberships__role"), is_owner=F("memberships__is_owner"))
        .order_by("-id")
    )
    return members


def session_list_open(ctx: Ctx, *, user: User) -> QuerySet[AuthSession]:
    """The user's own sessions whose tokens still work, newest first."""
    return AuthSession.objects.open().filter(user=user).order_by("-created_at")


def session_get_open(ctx: Ctx, *, user: User, session_id: UUID) -> AuthSession | None:
    """One of the user's open sessions; another user's session is as good as missing."""
    return session_list_open(ctx, user=user).filter(pk=session_id).first()


def session_list_admin(ctx: Ctx) -> QuerySet[AuthSession]:
    return AuthSession.objects.select_related("user").order_by("-created_at")

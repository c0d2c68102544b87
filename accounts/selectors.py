"""Reads of users and sign-in sessions, scoped to what the caller may see."""

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import AuthSession, User
from core.context import Ctx


def user_list(ctx: Ctx) -> QuerySet[User]:
    return User.objects.order_by("-id")


def session_list_open(ctx: Ctx, *, user: User) -> QuerySet[AuthSession]:
    """The user's own sessions whose tokens still work, newest first."""
    return AuthSession.objects.open().filter(user=user).order_by("-created_at")


def session_get_open(ctx: Ctx, *, user: User, session_id: UUID) -> AuthSession | None:
    """One of the user's open sessions; another user's session is as good as missing."""
    return session_list_open(ctx, user=user).filter(pk=session_id).first()


def session_list_admin(ctx: Ctx) -> QuerySet[AuthSession]:
    return AuthSession.objects.select_related("user").order_by("-created_at")

"""Every write to users goes through here: the API, the admin and the commands alike."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthSession, User
from accounts.roles import group_name
from accounts.tokens import new_refresh_jti, token_pair


def user_sync_role_group(*, user: User) -> None:
    """The role decides the group (and so the permissions); both roles may use the admin."""
    group, _ = Group.objects.get_or_create(name=group_name(user.role))
    user.groups.set([group])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def session_start(*, user: User, user_agent: str = "", ip_address: str | None = None) -> dict:
    """Open a sign-in session and return its token pair."""
    now = timezone.now()
    session = AuthSession.objects.create(
        user=user,
        user_agent=user_agent[:255],
        ip_address=ip_address,
        last_used_at=now,
        expires_at=now + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
        refresh_jti=new_refresh_jti(),
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    return token_pair(session)

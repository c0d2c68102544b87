"""Bearer JWT authentication checked against the live sign-in session, in one query."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.backends import ROLE_GROUP_ONLY, role_group_only
from accounts.models import AuthSession
from accounts.tokens import token_session_id

# last_used_at is a hint for the sessions list, not an audit log: write it at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)


class SessionJWTAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        try:
            parts = get_authorization_header(request).split()
        except UnicodeEncodeError:  # not a latin-1 header, so no token of ours
            raise AuthenticationFailed(
                "Invalid Authorization header", code="invalid_token"
            ) from None
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid Authorization header", code="invalid_token")
        try:
            token = AccessToken(parts[1].decode("ascii"))
        except (TokenError, UnicodeDecodeError):
            raise AuthenticationFailed("Invalid or expired token", code="invalid_token") from None
        now = timezone.now()
        session_id = token_session_id(token)
        session = (
            AuthSession.objects.open(now)
            .select_related("user")
            .annotate(**{ROLE_GROUP_ONLY: role_group_only("user_id", "user__role")})
            .filter(pk=session_id)
            .first()
            if session_id
            else None
        )
        if session is None or str(session.user_id) != str(token.get("sub")):
            raise AuthenticationFailed("Session has ended; sign in again", code="session_ended")
        if not session.user.is_active:
            raise PermissionDenied("User account is inactive", code="user_inactive")
        # Tells accounts.backends that the role's cached permissions are the user's.
        setattr(session.user, ROLE_GROUP_ONLY, getattr(session, ROLE_GROUP_ONLY))
        if now - session.last_used_at > TOUCH_INTERVAL:
            AuthSession.objects.filter(pk=session.pk).update(last_used_at=now)
            session.last_used_at = now
        request.auth_session = session
        return session.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

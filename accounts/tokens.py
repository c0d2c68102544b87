"""JWTs that name their sign-in session (claim `sid`)."""

from uuid import UUID, uuid4

from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import AuthSession

SESSION_CLAIM = "sid"
# The slug of the company the tokens act for (the session's; the claim is informative, the
# session row decides).
COMPANY_CLAIM = "company"


def token_session_id(token) -> UUID | None:
    """The session a token names, or None when the claim is missing or not a UUID."""
    try:
        return UUID(str(token.get(SESSION_CLAIM)))
    except ValueError:
        return None


def new_refresh_jti() -> str:
    return uuid4().hex


def token_pair(session: AuthSession) -> dict:
    """The token response body for a session whose refresh_jti is already set."""
    access = AccessToken()
    access["sub"] = str(session.user_id)
    access[SESSION_CLAIM] = str(session.pk)
    refresh = RefreshToken()
    refresh["sub"] = str(session.user_id)
    refresh[SESSION_CLAIM] = str(session.pk)
    refresh["jti"] = session.refresh_jti
    if session.company_id is not None:
        access[COMPANY_CLAIM] = refresh[COMPANY_CLAIM] = session.company.slug
    return {
        "access_token": str(access),
        "token_type": "bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
        "refresh_token": str(refresh),
    }

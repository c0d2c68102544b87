"""Admin browser sessions as sign-in sessions (AuthSession, kind "admin").

Signing in to the admin records an AuthSession naming the browser's Django session (and the
Django session names it back), and gives the Django session the same end. Ending the
AuthSession deletes the Django session (accounts.services), so `auth/logout-all`,
`DELETE auth/sessions/{id}`, a password change and the admin's "End selected sessions" sign a
browser out of the admin at once, as they stop an API session's tokens: no admin request
pays a query for it, and Django's session table (whose rows do not say whose they are) is
never scanned.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out

from accounts import services
from accounts.models import AuthSession, SessionKind
from accounts.throttling import client_ip
from core.context import Ctx

SESSION_KEY = "_ektor_auth_session_id"


def current_admin_session(request) -> AuthSession | None:
    """The open admin sign-in session of this browser, if any."""
    session_id = request.session.get(SESSION_KEY)
    if not session_id or not request.user.is_authenticated:
        return None
    return (
        AuthSession.objects.open()
        .filter(pk=session_id, user_id=request.user.pk, kind=SessionKind.ADMIN)
        .first()
    )


def _signed_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:  # login() has cycled it, so it normally exists
        request.session.save()
    # The user signing in acts (so do they signing out, below).
    session = services.admin_session_start(
        Ctx.for_user(user, request_id=getattr(request, "request_id", "")),
        user=user,
        browser_session_key=request.session.session_key,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip_address=client_ip(request),
    )
    request.session[SESSION_KEY] = str(session.pk)
    # An absolute end: saving the Django session later does not stretch it past this one's.
    request.session.set_expiry(session.expires_at)


def _signed_out(sender, request, user, **kwargs) -> None:
    session_id = request.session.get(SESSION_KEY) if request is not None else None
    if session_id and user is not None:
        services.sessions_end(
            Ctx.for_user(user, request_id=getattr(request, "request_id", "")),
            sessions=AuthSession.objects.filter(pk=session_id, user_id=user.pk),
            reason="logout",
        )


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="accounts_admin_session_start")
    user_logged_out.connect(_signed_out, dispatch_uid="accounts_admin_session_end")

"""Bearer JWT authentication checked against the live sign-in session, in one query."""

from datetime import timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.models import AuthSession
from accounts.tokens import token_session_id
from tenancy.error_codes import TenancyErrorCode
from tenancy.membership import act_as
from tenancy.models import Company, Membership

TENANT_HEADER = "X-Tenant-ID"

# last_used_at is a hint for the sessions list, not an audit log: write it at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)


@cache
def _session_query(alias: str) -> tuple[str, list]:
    """The SQL of open_session_get and the converters of its columns, built once per database.

    Every request runs this query: building it with the ORM each time cost more CPU than the
    rest of a small request, so it is written once from the models' own metadata.
    """
    connection = connections[alias]
    q = connection.ops.quote_name
    user_model = get_user_model()
    models = (AuthSession, user_model, Company, Membership)
    fields = [model._meta.concrete_fields for model in models]
    s, u, c, m = (q(model._meta.db_table) for model in models)
    columns = [
        f"{q(model._meta.db_table)}.{q(f.column)}"
        for model, model_fields in zip(models, fields, strict=True)
        for f in model_fields
    ]
    # Only quoted names from the models' metadata are interpolated; values are parameters.
    # The membership of the session's user in the session's company: NULLs when it is gone.
    sql = (
        f"SELECT {', '.join(columns)} FROM {s} "  # noqa: S608
        f"JOIN {u} ON {s}.{q('user_id')} = {u}.{q('id')} "
        f"LEFT JOIN {c} ON {s}.{q('company_id')} = {c}.{q('id')} "
        f"LEFT JOIN {m} ON {m}.{q('user_id')} = {s}.{q('user_id')} "
        f"AND {m}.{q('company_id')} = {s}.{q('company_id')} "
        f"WHERE {s}.{q('id')} = %s "
        f"AND {s}.{q('ended_at')} IS NULL AND {s}.{q('expires_at')} > %s"
    )
    converters = []
    for field in [f for model_fields in fields for f in model_fields]:
        # What the ORM's compiler applies to a column: the backend's converters, the field's.
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append([(converter, col) for converter in found])
    return sql, converters


def open_session_get(session_id, now) -> AuthSession | None:
    """The open session `session_id` with its user, its company (`session.company`, None for
    a session without one) and the user's membership there (`session.membership`, None when
    they are no longer a member), in one query by primary key."""
    alias = router.db_for_read(AuthSession)
    connection = connections[alias]
    sql, converters = _session_query(alias)
    params = [
        AuthSession._meta.pk.get_db_prep_value(session_id, connection),
        AuthSession._meta.get_field("expires_at").get_db_prep_value(now, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, field_converters in enumerate(converters):
        if values[index] is None:
            continue
        for converter, col in field_converters:
            values[index] = converter(values[index], col, connection)
    rows = {}
    offset = 0
    for model in (AuthSession, get_user_model(), Company, Membership):
        attnames = [f.attname for f in model._meta.concrete_fields]
        part = values[offset : offset + len(attnames)]
        offset += len(attnames)
        rows[model] = model.from_db(alias, attnames, part) if part[0] is not None else None
    session = rows[AuthSession]
    session.user = rows[get_user_model()]
    session.company = rows[Company]
    session.membership = rows[Membership]
    return session


# Access tokens this process has verified (signature, type, id, expiry), by their text: a
# token's signature and claims never change, so a client's next request with the same token
# only has its expiry checked again (the one check that depends on the time). PyJWT's
# verification cost more than the session query. The session is still read on every request,
# so signing out or leaving the company takes effect at once. Bounded: emptied when full.
VERIFIED_TOKENS_MAX = 4096
_verified: dict[str, AccessToken] = {}


def verified_access_token(raw: str) -> AccessToken:
    """`AccessToken(raw)` (TokenError when invalid or expired), verified once per process."""
    token = _verified.get(raw)
    if token is None:
        token = AccessToken(raw)
        if len(_verified) >= VERIFIED_TOKENS_MAX:
            _verified.clear()
        _verified[raw] = token
    else:
        token.check_exp(current_time=aware_utcnow())
    return token


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
            token = verified_access_token(parts[1].decode("ascii"))
        except (TokenError, UnicodeDecodeError):
            raise AuthenticationFailed("Invalid or expired token", code="invalid_token") from None
        now = timezone.now()
        session_id = token_session_id(token)
        session = open_session_get(session_id, now) if session_id else None
        if session is None or str(session.user_id) != str(token.get("sub")):
            raise AuthenticationFailed("Session has ended; sign in again", code="session_ended")
        if not session.user.is_active:
            raise PermissionDenied("User account is inactive", code="user_inactive")
        membership = session.membership
        if membership is None:
            raise PermissionDenied(
                "You are no longer a member of this company; sign in again",
                code=TenancyErrorCode.NOT_A_MEMBER,
            )
        asked = request.headers.get(TENANT_HEADER)
        if asked is not None and asked.strip().lower() != session.company.slug.lower():
            raise PermissionDenied(
                f"{TENANT_HEADER} {asked!r} is not the company of this token "
                f"({session.company.slug!r}): sign in to that company or switch to it",
                code=TenancyErrorCode.TENANT_MISMATCH,
            )
        membership.company = session.company
        act_as(session.user, role=membership.role, is_owner=membership.is_owner)
        if now - session.last_used_at > TOUCH_INTERVAL:
            AuthSession.objects.filter(pk=session.pk).update(last_used_at=now)
            session.last_used_at = now
        request.auth_session = session
        request.company = session.company
        # The request's log line (ektor.middleware) reads it from Django's request.
        request._request.company = session.company
        return session.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

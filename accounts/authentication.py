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

from accounts.backends import ROLE_GROUP_ONLY
from accounts.models import AuthSession
from accounts.tokens import token_session_id

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
    groups = user_model.groups.through._meta
    group_table = groups.get_field("group").related_model._meta.db_table
    direct = user_model.user_permissions.through._meta.db_table
    session_fields = AuthSession._meta.concrete_fields
    user_fields = user_model._meta.concrete_fields
    s, u = q(AuthSession._meta.db_table), q(user_model._meta.db_table)
    columns = [f"{s}.{q(f.column)}" for f in session_fields]
    columns += [f"{u}.{q(f.column)}" for f in user_fields]
    user_id, role = f"{s}.{q('user_id')}", f"{u}.{q('role')}"
    # Only quoted names from the models' metadata are interpolated; values are parameters.
    member = (
        f"SELECT 1 FROM {q(groups.db_table)} ug JOIN {q(group_table)} g "  # noqa: S608
        f"ON ug.{q('group_id')} = g.{q('id')} WHERE ug.{q('user_id')} = {user_id} "
        f"AND g.{q('name')}"
    )
    # accounts.backends: in the role's group only (group_name(role) is the role), and no
    # direct permission.
    role_group_only = (
        f"(EXISTS({member} = {role}) AND NOT EXISTS({member} <> {role}) "  # noqa: S608
        "AND NOT EXISTS("
        f"SELECT 1 FROM {q(direct)} up WHERE up.{q('user_id')} = {user_id}))"
    )
    sql = (
        f"SELECT {', '.join(columns)}, {role_group_only} FROM {s} "  # noqa: S608
        f"JOIN {u} ON {user_id} = {u}.{q('id')} WHERE {s}.{q('id')} = %s "
        f"AND {s}.{q('ended_at')} IS NULL AND {s}.{q('expires_at')} > %s"
    )
    converters = []
    for field in [*session_fields, *user_fields]:
        # What the ORM's compiler applies to a column: the backend's converters, the field's.
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append([(converter, col) for converter in found])
    return sql, converters


def open_session_get(session_id, now) -> AuthSession | None:
    """The open session `session_id` with its user, and whether the user's permissions are
    their role group's (ROLE_GROUP_ONLY on the user), in one query by primary key."""
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
    values = list(row[:-1])
    for index, field_converters in enumerate(converters):
        for converter, col in field_converters:
            values[index] = converter(values[index], col, connection)
    user_model = get_user_model()
    session_attnames = [f.attname for f in AuthSession._meta.concrete_fields]
    user_attnames = [f.attname for f in user_model._meta.concrete_fields]
    split = len(session_attnames)
    session = AuthSession.from_db(alias, session_attnames, values[:split])
    session.user = user_model.from_db(alias, user_attnames, values[split:])
    setattr(session.user, ROLE_GROUP_ONLY, bool(row[-1]))
    return session


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
        session = open_session_get(session_id, now) if session_id else None
        if session is None or str(session.user_id) != str(token.get("sub")):
            raise AuthenticationFailed("Session has ended; sign in again", code="session_ended")
        if not session.user.is_active:
            raise PermissionDenied("User account is inactive", code="user_inactive")
        if now - session.last_used_at > TOUCH_INTERVAL:
            AuthSession.objects.filter(pk=session.pk).update(last_used_at=now)
            session.last_used_at = now
        request.auth_session = session
        return session.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

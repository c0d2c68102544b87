"""Bearer JWT authentication checked against the live sign-in session, in one query."""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Model
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


# What a request reads of its session; the session's other columns load if something reads
# them (none of the API does: the views use its id).
SESSION_FIELDS = ("id", "user_id", "company_id", "last_used_at")
MEMBERSHIP_FIELDS = ("role", "is_owner")


@dataclass(frozen=True)
class _SessionQuery:
    sql: str
    # The columns the ORM's compiler would convert, with their converters.
    converters: tuple[tuple[int, tuple[tuple[Any, Any], ...]], ...]
    # The session's, the user's and the company's share of the row: (model, attnames, slice).
    rows: tuple[tuple[type[Model], tuple[str, ...], slice], ...]
    # The membership's role and is_owner.
    membership: slice


@cache
def _session_query(alias: str) -> _SessionQuery:
    """The SQL of open_session_get and the converters of its columns, built once per database.

    Every request runs this query: building it with the ORM each time cost more CPU than the
    rest of a small request, so it is written once from the models' own metadata. The user and
    the company are whole rows (the request's user and company); of the session, what the
    request reads; of the membership, the role.
    """
    connection = connections[alias]
    q = connection.ops.quote_name
    user_model = get_user_model()
    s, u, c, m = (
        q(model._meta.db_table) for model in (AuthSession, user_model, Company, Membership)
    )
    fields = [
        # In the model's order, as from_db takes a part of its fields.
        (
            AuthSession,
            [f for f in AuthSession._meta.concrete_fields if f.attname in SESSION_FIELDS],
        ),
        (user_model, list(user_model._meta.concrete_fields)),
        (Company, list(Company._meta.concrete_fields)),
        (Membership, [Membership._meta.get_field(name) for name in MEMBERSHIP_FIELDS]),
    ]
    columns = [
        f"{q(model._meta.db_table)}.{q(f.column)}"
        for model, model_fields in fields
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
    parts = []
    index = 0
    for model, model_fields in fields:
        start = index
        for field in model_fields:
            # What the ORM's compiler applies to a column: the backend's converters, the field's.
            col = field.get_col(field.model._meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((index, tuple((converter, col) for converter in found)))
            index += 1
        attnames = tuple(f.attname for f in model_fields)
        parts.append((model, attnames, slice(start, index)))
    return _SessionQuery(
        sql=sql, converters=tuple(converters), rows=tuple(parts[:3]), membership=parts[3][2]
    )


@dataclass(frozen=True)
class OpenSession:
    """An open session as a request reads it (`open_session_get`)."""

    # Its SESSION_FIELDS, with `user` and `company` set.
    session: AuthSession
    user: Any
    company: Company | None
    # The user's role in the session's company; None when they are no longer a member.
    role: str | None
    is_owner: bool


def open_session_get(session_id, now) -> OpenSession | None:
    """The open session `session_id` with its user, its company (None for a session without
    one) and the user's role there, in one query by primary key."""
    alias = router.db_for_read(AuthSession)
    connection = connections[alias]
    query = _session_query(alias)
    params = [
        AuthSession._meta.pk.get_db_prep_value(session_id, connection),
        AuthSession._meta.get_field("expires_at").get_db_prep_value(now, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, converters in query.converters:
        if values[index] is not None:
            for converter, col in converters:
                values[index] = converter(values[index], col, connection)
    session, user, company = (
        model.from_db(alias, names, values[at]) if values[at.start] is not None else None
        for model, names, at in query.rows
    )
    session.user = user
    session.company = company
    role, is_owner = values[query.membership]
    return OpenSession(
        session=session, user=user, company=company, role=role, is_owner=bool(is_owner)
    )


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
        found = open_session_get(session_id, now) if session_id else None
        if found is None or str(found.session.user_id) != str(token.get("sub")):
            raise AuthenticationFailed("Session has ended; sign in again", code="session_ended")
        user, company, session = found.user, found.company, found.session
        if not user.is_active:
            raise PermissionDenied("User account is inactive", code="user_inactive")
        if found.role is None:
            raise PermissionDenied(
                "You are no longer a member of this company; sign in again",
                code=TenancyErrorCode.NOT_A_MEMBER,
            )
        asked = request.headers.get(TENANT_HEADER)
        if asked is not None and asked.strip().lower() != company.slug.lower():
            raise PermissionDenied(
                f"{TENANT_HEADER} {asked!r} is not the company of this token "
                f"({company.slug!r}): sign in to that company or switch to it",
                code=TenancyErrorCode.TENANT_MISMATCH,
            )
        act_as(user, role=found.role, is_owner=found.is_owner)
        if now - session.last_used_at > TOUCH_INTERVAL:
            AuthSession.objects.filter(pk=session.pk).update(last_used_at=now)
            session.last_used_at = now
        request.auth_session = session
        request.company = company
        # The request's log line (ektor.middleware) reads it from Django's request.
        request._request.company = company
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

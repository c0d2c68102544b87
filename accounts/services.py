"""Every write to users goes through here: the API, the admin and the commands alike."""

from collections.abc import Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.error_codes import AccountErrorCode
from accounts.models import AuthSession, Role, SessionKind, User
from accounts.roles import group_name
from accounts.tokens import new_refresh_jti, token_pair, token_session_id
from audit.services import record, record_change, record_many, recording_delete
from core.context import ActorKind, Ctx
from core.errors import ApplicationError, Conflict, FieldError, InvalidInput, NotFound
from ektor.services import apply_fields, conflict_on_integrity, delete_protected, require_fields
from tenancy.membership import act_as
from tenancy.models import Membership
from tenancy.selectors import first_company, membership_for
from tenancy.services import membership_check_change, membership_create, membership_update

# Fields user_update may change (the API exposes role, is_owner, is_active and email; the
# admin all); role and is_owner are the membership's in the current company.
MEMBERSHIP_FIELDS = ("role", "is_owner")
USER_UPDATABLE_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    *MEMBERSHIP_FIELDS,
)

# The database names the violated unique index: the constraint name (MySQL/MariaDB), the
# column (SQLite, and MariaDB's `key 'email'` for the plain unique column).
_USERNAME_TAKEN = ("Username is already taken", AccountErrorCode.USERNAME_TAKEN)
_EMAIL_TAKEN = ("Email is already registered", AccountErrorCode.EMAIL_TAKEN)
USER_UNIQUE_RULES = {
    "accounts_user_username_ci_unique": _USERNAME_TAKEN,
    "accounts_user.username": _USERNAME_TAKEN,
    "key 'username'": _USERNAME_TAKEN,
    "accounts_user_email_ci_unique": _EMAIL_TAKEN,
    "accounts_user.email": _EMAIL_TAKEN,
    "key 'email'": _EMAIL_TAKEN,
}

BAD_CREDENTIALS = "Incorrect username or password"
USERNAME_MIN_LENGTH, USERNAME_MAX_LENGTH = 3, 50
EMAIL_MAX_LENGTH = 254
# The one email rule: the API's serializers check with it too, so both say the same.
email_validator = EmailValidator(message="Input should be a valid email address")


def _refresh_lifetime() -> timedelta:
    return cast(timedelta, settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"])


def _unauthorized(message: str, reason: AccountErrorCode) -> ApplicationError:
    return ApplicationError(message, reason=reason, status=401)


def user_sync_role_group(ctx: Ctx, *, user: User) -> None:
    """The role decides the group (and so the permissions); both roles may use the admin.

    Nobody is a superuser: a superuser flag would outlive a demotion to staff.
    """
    group, _ = Group.objects.get_or_create(name=group_name(user.role))
    user.groups.set([group])
    if not user.is_staff or user.is_superuser:
        user.is_staff, user.is_superuser = True, False
        user.save(update_fields=["is_staff", "is_superuser"])


def _password_errors(password: str, user: User, field: str) -> None:
    """Django's password validators, as a 422 listing each validator's message."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            [
                FieldError(field, message, error.code or "password_invalid")
                for error in exc.error_list
                for message in error.messages
            ]
        ) from None


def _user_input_errors(
    *, username: str | None = None, email: str | None = None, role: str | None = None
) -> None:
    """The rules for a user's username, email and role (those given), whoever asks: the API,
    the admin or a command. Every broken rule is listed, as a 422."""
    errors: list[FieldError] = []

    def error(field: str, msg: str, type_: str) -> None:
        errors.append(FieldError(field, msg, type_))

    if username is not None:
        if not USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH:
            error(
                "username",
                f"Username must have {USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters",
                "username_length",
            )
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            error("username", exc.messages[0], "invalid")
    if email is not None:
        if len(email) > EMAIL_MAX_LENGTH:
            error("email", f"Email must have at most {EMAIL_MAX_LENGTH} characters", "max_length")
        else:
            try:
                email_validator(email)
            except ValidationError as exc:
                error("email", exc.messages[0], "invalid")
    if role is not None and role not in Role.values:
        choices = ", ".join(Role.values)
        error("role", f"Role must be one of {choices}, not {role!r}", "invalid_choice")
    if errors:
        raise InvalidInput(errors)


def _ensure_unique(*, username: str | None, email: str | None, exclude_pk: int | None) -> None:
    """Case-insensitive duplicates are a 409 with a reason (the constraints back this up)."""
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if username is not None and others.filter(username__iexact=username).exists():
        raise Conflict("Username is already taken", reason=AccountErrorCode.USERNAME_TAKEN)
    if email is not None and others.filter(email__iexact=email).exists():
        raise Conflict("Email is already registered", reason=AccountErrorCode.EMAIL_TAKEN)


@transaction.atomic
def user_create(
    ctx: Ctx,
    *,
    username: str,
    email: str,
    password: str,
    role: str = Role.STAFF,
    is_active: bool = True,
    is_owner: bool = False,
) -> User:
    """A new user, a member of ctx's company with `role` (and its owner with `is_owner`)."""
    email = User.objects.normalize_email(email)
    _user_input_errors(username=username, email=email, role=role)
    _password_errors(password, User(username=username, email=email), "password")
    _ensure_unique(username=username, email=email, exclude_pk=None)
    # Two simultaneous registrations both pass the check above; the constraint decides.
    with conflict_on_integrity(USER_UNIQUE_RULES):
        user: User = User.objects.create_user(
            username=username, email=email, password=password, role=role, is_active=is_active
        )
    # A member of ctx's company; registration (no company yet) joins the first company. Before
    # the user's event: the membership may lock the company's row, which the event's foreign
    # key would have share-locked first (InnoDB deadlocks on such an upgrade).
    company = ctx.company or first_company(ctx)
    if company is not None:
        is_owner = membership_create(
            ctx.for_company(company, ctx.role), user=user, role=role, is_owner=is_owner
        ).is_owner
    record_change(ctx, "create", user)
    act_as(user, role=role, is_owner=is_owner)
    return user


def _membership(ctx: Ctx, user: User) -> Membership | None:
    """`user`'s membership of ctx's company (None without a company: a command over users)."""
    if ctx.company is None:
        return None
    return Membership.objects.of(ctx).select_related("user").filter(user=user).first()


@transaction.atomic
def user_check_update(ctx: Ctx, *, user: User, data: Mapping[str, Any]) -> None:
    """The rules a change to `user` must pass; `user` holds the stored (not the new) values.
    `role` and `is_owner` are their membership's in ctx's company (tenancy's rules: an owner
    changes ownership, the last active owner stays one, 409 `last_owner`).

    The admin's form calls this to show the message beside the form; user_update calls it
    again under row locks.
    """
    _user_input_errors(
        username=data.get("username"), email=data.get("email"), role=data.get("role")
    )
    _ensure_unique(username=data.get("username"), email=data.get("email"), exclude_pk=user.pk)
    membership = _membership(ctx, user)
    if membership is not None:
        membership.user = user
        membership_check_change(
            ctx,
            membership=membership,
            role=data.get("role"),
            is_owner=data.get("is_owner"),
            is_active=data.get("is_active"),
        )


@transaction.atomic
def user_update(ctx: Ctx, *, user: User, data: Mapping[str, Any]) -> User:
    """Change the fields in `data` (a subset of USER_UPDATABLE_FIELDS): `role` and
    `is_owner` on the user's membership of ctx's company, the others on the user."""
    require_fields(data)
    unknown = set(data) - set(USER_UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    data = dict(data)
    if "email" in data:
        data["email"] = User.objects.normalize_email(data["email"])
    stored: User = User.objects.select_for_update().get(pk=user.pk)
    user_check_update(ctx, user=stored, data=data)
    member_data = {name: data.pop(name) for name in MEMBERSHIP_FIELDS if name in data}
    if data:
        with conflict_on_integrity(USER_UNIQUE_RULES):
            stored.save(update_fields=apply_fields(stored, data))
    # Before act_as: the role it sets in memory is the membership's (its own event), not a
    # change of the user's row.
    record_change(ctx, "update", stored)
    membership = _membership(ctx, stored)
    if membership is not None:
        if member_data:
            membership = membership_update(ctx, membership=membership, **member_data)
        act_as(stored, role=membership.role, is_owner=membership.is_owner)
    return stored


@transaction.atomic
def member_add(ctx: Ctx, *, login: str, role: str, is_owner: bool = False) -> User:
    """Add the existing user `login` (username or email) to ctx's company (404 when there is
    no such user; 409 `already_a_member`)."""
    user: User | None = User.objects.filter(
        Q(username__iexact=login) | Q(email__iexact=login)
    ).first()
    if user is None:
        raise NotFound("User", reason=AccountErrorCode.USER_NOT_FOUND)
    membership = membership_create(ctx, user=user, role=role, is_owner=is_owner)
    act_as(user, role=role, is_owner=membership.is_owner)
    return user


@transaction.atomic
def user_delete(ctx: Ctx, *, user: User) -> None:
    """Delete a user (the admin offers it; deactivating is the usual way out). The last active
    owner of any of their companies stays (409 `last_owner`), as with a demotion; a user who
    reversed payments is still named by them (409 protected_by_references). Their audit events
    stay, naming them in `actor`; each of their companies' trails records their membership's
    deletion."""
    memberships = list(Membership.unscoped.filter(user=user).select_related("company", "user"))
    with ExitStack() as deletions:
        for membership in memberships:
            in_company = ctx.for_company(membership.company, ctx.role)
            membership_check_change(in_company, membership=membership, is_active=False)
            deletions.enter_context(recording_delete(in_company, membership))
        with recording_delete(ctx, user):
            delete_protected(user)


def user_authenticate(ctx: Ctx, *, login: str, password: str) -> User:
    """The user named by username or email (case-insensitive) whose password matches.

    Unknown user and wrong password get the same answer; an inactive account is told so only
    to someone who knows its password.
    """
    candidates: list[User] = sorted(
        User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))[:2],
        # A username that looks like another user's email: the username wins.
        key=lambda u: u.username.lower() != login.lower(),
    )
    user = candidates[0] if candidates else None
    if user is None:
        # Hash anyway so an unknown username takes as long as a wrong password.
        User().set_password(password)
        raise _unauthorized(BAD_CREDENTIALS, AccountErrorCode.INVALID_CREDENTIALS)
    if not user.check_password(password):
        raise _unauthorized(BAD_CREDENTIALS, AccountErrorCode.INVALID_CREDENTIALS)
    if not user.is_active:
        raise ApplicationError(
            "User account is inactive", reason=AccountErrorCode.USER_INACTIVE, status=403
        )
    return user


@transaction.atomic
def session_start(
    ctx: Ctx,
    *,
    user: User,
    user_agent: str = "",
    ip_address: str | None = None,
    company: str | None = None,
) -> dict[str, Any]:
    """Open a sign-in session acting for the company `company` (a slug) names, or for the
    user's default membership, and return its token pair (403 `not_a_member`)."""
    membership = membership_for(ctx, user=user, slug=company)
    now = timezone.now()
    session = AuthSession.objects.create(
        user=user,
        company=membership.company,
        user_agent=user_agent[:255],
        ip_address=ip_address,
        last_used_at=now,
        expires_at=now + _refresh_lifetime(),
        refresh_jti=new_refresh_jti(),
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    _record_sign_in(ctx, session)
    return token_pair(session)


def _record_sign_in(ctx: Ctx, session: AuthSession) -> None:
    # Whoever signs in acts, though the request came in anonymous.
    if ctx.kind == ActorKind.ANONYMOUS:
        ctx = Ctx.for_user(session.user, request_id=ctx.request_id)
    changes = {"session": [None, str(session.pk)], "kind": [None, session.kind]}
    record(ctx, "sign_in", session.user, changes)


@transaction.atomic
def admin_session_start(
    ctx: Ctx,
    *,
    user: User,
    browser_session_key: str,
    user_agent: str = "",
    ip_address: str | None = None,
) -> AuthSession:
    """Record a sign-in to the admin, made in the Django session `browser_session_key`.

    It lasts SESSION_COOKIE_AGE from the sign-in (the caller gives the browser's session the
    same end). No token is ever issued for it: its refresh_jti is random and never handed out.
    """
    now = timezone.now()
    session = AuthSession.objects.create(
        user=user,
        kind=SessionKind.ADMIN,
        browser_session_key=browser_session_key,
        user_agent=user_agent[:255],
        ip_address=ip_address,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.SESSION_COOKIE_AGE),
        refresh_jti=new_refresh_jti(),
    )
    _record_sign_in(ctx, session)
    return session


@transaction.atomic
def admin_session_rekey(ctx: Ctx, *, session: AuthSession, browser_session_key: str) -> None:
    """Django gave the browser's session a new key (it does after a password change)."""
    AuthSession.objects.filter(pk=session.pk).update(browser_session_key=browser_session_key)


def session_refresh(
    ctx: Ctx, *, refresh_token: str, ip_address: str | None = None
) -> dict[str, Any]:
    """Rotate the session's refresh token and return a new pair.

    A refresh token that was already rotated away means two parties hold the session's
    tokens: the session ends (committed) and the caller gets a 401. Not one atomic block
    around everything on purpose: the refusal must not roll back the ending.
    """
    try:
        # simplejwt annotates the raw token as a Token; it takes (and here gets) the string.
        token = RefreshToken(refresh_token)  # type: ignore[arg-type]
    except TokenError:
        raise _unauthorized(
            "Invalid or expired refresh token", AccountErrorCode.INVALID_TOKEN
        ) from None
    now = timezone.now()
    with transaction.atomic():
        session = (
            AuthSession.objects.open(now)
            .select_for_update()
            .filter(pk=token_session_id(token))
            .first()
        )
        if session is None or str(session.user_id) != str(token.get("sub")):
            raise _unauthorized("Session has ended; sign in again", AccountErrorCode.SESSION_ENDED)
        reused = token.get("jti") != session.refresh_jti
        if reused:
            _sessions_end(
                ctx, AuthSession.objects.filter(pk=session.pk), "refresh_token_reused", now
            )
        else:
            user = User.objects.only("is_active").get(pk=session.user_id)
            if not user.is_active:
                raise ApplicationError(
                    "User account is inactive", reason=AccountErrorCode.USER_INACTIVE, status=403
                )
            session.refresh_jti = new_refresh_jti()
            session.last_used_at = now
            session.expires_at = now + _refresh_lifetime()
            if ip_address:
                session.ip_address = ip_address
            session.save(update_fields=["refresh_jti", "last_used_at", "expires_at", "ip_address"])
    if reused:
        raise _unauthorized(
            "Refresh token was already used; the session has been ended",
            AccountErrorCode.REFRESH_TOKEN_REUSED,
        )
    return token_pair(session)


def _sessions_end(
    ctx: Ctx, sessions: QuerySet[AuthSession], reason: str, now: datetime | None = None
) -> int:
    """End the open sessions among `sessions` (each a "sign_out" event of its user); an admin
    session's browser session is deleted, which signs that browser out at its next request."""
    found = list(
        sessions.filter(ended_at__isnull=True).values_list(
            "pk", "user_id", "kind", "browser_session_key"
        )
    )
    if not found:
        return 0
    browser_keys = [key for _, _, kind, key in found if kind == SessionKind.ADMIN and key]
    ended = AuthSession.objects.filter(
        pk__in=[pk for pk, *_ in found], ended_at__isnull=True
    ).update(ended_at=now or timezone.now(), end_reason=reason)
    record_many(
        ctx,
        "sign_out",
        (
            (("user", user_id), {"session": [str(pk), None], "end_reason": [None, reason]})
            for pk, user_id, _, _ in found
        ),
    )
    if browser_keys:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in browser_keys:
            store(session_key=key).delete()
    return ended


@transaction.atomic
def session_end(ctx: Ctx, *, session: AuthSession, reason: str = "logout") -> None:
    _sessions_end(ctx, AuthSession.objects.filter(pk=session.pk), reason)


@transaction.atomic
def sessions_end(ctx: Ctx, *, sessions: QuerySet[AuthSession], reason: str = "revoked") -> int:
    """End every open session in the queryset `sessions` (the admin's bulk action)."""
    return _sessions_end(ctx, sessions, reason)


@transaction.atomic
def sessions_end_all(
    ctx: Ctx, *, user: User, reason: str = "logout_all", keep: AuthSession | None = None
) -> int:
    """End the user's sessions, except `keep` when given; returns how many ended."""
    sessions = AuthSession.objects.filter(user=user)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    return _sessions_end(ctx, sessions, reason)


@transaction.atomic
def sessions_end_after_password_change(
    ctx: Ctx, *, user: User, keep: AuthSession | None = None
) -> int:
    """What follows every change of an existing user's password, whoever makes it: each of
    the user's API sign-in sessions ends (except `keep`, the session that asked for the
    change). Returns how many ended. It records the change ("set_password", with no values:
    a password or its hash is never written to the trail).

    password_set calls it; so does the `changepassword` command, after Django's code has set
    the password. Any new way of setting a password must end in this function too.
    """
    record(ctx, "set_password", user)
    return sessions_end_all(ctx, user=user, reason="password_changed", keep=keep)


@transaction.atomic
def password_set(
    ctx: Ctx, *, user: User, password: str | None, keep: AuthSession | None = None
) -> int:
    """Give `user` a new password (None: no usable password at all) and end their API
    sessions but `keep`; returns how many ended.

    The caller has already validated the password (the admin's forms and password_change
    run Django's validators). Only the password column is written, so a stale `user` cannot
    undo a concurrent change to other fields.
    """
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return sessions_end_after_password_change(ctx, user=user, keep=keep)


@transaction.atomic
def password_change(
    ctx: Ctx,
    *,
    user: User,
    current_password: str,
    new_password: str,
    current_session: AuthSession | None = None,
) -> None:
    """Change one's own password; every other session of the user ends."""
    if not user.check_password(current_password):
        raise ApplicationError(
            "Current password is incorrect",
            reason=AccountErrorCode.CURRENT_PASSWORD_INCORRECT,
            status=400,
        )
    _password_errors(new_password, user, "new_password")
    password_set(ctx, user=user, password=new_password, keep=current_session)


@transaction.atomic
def sessions_clear_expired(ctx: Ctx, *, keep_ended_for: timedelta = timedelta(0)) -> int:
    """Delete sessions that expired, or ended longer than `keep_ended_for` ago."""
    now = timezone.now()
    deleted, _ = AuthSession.objects.filter(
        Q(expires_at__lte=now) | Q(ended_at__lte=now - keep_ended_for)
    ).delete()
    return deleted

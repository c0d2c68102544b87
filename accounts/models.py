import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from audit.models import Audited
from audit.services import record_change
from core.context import Ctx
from tenancy.models import Company, Role

__all__ = ["AuthSession", "Role", "SessionKind", "User"]


class EktorUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # The role, not is_superuser, decides permissions: `createsuperuser` makes an admin,
        # who loses every admin right when demoted to staff.
        extra_fields.update(role=Role.ADMIN, is_staff=True, is_superuser=False)
        # Django's `createsuperuser` creates through here, not through accounts.services
        # (whose user_create records its own event): the new admin is in the trail too. An
        # admin of the first company (its owner when it has no active owner).
        from tenancy.services import membership_create

        with transaction.atomic():
            user = self._create_user(username, email, password, **extra_fields)
            company = Company.objects.order_by("id").first()
            ctx = Ctx.for_command("createsuperuser", company=company)
            if company is not None:  # first, as in user_create: it may lock the company's row
                membership_create(ctx, user=user, role=Role.ADMIN)
            record_change(ctx, "create", user)
        return user

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def _create_user(self, username, email, password, **extra_fields):
        from accounts.services import user_sync_role_group

        user = super()._create_user(username, email, password, **extra_fields)
        # Every way of creating a user (createsuperuser too) ends here, with no actor at hand.
        user_sync_role_group(Ctx.system(), user=user)
        return user


class User(Audited, AbstractUser):
    """A person who signs in to the API or the admin. What they may do is their membership's
    role in the company they act for (tenancy.Membership): on a signed-in request `role` holds
    that role in memory (`company_role`, `is_owner` too, see tenancy.membership.act_as). The
    stored `role` is the role the user was created with, which the upgrade to companies made
    their membership of the first company."""

    email = models.EmailField("email address", max_length=254, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)

    objects = EktorUserManager()

    REQUIRED_FIELDS = ["email"]
    # When they last signed in is not a change of the user (sign-ins are events of their own).
    audit_exclude = ("last_login",)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # MySQL's *_ci collations already compare case-insensitively; these make SQLite
            # (and MySQL 8 with a binary collation) agree.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["role", "is_active"], name="accounts_user_role_active")]

    def __str__(self) -> str:
        return self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSessionQuerySet(models.QuerySet):
    def open(self, now=None) -> "AuthSessionQuerySet":
        """Sessions whose tokens still work: not ended and not expired."""
        return self.filter(ended_at__isnull=True, expires_at__gt=now or timezone.now())


class SessionKind(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", "Admin browser"


class AuthSession(models.Model):
    """One sign-in: access and refresh tokens name it, so ending it ends them at once.

    A sign-in to the admin is one too (kind "admin", see accounts.admin_sessions): it names
    its browser's Django session, which ending it deletes, so the browser is signed out at
    once as an API session's tokens stop.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    kind = models.CharField(max_length=10, choices=SessionKind.choices, default=SessionKind.API)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The id (jti) of the only refresh token that may still be used; rotation replaces it.
    refresh_jti = models.CharField(max_length=64)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True, default="")
    # An admin session's Django session key (django.contrib.sessions); empty for the API.
    browser_session_key = models.CharField(max_length=40, blank=True, default="")
    # The company the session's tokens act for (claim "company"); NULL for an admin browser
    # session, whose company is chosen in the browser's session (tenancy.middleware).
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AuthSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "sign-in session"
        indexes = [
            models.Index(fields=["user", "ended_at"], name="accounts_session_user_open"),
            models.Index(fields=["expires_at"], name="accounts_session_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.user} from {self.ip_address or 'unknown'} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

"""Input serializers check shape and types; the services decide. Output ones only render."""

from rest_framework import serializers

from accounts.models import AuthSession, Role, User
from accounts.services import (
    EMAIL_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    email_validator,
)
from ektor.api.fields import StrictBooleanField, StrictCharField
from ektor.api.output import ModelOutput


class StrictEmailField(StrictCharField):
    """The services' email rule (user_create checks it again for the admin and commands)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)
        self.validators.append(email_validator)


def _password(**kwargs) -> StrictCharField:
    # Spaces are part of a password: never trimmed.
    return StrictCharField(trim_whitespace=False, max_length=128, **kwargs)


def _username() -> StrictCharField:
    # The alphabet is checked by user_create, which the admin and the commands use too.
    return StrictCharField(min_length=USERNAME_MIN_LENGTH, max_length=USERNAME_MAX_LENGTH)


class RegisterIn(serializers.Serializer):
    username = _username()
    email = StrictEmailField()
    password = _password()


class UserCreateIn(RegisterIn):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STAFF)
    is_active = StrictBooleanField(default=True)
    is_owner = StrictBooleanField(default=False)


class UserUpdateIn(serializers.Serializer):
    email = StrictEmailField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = StrictBooleanField(required=False)
    is_owner = StrictBooleanField(required=False)


class MembershipIn(serializers.Serializer):
    user = StrictCharField(max_length=254, help_text="username or email of an existing user")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STAFF)
    is_owner = StrictBooleanField(default=False)


class TokenIn(serializers.Serializer):
    """OAuth2 password grant (form) or JSON; `username` may be the email address."""

    username = StrictCharField(max_length=254)
    password = _password()
    grant_type = serializers.ChoiceField(choices=["password"], required=False)
    # The company's slug (or the X-Tenant-ID header); without either, the default membership.
    company = StrictCharField(max_length=50, required=False)


class RefreshIn(serializers.Serializer):
    refresh_token = StrictCharField(max_length=4096)


class PasswordChangeIn(serializers.Serializer):
    current_password = _password()
    new_password = _password()


class TokenOut(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    refresh_token = serializers.CharField()


class UserOut(ModelOutput):
    # The role in the current company (an owner is an admin) and whether they own it.
    role = serializers.ChoiceField(choices=Role.choices, source="company_role", read_only=True)
    is_owner = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "is_owner", "is_active"]
        read_only_fields = fields


class SessionOut(serializers.ModelSerializer):
    session_id = serializers.UUIDField(source="id")
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = AuthSession
        fields = [
            "session_id",
            "kind",
            "user_agent",
            "ip_address",
            "created_at",
            "last_used_at",
            "expires_at",
            "is_current",
        ]
        read_only_fields = fields

    def get_is_current(self, session: AuthSession) -> bool:
        return session.pk == self.context["current_session_id"]

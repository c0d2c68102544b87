"""Thin views over accounts.services and accounts.selectors."""

from uuid import UUID

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import (
    MembershipIn,
    PasswordChangeIn,
    RefreshIn,
    RegisterIn,
    SessionOut,
    TokenIn,
    TokenOut,
    UserCreateIn,
    UserOut,
    UserUpdateIn,
)
from accounts.authentication import TENANT_HEADER
from accounts.error_codes import AccountErrorCode
from accounts.models import AuthSession, Role
from accounts.throttling import (
    SIGN_IN_SCOPE,
    SIGN_IN_THROTTLES,
    ClientAddressRateThrottle,
    client_ip,
)
from core.errors import NotFound
from ektor.api.errors import RequestValidationError
from ektor.api.views import ApiViewSet, ListMixin, RetrieveMixin
from tenancy.api.serializers import CompanyChoiceIn
from tenancy.models import Membership

# RFC 6749 section 5.1: token responses must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NO_CONTENT = OpenApiResponse(description="No content")
TENANT_PARAMETER = OpenApiParameter(
    TENANT_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The company's slug (instead of `company` in the body)",
)


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


class CanRegister(BasePermission):
    """Anyone while REGISTRATION_OPEN; otherwise whoever may add users (admins)."""

    message = "Registration is closed; only an admin may register users"

    def has_permission(self, request, view) -> bool:
        if settings.REGISTRATION_OPEN:
            return True
        return bool(request.user.is_authenticated and request.user.has_perm("accounts.add_user"))


class SignInView(ApiViewSet):
    """Endpoints a caller without a (valid) access token uses: no authentication at all, so a
    stale Authorization header cannot turn a sign-in into a 401."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressRateThrottle]


class TokenView(SignInView):
    throttle_scope = SIGN_IN_SCOPE
    throttle_classes = SIGN_IN_THROTTLES

    error_reasons = {
        "create": {401: ("invalid_credentials",), 403: ("user_inactive", "not_a_member")}
    }

    @extend_schema(
        request=TokenIn, responses={200: TokenOut}, auth=[], parameters=[TENANT_PARAMETER]
    )
    def create(self, request):
        """Sign in: a username (or email) and password for an access and a refresh token.

        The tokens act for the company `company` (a slug) or the `X-Tenant-ID` header names,
        or for the user's default membership without either.

        The OAuth2 password form (`application/x-www-form-urlencoded`, the same fields) is
        accepted too; it is left out of this document because generated clients cannot
        choose between two body types.
        """
        data = self.validated(TokenIn)
        user = services.user_authenticate(
            self.ctx, login=data["username"], password=data["password"]
        )
        tokens = services.session_start(
            self.ctx,
            user=user,
            user_agent=_user_agent(request),
            ip_address=client_ip(request),
            company=data.get("company") or request.headers.get(TENANT_HEADER),
        )
        return Response(tokens, headers=NO_STORE)


class RefreshView(SignInView):
    throttle_scope = "refresh"

    error_reasons = {
        "create": {
            401: ("invalid_token", "session_ended", "refresh_token_reused"),
            403: ("user_inactive",),
        }
    }

    @extend_schema(request=RefreshIn, responses={200: TokenOut}, auth=[])
    def create(self, request):
        """New tokens for a refresh token; the old refresh token stops working."""
        data = self.validated(RefreshIn)
        tokens = services.session_refresh(
            self.ctx, refresh_token=data["refresh_token"], ip_address=client_ip(request)
        )
        return Response(tokens, headers=NO_STORE)


class RegisterView(ApiViewSet):
    serializer_class = UserOut
    permission_classes = [CanRegister]
    throttle_classes = SIGN_IN_THROTTLES
    throttle_scope = "register"

    error_reasons = {"create": {409: ("username_taken", "email_taken")}}

    @extend_schema(request=RegisterIn, responses={201: UserOut})
    def create(self, request):
        """Register a staff user (anyone while registration is open, otherwise admins)."""
        user = services.user_create(self.ctx, **self.validated(RegisterIn), role=Role.STAFF)
        return self.output(user, status=status.HTTP_201_CREATED)


class SignedInView(ApiViewSet):
    """Endpoints about the caller's own account: any signed-in user, whatever the role."""

    permission_classes = [IsAuthenticated]


class LogoutView(SignedInView):
    @extend_schema(request=None, responses={204: NO_CONTENT})
    def create(self, request):
        """End the current session: its tokens stop working at once."""
        services.session_end(self.ctx, session=request.auth_session, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(SignedInView):
    @extend_schema(request=None, responses={204: NO_CONTENT})
    def create(self, request):
        """End every session of the caller."""
        services.sessions_end_all(self.ctx, user=request.user, reason="logout_all")
        return Response(status=status.HTTP_204_NO_CONTENT)


class SwitchView(SignedInView):
    error_reasons = {"create": {403: ("not_a_member",)}}

    @extend_schema(request=CompanyChoiceIn, responses={200: TokenOut})
    def create(self, request):
        """A new token pair (a new session) acting for another company of the caller's."""
        data = self.validated(CompanyChoiceIn)
        tokens = services.session_start(
            self.ctx,
            user=request.user,
            user_agent=_user_agent(request),
            ip_address=client_ip(request),
            company=data["company"],
        )
        return Response(tokens, headers=NO_STORE)


class MembershipView(ApiViewSet):
    """Adds an existing person to the current company (Django's tenancy.add_membership)."""

    permission_model = Membership
    serializer_class = UserOut
    error_reasons = {
        "create": {403: ("owner_only",), 404: ("user_not_found",), 409: ("already_a_member",)}
    }

    @extend_schema(request=MembershipIn, responses={201: UserOut})
    def create(self, request):
        """Add an existing user (by username or email) to the current company with a role."""
        data = self.validated(MembershipIn)
        user = services.member_add(
            self.ctx, login=data["user"], role=data["role"], is_owner=data["is_owner"]
        )
        return self.output(user, status=status.HTTP_201_CREATED)


class MeView(SignedInView):
    serializer_class = UserOut

    @extend_schema(responses={200: UserOut})
    def retrieve(self, request):
        """The signed-in user."""
        return self.output(request.user)


class PasswordView(SignedInView):
    error_reasons = {"create": {400: ("current_password_incorrect",)}}

    @extend_schema(request=PasswordChangeIn, responses={204: NO_CONTENT})
    def create(self, request):
        """Change the caller's password; their other sessions end."""
        data = self.validated(PasswordChangeIn)
        services.password_change(
            self.ctx,
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            current_session=request.auth_session,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionViewSet(SignedInView):
    lookup_url_kwarg = "session_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return AuthSession.objects.none()
        return selectors.session_list_open(self.ctx, user=self.request.user)

    @extend_schema(responses={200: SessionOut(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        context = {"current_session_id": request.auth_session.pk}
        return self.get_paginated_response(SessionOut(page, many=True, context=context).data)

    @extend_schema(
        parameters=[OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={204: NO_CONTENT},
    )
    def destroy(self, request, pk: str):
        """End one of the caller's sessions."""
        try:
            parsed = UUID(pk)
        except ValueError:
            raise RequestValidationError(
                [{"loc": ["path", "session_id"], "msg": "Input should be a UUID", "type": "uuid"}]
            ) from None
        session = selectors.session_get_open(self.ctx, user=request.user, session_id=parsed)
        if session is None:
            raise NotFound("Session", reason=AccountErrorCode.SESSION_NOT_FOUND)
        services.session_end(self.ctx, session=session, reason="revoked")
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """User management; Django's accounts.*_user permissions decide (the admin group)."""

    serializer_class = UserOut
    lookup_url_kwarg = "user_id"
    error_reasons = {
        "create": {403: ("owner_only",), 409: ("username_taken", "email_taken")},
        "partial_update": {
            400: ("no_fields_to_update",),
            403: ("owner_only",),
            409: ("email_taken", "last_owner"),
        },
    }

    def get_queryset(self):
        return selectors.user_list(self.ctx)

    @extend_schema(request=UserCreateIn, responses={201: UserOut})
    def create(self, request):
        user = services.user_create(self.ctx, **self.validated(UserCreateIn))
        return self.output(user, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateIn, responses={200: UserOut})
    def partial_update(self, request, pk: str):
        user = self.get_object()
        data = self.validated(UserUpdateIn, partial=True)
        user = services.user_update(self.ctx, user=user, data=data)
        return self.output(user)

from django.urls import re_path

from accounts.api import views
from ektor.api.routers import Router


def _route(path: str, view, actions: dict[str, str]):
    # Canonical path without a trailing slash; the slashed form is served too (as the Router).
    return re_path(rf"^{path}/?$", view.as_view(actions))


router = Router()
router.register("auth/sessions", views.SessionViewSet, basename="auth-session")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    _route("auth/register", views.RegisterView, {"post": "create"}),
    _route("auth/token", views.TokenView, {"post": "create"}),
    _route("auth/refresh", views.RefreshView, {"post": "create"}),
    _route("auth/logout", views.LogoutView, {"post": "create"}),
    _route("auth/logout-all", views.LogoutAllView, {"post": "create"}),
    _route("auth/me", views.MeView, {"get": "retrieve"}),
    _route("auth/switch", views.SwitchView, {"post": "create"}),
    _route("memberships", views.MembershipView, {"post": "create"}),
    _route("auth/password", views.PasswordView, {"post": "create"}),
    *router.urls,
]

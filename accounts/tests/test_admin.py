"""The admin site for users and sign-in sessions: same rules as the API, through the services."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthSession, Role, User
from accounts.services import session_start
from accounts.tests.factories import UserFactory
from ektor.tests.test_errors import assert_envelope
from tenancy.models import Membership

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
SESSIONS = "/admin/accounts/authsession/"


def change_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "_save": "Save",
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("size", [1, 20])
def test_users_changelist_shows_role_active_and_last_sign_in(
    ctx, admin_web, django_assert_max_num_queries, size
):
    UserFactory.create_batch(size)
    signed_in = UserFactory(username="recent")
    session_start(ctx, user=signed_in)
    with django_assert_max_num_queries(8):
        response = admin_web.get(USERS)
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("Role", "Active", "Last sign-in"):
        assert header in html, header
    assert "recent" in html


def test_users_search_and_filters_load(admin_web):
    for query in ("?q=boss", "?role__exact=admin", "?is_active__exact=0"):
        assert admin_web.get(USERS + query).status_code == 200


def test_role_change_in_the_admin_moves_the_group(admin_web, staff_user):
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/change/", change_form(staff_user, role="admin")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.unscoped.get(user=staff_user).role == Role.ADMIN


@pytest.mark.parametrize("change", [{"role": "staff"}, {"is_active": None}])
def test_admin_form_refuses_to_remove_the_last_owner(admin_web, admin_user, change):
    form = change_form(admin_user, **change)
    response = admin_web.post(f"{USERS}{admin_user.pk}/change/", form)
    assert response.status_code == 200
    assert (
        "The last active owner cannot be demoted, deactivated or lose ownership"
        in response.content.decode()
    )
    admin_user.refresh_from_db()
    assert Membership.unscoped.get(user=admin_user).role == Role.ADMIN
    assert admin_user.is_active


def test_admin_form_refuses_a_taken_email(admin_web, staff_user):
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/change/", change_form(staff_user, email="BOSS@example.com")
    )
    assert response.status_code == 200
    assert "already" in response.content.decode()
    staff_user.refresh_from_db()
    assert staff_user.email == "clerk@example.com"


def test_add_user_in_the_admin_goes_through_user_create(admin_web):
    response = admin_web.post(
        f"{USERS}add/",
        {
            "username": "lifeguard",
            "email": "lifeguard@example.com",
            "role": "staff",
            "password1": "Float-Line-4471",
            "password2": "Float-Line-4471",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="lifeguard")
    assert response["Location"] == f"{USERS}{user.pk}/change/"
    assert user.check_password("Float-Line-4471")
    assert list(user.groups.values_list("name", flat=True)) == ["staff"]


def test_add_user_weak_password_shows_the_validator_message(admin_web):
    response = admin_web.post(
        f"{USERS}add/",
        {
            "username": "lifeguard",
            "email": "lifeguard@example.com",
            "role": "staff",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.filter(username="lifeguard").exists()


def api_me(tokens: dict):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client.get("/api/v1/auth/me")


def test_password_set_in_the_admin_ends_the_users_sessions(ctx, admin_web, staff_user, admin_user):
    tokens = session_start(ctx, user=staff_user)
    admins = session_start(ctx, user=admin_user)
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/password/",
        {"password1": "Float-Line-4471", "password2": "Float-Line-4471"},
    )
    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.check_password("Float-Line-4471")
    assert not AuthSession.objects.open().filter(user=staff_user).exists()
    assert AuthSession.objects.get(user=staff_user).end_reason == "password_changed"
    assert assert_envelope(api_me(tokens), 401)["details"]["reason"] == "session_ended"
    # The admin who set it keeps their own sessions.
    assert api_me(admins).status_code == 200


def test_password_disabled_in_the_admin_ends_the_users_sessions(ctx, admin_web, staff_user):
    tokens = session_start(ctx, user=staff_user)
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert not staff_user.has_usable_password()
    assert assert_envelope(api_me(tokens), 401)["details"]["reason"] == "session_ended"


def test_password_set_in_the_admin_is_checked_and_then_nothing_ends(ctx, admin_web, staff_user):
    tokens = session_start(ctx, user=staff_user)
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/password/", {"password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    assert api_me(tokens).status_code == 200


def test_staff_cannot_manage_users_in_the_admin(staff_user):
    client = Client()
    client.force_login(staff_user)
    assert client.get(USERS).status_code == 403
    assert client.get(SESSIONS).status_code == 403


def test_sessions_are_listed_and_ended_by_the_action(
    ctx, admin_web, staff_user, django_assert_max_num_queries
):
    for _ in range(3):
        session_start(ctx, user=staff_user, user_agent="PoolApp/2.1", ip_address="203.0.113.7")
    with django_assert_max_num_queries(8):
        response = admin_web.get(SESSIONS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "PoolApp/2.1" in html and "203.0.113.7" in html
    assert "End selected sessions" in html
    assert "Delete selected" not in html
    ids = [str(pk) for pk in AuthSession.objects.values_list("pk", flat=True)[:2]]
    response = admin_web.post(SESSIONS, {"action": "end_sessions", "_selected_action": ids})
    assert response.status_code == 302
    ended = AuthSession.objects.filter(ended_at__isnull=False)
    assert sorted(str(s.pk) for s in ended) == sorted(ids)
    assert {s.end_reason for s in ended} == {"revoked_by_admin"}
    assert AuthSession.objects.open().filter(kind="api").count() == 1


def test_a_session_is_read_only_in_the_admin(ctx, admin_web, staff_user):
    session_start(ctx, user=staff_user, user_agent="PoolApp/2.1")
    session = AuthSession.objects.get(kind="api")
    page = admin_web.get(f"{SESSIONS}{session.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "PoolApp/2.1" in html and 'name="_save"' not in html
    assert admin_web.get(f"{SESSIONS}add/").status_code == 403
    assert admin_web.get(f"{SESSIONS}{session.pk}/delete/").status_code == 403
    response = admin_web.post(f"{SESSIONS}{session.pk}/change/", {"user_agent": "x"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.user_agent == "PoolApp/2.1"


def test_admin_form_refuses_a_username_outside_the_api_rules(admin_web, staff_user):
    response = admin_web.post(
        f"{USERS}{staff_user.pk}/change/", change_form(staff_user, username="ab")
    )
    assert response.status_code == 200
    assert "3" in response.content.decode() and "username" in response.content.decode().lower()
    staff_user.refresh_from_db()
    assert staff_user.username == "clerk"


def test_changing_ones_own_password_in_the_admin_ends_ones_api_sessions(ctx, admin_user):
    from accounts.tests.factories import DEFAULT_PASSWORD

    tokens = session_start(ctx, user=admin_user)
    other_browser, client = Client(), Client()
    other_browser.force_login(admin_user)
    client.force_login(admin_user)
    response = client.post(
        "/admin/password_change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "Float-Line-4471",
            "new_password2": "Float-Line-4471",
        },
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.check_password("Float-Line-4471")
    # Only this browser's own admin session is still open.
    still_open = AuthSession.objects.open().filter(user=admin_user).get()
    assert (still_open.kind, still_open.browser_session_key) == (
        "admin",
        client.session.session_key,
    )
    assert assert_envelope(api_me(tokens), 401)["details"]["reason"] == "session_ended"
    assert client.get("/admin/").status_code == 200
    assert other_browser.get("/admin/").status_code == 302

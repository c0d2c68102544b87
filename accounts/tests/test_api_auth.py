"""The whole sign-in life through the API: register, token, me, refresh, sessions, logout."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import AuthSession, Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for
from ektor.tests.test_errors import assert_envelope

pytestmark = pytest.mark.django_db

API = "/api/v1"
NEW_PASSWORD = "Pool-Cover-8842"


def sign_in(username: str, password: str = DEFAULT_PASSWORD, **extra) -> dict:
    response = APIClient().post(
        f"{API}/auth/token", {"username": username, "password": password}, format="json", **extra
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


def user_body(response) -> dict:
    body = response.json()
    assert set(body) == {"id", "username", "email", "role", "is_owner", "is_active"}
    return body


# --- registration -------------------------------------------------------------------------


@override_settings(REGISTRATION_OPEN=True)
def test_open_registration_lets_anyone_register_as_staff(anon_client):
    response = anon_client.post(
        f"{API}/auth/register",
        {"username": "Nadia", "email": "Nadia@Example.COM", "password": "Chlorine-Tab-93"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = user_body(response)
    assert body["username"] == "Nadia"
    assert body["email"] == "Nadia@example.com"  # the domain is normalised
    assert (body["role"], body["is_active"]) == ("staff", True)
    user = User.objects.get(pk=body["id"])
    assert user.check_password("Chlorine-Tab-93")
    assert list(user.groups.values_list("name", flat=True)) == ["staff"]
    # ... and can sign in straight away, by username or by email in any case.
    assert sign_in("nadia", "Chlorine-Tab-93")["token_type"] == "bearer"
    assert sign_in("NADIA@example.com", "Chlorine-Tab-93")["token_type"] == "bearer"


@override_settings(REGISTRATION_OPEN=True)
def test_registration_ignores_a_requested_role(anon_client):
    response = anon_client.post(
        f"{API}/auth/register",
        {
            "username": "sneaky",
            "email": "s@example.com",
            "password": "Chlorine-Tab-93",
            "role": "admin",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["role"] == "staff"


def test_closed_registration_anonymous_is_401(anon_client):
    body = {"username": "walkin", "email": "w@example.com", "password": "Chlorine-Tab-93"}
    response = anon_client.post(f"{API}/auth/register", body, format="json")
    assert_envelope(response, 401)
    assert not User.objects.filter(username="walkin").exists()


def test_closed_registration_staff_is_403_admin_may(staff_client_api, admin_client_api):
    body = {"username": "walkin", "email": "w@example.com", "password": "Chlorine-Tab-93"}
    refused = assert_envelope(
        staff_client_api.post(f"{API}/auth/register", body, format="json"), 403
    )
    assert refused["message"] == "Registration is closed; only an admin may register users"
    response = admin_client_api.post(f"{API}/auth/register", body, format="json")
    assert response.status_code == 201
    assert user_body(response)["role"] == "staff"


# --- token, me ------------------------------------------------------------------------------


def test_token_by_oauth2_form_and_by_json(staff_user):
    form = APIClient().post(
        f"{API}/auth/token",
        {"grant_type": "password", "username": "clerk", "password": DEFAULT_PASSWORD},
        format="multipart",
    )
    urlencoded = APIClient().post(
        f"{API}/auth/token",
        f"grant_type=password&username=clerk&password={DEFAULT_PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    as_json = APIClient().post(
        f"{API}/auth/token",
        {"username": "clerk@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )
    for response in (form, urlencoded, as_json):
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 15 * 60
        assert response["Cache-Control"] == "no-store"
    assert AuthSession.objects.filter(user=staff_user).count() == 3


def test_sign_in_records_the_session_and_last_login(staff_user):
    tokens = sign_in("clerk", HTTP_USER_AGENT="PoolApp/2.1", REMOTE_ADDR="203.0.113.7")
    session = AuthSession.objects.get(user=staff_user)
    assert (session.user_agent, session.ip_address) == ("PoolApp/2.1", "203.0.113.7")
    staff_user.refresh_from_db()
    assert staff_user.last_login == session.last_used_at  # the admin shows it as last sign-in
    me = bearer(tokens["access_token"]).get(f"{API}/auth/me")
    assert me.status_code == 200
    assert user_body(me) == {
        "id": staff_user.pk,
        "username": "clerk",
        "email": "clerk@example.com",
        "role": "staff",
        "is_owner": False,
        "is_active": True,
    }


def test_authenticated_request_costs_one_query(staff_client_api, django_assert_num_queries):
    # Session, its expiry and the user come back in one joined query.
    with django_assert_num_queries(1):
        assert staff_client_api.get(f"{API}/auth/me").status_code == 200


# --- refresh and rotation -----------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_stops_working(staff_user):
    first = sign_in("clerk")
    response = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json"
    )
    assert response.status_code == 200, response.content
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(second["access_token"]).get(f"{API}/auth/me").status_code == 200
    # Same session: the first access token still works until the session ends.
    assert bearer(first["access_token"]).get(f"{API}/auth/me").status_code == 200
    assert AuthSession.objects.filter(user=staff_user).count() == 1


def test_reusing_a_rotated_refresh_token_ends_the_session(staff_user):
    stolen = sign_in("clerk")
    rotated = (
        APIClient()
        .post(f"{API}/auth/refresh", {"refresh_token": stolen["refresh_token"]}, format="json")
        .json()
    )
    # Someone presents the old refresh token again: two parties hold this session.
    reuse = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": stolen["refresh_token"]}, format="json"
    )
    body = assert_envelope(reuse, 401)
    assert body["details"]["reason"] == "refresh_token_reused"
    session = AuthSession.objects.get(user=staff_user)
    assert session.ended_at is not None and session.end_reason == "refresh_token_reused"
    # Every token of the session is dead, the legitimate holder's newest ones included.
    for token in (rotated["access_token"], stolen["access_token"]):
        refused = assert_envelope(bearer(token).get(f"{API}/auth/me"), 401)
        assert refused["details"]["reason"] == "session_ended"
    again = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": rotated["refresh_token"]}, format="json"
    )
    assert assert_envelope(again, 401)["details"]["reason"] == "session_ended"


# --- logout, sessions, password -----------------------------------------------------------


def test_logout_ends_the_session_at_once(staff_user):
    tokens = sign_in("clerk")
    other = sign_in("clerk")
    client = bearer(tokens["access_token"])
    response = client.post(f"{API}/auth/logout")
    assert response.status_code == 204 and response.content == b""
    body = assert_envelope(client.get(f"{API}/auth/me"), 401)
    assert body["details"]["reason"] == "session_ended"
    assert body["message"] == "Session has ended; sign in again"
    refresh = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert assert_envelope(refresh, 401)["details"]["reason"] == "session_ended"
    # Only that session: the other sign-in goes on.
    assert bearer(other["access_token"]).get(f"{API}/auth/me").status_code == 200


def test_logout_all_ends_every_session_of_the_user_only(staff_user, admin_user):
    mine = [sign_in("clerk") for _ in range(3)]
    theirs = sign_in("boss")
    assert bearer(mine[0]["access_token"]).post(f"{API}/auth/logout-all").status_code == 204
    for tokens in mine:
        assert bearer(tokens["access_token"]).get(f"{API}/auth/me").status_code == 401
    assert bearer(theirs["access_token"]).get(f"{API}/auth/me").status_code == 200
    assert AuthSession.objects.open().filter(user=staff_user).count() == 0


def test_sessions_list_shows_only_ones_own_open_sessions(staff_user, admin_user):
    current = sign_in("clerk", HTTP_USER_AGENT="Tablet")
    older = sign_in("clerk", HTTP_USER_AGENT="Laptop")
    ended = sign_in("clerk", HTTP_USER_AGENT="Phone")
    bearer(ended["access_token"]).post(f"{API}/auth/logout")
    sign_in("boss", HTTP_USER_AGENT="Boss desk")
    response = bearer(current["access_token"]).get(f"{API}/auth/sessions")
    assert response.status_code == 200
    sessions = response.json()
    assert response["X-Total-Count"] == "2"
    assert {s["user_agent"] for s in sessions} == {"Tablet", "Laptop"}
    assert set(sessions[0]) == {
        "session_id",
        "kind",
        "user_agent",
        "ip_address",
        "created_at",
        "last_used_at",
        "expires_at",
        "is_current",
    }
    assert [s["user_agent"] for s in sessions if s["is_current"]] == ["Tablet"]
    assert sessions[0]["created_at"].endswith("Z")
    assert older  # signed in, listed above


def test_delete_own_session_ends_it_and_anothers_is_404(staff_user, admin_user):
    mine = sign_in("clerk")
    laptop = sign_in("clerk")
    boss = sign_in("boss")
    client = bearer(mine["access_token"])
    laptop_id = AuthSession.objects.filter(user=staff_user).order_by("-created_at")[0].pk
    boss_id = AuthSession.objects.get(user=admin_user).pk

    body = assert_envelope(client.delete(f"{API}/auth/sessions/{boss_id}"), 404)
    assert body["message"] == "Session not found"
    assert body["details"]["reason"] == "session_not_found"
    assert bearer(boss["access_token"]).get(f"{API}/auth/me").status_code == 200

    assert client.delete(f"{API}/auth/sessions/{laptop_id}").status_code == 204
    assert bearer(laptop["access_token"]).get(f"{API}/auth/me").status_code == 401
    assert client.get(f"{API}/auth/me").status_code == 200
    # Already ended: gone from the list, so 404 as well.
    assert client.delete(f"{API}/auth/sessions/{laptop_id}").status_code == 404


def test_delete_session_with_a_malformed_id_is_422(staff_client_api):
    body = assert_envelope(staff_client_api.delete(f"{API}/auth/sessions/42"), 422)
    assert body["details"]["errors"][0]["loc"] == ["path", "session_id"]


def test_password_change_ends_the_other_sessions(staff_user):
    current = sign_in("clerk")
    other = sign_in("clerk")
    client = bearer(current["access_token"])
    response = client.post(
        f"{API}/auth/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204, response.content
    assert client.get(f"{API}/auth/me").status_code == 200
    assert bearer(other["access_token"]).get(f"{API}/auth/me").status_code == 401
    staff_user.refresh_from_db()
    assert staff_user.check_password(NEW_PASSWORD)
    assert sign_in("clerk", NEW_PASSWORD)["access_token"]
    old = APIClient().post(
        f"{API}/auth/token", {"username": "clerk", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert old.status_code == 401


def test_password_change_checks_the_current_password_and_the_validators(staff_client_api):
    wrong = staff_client_api.post(
        f"{API}/auth/password",
        {"current_password": "not-it", "new_password": NEW_PASSWORD},
        format="json",
    )
    body = assert_envelope(wrong, 400)
    assert body["details"]["reason"] == "current_password_incorrect"
    weak = staff_client_api.post(
        f"{API}/auth/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "12345678"},
        format="json",
    )
    body = assert_envelope(weak, 422)
    assert {e["loc"][-1] for e in body["details"]["errors"]} == {"new_password"}
    assert [e["msg"] for e in body["details"]["errors"]] == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]


def test_deactivated_users_tokens_stop_working_with_403(staff_user, admin_client_api):
    client = client_for(staff_user)
    response = admin_client_api.patch(
        f"{API}/users/{staff_user.pk}", {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    body = assert_envelope(client.get(f"{API}/auth/me"), 403)
    assert body["message"] == "User account is inactive"
    assert body["details"]["reason"] == "user_inactive"
    refresh = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": client.tokens["refresh_token"]}, format="json"
    )
    assert assert_envelope(refresh, 403)["details"]["reason"] == "user_inactive"


def test_admin_and_staff_roles_come_from_the_role_field():
    admin = UserFactory(role=Role.ADMIN)
    assert admin.has_perm("accounts.change_user")
    assert not UserFactory(role=Role.STAFF).has_perm("accounts.view_user")

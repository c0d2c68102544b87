"""Admin browser sessions are sign-in sessions: listed by auth/sessions and ended by
auth/logout-all, DELETE auth/sessions/{id}, the admin's sign-out and password changes."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthSession
from accounts.services import session_start
from accounts.tests.factories import DEFAULT_PASSWORD
from core.context import Ctx

pytestmark = pytest.mark.django_db

API = "/api/v1"


def browser_signed_in(username: str, user_agent: str = "Firefox", address: str = "192.0.2.7"):
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    response = browser.post("/admin/login/", {"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content
    assert browser.get("/admin/").status_code == 200
    return browser


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {session_start(Ctx.system(), user=user)['access_token']}"
    )
    return client


def signed_out(browser: Client) -> bool:
    response = browser.get("/admin/")
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_an_admin_sign_in_is_listed_among_the_users_sessions(staff_user):
    browser = browser_signed_in("clerk", "Firefox", "192.0.2.7")
    response = api_client(staff_user).get(f"{API}/auth/sessions")
    assert response.status_code == 200
    sessions = {s["kind"]: s for s in response.json()}
    assert set(sessions) == {"api", "admin"}
    admin = sessions["admin"]
    assert (admin["user_agent"], admin["ip_address"], admin["is_current"]) == (
        "Firefox",
        "192.0.2.7",
        False,
    )
    assert sessions["api"]["is_current"] is True
    # The browser's session ends when the sign-in session does, not later.
    record = AuthSession.objects.get(kind="admin")
    assert record.browser_session_key == browser.session.session_key
    stored = Session.objects.get(session_key=browser.session.session_key)
    assert stored.expire_date == record.expires_at


def test_logout_all_signs_the_users_browsers_out_of_the_admin(staff_user, admin_user):
    laptop, desk = browser_signed_in("clerk", "Laptop"), browser_signed_in("clerk", "Desk")
    boss = browser_signed_in("boss")
    assert api_client(staff_user).post(f"{API}/auth/logout-all").status_code == 204
    assert signed_out(laptop) and signed_out(desk)
    assert boss.get("/admin/").status_code == 200  # another user's browser stays in
    ended = AuthSession.objects.filter(user=staff_user, kind="admin")
    assert {s.end_reason for s in ended} == {"logout_all"}
    assert Session.objects.count() == 1  # the boss's


def test_deleting_an_admin_session_by_id_signs_that_browser_out(staff_user):
    laptop, desk = browser_signed_in("clerk", "Laptop"), browser_signed_in("clerk", "Desk")
    laptop_session = AuthSession.objects.get(kind="admin", user_agent="Laptop")
    client = api_client(staff_user)
    assert client.delete(f"{API}/auth/sessions/{laptop_session.pk}").status_code == 204
    assert signed_out(laptop)
    assert desk.get("/admin/").status_code == 200
    listed = client.get(f"{API}/auth/sessions").json()
    assert {(s["kind"], s["user_agent"]) for s in listed} == {("api", ""), ("admin", "Desk")}


def test_signing_out_of_the_admin_ends_its_session(staff_user):
    browser = browser_signed_in("clerk")
    assert browser.post("/admin/logout/").status_code == 200
    session = AuthSession.objects.get(kind="admin")
    assert (session.is_open, session.end_reason) == (False, "logout")


def test_the_admins_end_sessions_action_signs_a_browser_out(admin_web, staff_user):
    browser = browser_signed_in("clerk")
    session = AuthSession.objects.get(kind="admin", user=staff_user)
    response = admin_web.post(
        "/admin/accounts/authsession/",
        {"action": "end_sessions", "_selected_action": [str(session.pk)]},
    )
    assert response.status_code == 302
    assert signed_out(browser)
